"""What the accounting commands share: the date argument and writing a kept file out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import CommandError

from core.errors import DomainError


def parse_day(value: str | None, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date {value!r} is not a date like 2027-06-15") from None


def write_out(folder: str | None, name: str, content: bytes) -> Path | None:
    if not folder:
        return None
    path = Path(folder) / name
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror}") from None
    return path


def refused(exc: DomainError) -> CommandError:
    return CommandError(f"{exc.code}: {exc.detail}")
