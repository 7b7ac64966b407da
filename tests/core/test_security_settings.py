"""Security review, point 10: no key in the repository, HTTPS settings behind one switch, a
Content-Security-Policy on every page, API tokens that expire."""

import hashlib
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.secret_key import secret_key

ROOT = Path(__file__).resolve().parents[2]
A_DATABASE = "postgres://postgres@127.0.0.1:5432/no_database_needed"
# The key that config/settings.py used to carry, in clear, for every installation.
OLD_WRITTEN_KEY = "dev-only-secret-key-change-me-in-production-0123456789abcdef"
PRINT_SETTINGS = (
    "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','config.settings');"
    "from config.env import load_settings_or_exit;load_settings_or_exit();from django.conf import settings as s;"
    "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE,"
    " s.CSRF_COOKIE_SECURE, getattr(s, 'SECURE_PROXY_SSL_HEADER', None), s.SECURE_REFERRER_POLICY,"
    " s.SESSION_COOKIE_SAMESITE)"
)


def _env(**overrides: str | None) -> dict[str, str]:
    """This process's environment without any of the variables these tests set, then the overrides."""
    names = {"SECRET_KEY", "DEBUG", "HTTPS", "HSTS_SECONDS", "BEHIND_PROXY", "SECURE_COOKIES", "DATABASE_URL"}
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.update({k: v for k, v in overrides.items() if v is not None})
    return env


def _check(**overrides: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_env(**overrides),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _settings_printed(**overrides: str | None) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env=_env(SECRET_KEY=settings.SECRET_KEY, DATABASE_URL=A_DATABASE, **overrides),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


# --- SECRET_KEY ---------------------------------------------------------------------------------------


def test_a_deployment_without_a_secret_key_does_not_start():
    # given: DATABASE_URL set (a deployment), DEBUG off, no SECRET_KEY
    result = _check(DATABASE_URL=A_DATABASE)
    # then: start-up stops with one line naming the variable
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("key", ["too-short-a-key", "ab" * 40, "django-insecure-" + "x1y2z3w4" * 6])
def test_a_weak_secret_key_does_not_start_outside_debug(key):
    result = _check(DATABASE_URL=A_DATABASE, SECRET_KEY=key)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert key not in result.stderr  # the message does not print the key
    assert "Traceback" not in result.stderr


def test_in_debug_the_app_starts_without_a_key_and_with_a_short_one():
    assert _check(DATABASE_URL=A_DATABASE, DEBUG="true").returncode == 0
    assert _check(DATABASE_URL=A_DATABASE, DEBUG="true", SECRET_KEY="short").returncode == 0


def test_a_long_random_key_starts_a_deployment():
    result = _check(DATABASE_URL=A_DATABASE, SECRET_KEY="aB3-xY9_" * 7)
    assert result.returncode == 0, result.stderr


def test_the_settings_hold_no_key_and_the_pii_key_is_not_a_hash_of_a_constant():
    source = (ROOT / "config" / "settings.py").read_text()
    assert OLD_WRITTEN_KEY not in source and "_DEV_SECRET" not in source
    assert settings.SECRET_KEY != OLD_WRITTEN_KEY
    assert hashlib.sha256(f"pii-hash:{OLD_WRITTEN_KEY}".encode()).hexdigest() != settings.PII_HASH_KEY
    assert hashlib.sha256(b"pii-hash:").hexdigest() != settings.PII_HASH_KEY


def test_a_developer_machine_gets_a_random_key_of_its_own_kept_in_a_private_file(tmp_path):
    # given: no SECRET_KEY on the embedded database (make demo, make test)
    (tmp_path / "one").mkdir()
    path = tmp_path / "one" / ".secret_key"
    first = secret_key(from_env="", debug=False, developer_machine=True, key_file=path)
    # then: a strong key, kept readable by its owner only, and the same key the next time
    assert len(first) >= 50 and len(set(first)) >= 5
    assert path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(from_env="", debug=False, developer_machine=True, key_file=path) == first
    # and another checkout gets another key
    (tmp_path / "two").mkdir()
    other = secret_key(from_env="", debug=False, developer_machine=True, key_file=tmp_path / "two" / ".secret_key")
    assert other != first


def test_processes_starting_together_share_one_key(tmp_path):
    path = tmp_path / ".secret_key"
    keys: list[str] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(secret_key(from_env="", debug=False, developer_machine=True, key_file=path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == [".secret_key"]  # no staging file left behind


def test_a_key_file_that_cannot_be_used_stops_start_up_saying_what_to_do(tmp_path):
    path = tmp_path / ".secret_key"
    path.write_text("short\n")
    with pytest.raises(ImproperlyConfigured, match=r"SECRET_KEY is not set.*delete the file"):
        secret_key(from_env="", debug=False, developer_machine=True, key_file=path)
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is not set"):
        secret_key(from_env="", debug=False, developer_machine=False, key_file=tmp_path / "unused")
    assert not (tmp_path / "unused").exists()
