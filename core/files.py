"""Keeping uploaded files byte for byte, and only those of uploads that were accepted.

A file goes to storage the moment ``stored_file_create`` is called, and no
database rollback takes it back. A service that stores files inside a
transaction that may still fail wraps it in ``files_kept_only_on_commit``; a
file kept only while an upload is being read (the browser's background
intake) is removed with ``stored_files_delete`` once the upload is decided.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from core.models import StoredFile

_written: ContextVar[list[str] | None] = ContextVar("stored_files_written", default=None)


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def stored_file_create(*, content: bytes, name: str, content_type: str = "", uploaded_by: Any = None) -> StoredFile:
    """Store the bytes as they came; a second upload of the same bytes reuses the file on disk."""
    digest = sha256_of(content)
    stored = StoredFile(
        sha256=digest,
        name=name[:255],
        size=len(content),
        content_type=content_type[:100],
        uploaded_by=uploaded_by,
    )
    existing = StoredFile.objects.filter(sha256=digest).exclude(content="").first()
    if existing is not None and existing.content.storage.exists(existing.content.name):
        stored.content.name = existing.content.name
        stored.save()
    else:
        stored.content.save(digest, ContentFile(content), save=True)
        written = _written.get()
        if written is not None:
            written.append(stored.content.name)
    return stored


@contextmanager
def files_kept_only_on_commit() -> Iterator[None]:
    """Around a transaction (outside its ``atomic``): when it fails, the files it wrote leave storage too.

    A file is kept when a row still points at it (the same bytes stored by an
    earlier upload that stays).
    """
    written: list[str] = []
    token = _written.set(written)
    try:
        yield
    except BaseException:
        _unreferenced_delete(written)
        raise
    finally:
        _written.reset(token)


def stored_files_delete(ids: Iterable[int]) -> None:
    """Delete these rows, and their files from storage unless another row points at the same file."""
    files = StoredFile.objects.filter(pk__in=list(ids))
    names = [stored.content.name for stored in files if stored.content.name]
    files.delete()
    _unreferenced_delete(names)


def _unreferenced_delete(names: Iterable[str]) -> None:
    for name in set(names):
        if not StoredFile.objects.filter(content=name).exists():
            default_storage.delete(name)
