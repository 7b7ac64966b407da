"""Where ``SECRET_KEY`` comes from.

The key signs sessions, CSRF tokens and password-reset links, and the key of the personal-data hash is
derived from it, so a deployment must never run on a key that anyone can read in the repository:

- ``SECRET_KEY`` from the environment when it is set; outside DEBUG it must look like a real key (Django's
  own measure: at least 50 characters, at least 5 distinct ones, not a ``django-insecure-`` key);
- unset, on a developer's machine (DEBUG on, or the project's own embedded PostgreSQL), a random key made
  once per checkout and kept in a git-ignored file beside ``manage.py``;
- unset anywhere else (a deployment: ``DATABASE_URL`` set, DEBUG off) start-up stops and says to set it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

MIN_LENGTH = 50
MIN_DISTINCT = 5


def _weakness(key: str) -> str | None:
    if len(key) < MIN_LENGTH:
        return f"has {len(key)} characters; use at least {MIN_LENGTH}"
    if len(set(key)) < MIN_DISTINCT:
        return f"has fewer than {MIN_DISTINCT} distinct characters"
    if key.startswith("django-insecure-"):
        return "is one of Django's insecure development keys"
    return None


def _new_key() -> str:
    return secrets.token_urlsafe(MIN_LENGTH)  # 67 characters from 50 random bytes


def _read_or_create(path: Path) -> str:
    """The key kept in ``path``, made there first if need be; two processes racing both read the same key."""
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
        staging = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        try:
            descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(_new_key() + "\n")
            try:
                # link() never replaces: the first process to publish its key wins, a full file or none.
                os.link(staging, path)
            except FileExistsError:
                pass
            finally:
                staging.unlink()
            key = path.read_text(encoding="ascii").strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"SECRET_KEY is not set and the development key could not be kept in {path} ({exc.strerror}). "
                "Set SECRET_KEY in the environment."
            ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ImproperlyConfigured(
            f"SECRET_KEY is not set and the development key in {path} cannot be read ({exc}). "
            "Set SECRET_KEY, or delete the file to have a new one made."
        ) from None
    problem = _weakness(key)
    if problem:
        raise ImproperlyConfigured(
            f"SECRET_KEY is not set and the development key in {path} {problem}. "
            "Set SECRET_KEY, or delete the file to have a new one made."
        )
    return key


def secret_key(*, from_env: str | None, debug: bool, developer_machine: bool, key_file: Path) -> str:
    """The ``SECRET_KEY`` to run on, or ImproperlyConfigured naming the variable and what to do."""
    if from_env:
        problem = _weakness(from_env)
        if problem and not debug:
            raise ImproperlyConfigured(
                f"SECRET_KEY {problem}. Generate one with: "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
            )
        return from_env
    if debug or developer_machine:
        return _read_or_create(key_file)
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. A deployment (DATABASE_URL set, DEBUG off) needs its own secret key: "
        "set SECRET_KEY in the environment or in .env, e.g. from "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
