"""Keeping uploaded files byte for byte, and only those of uploads that were accepted.

A file goes to storage the moment ``stored_file_create`` is called, and no
database rollback takes it back. A service that stores files inside a
transaction that may still fail wraps it in ``files_kept_only_on_commit``; a
file kept only while an upload is being read (the browser's background
intake) is removed with ``stored_files_delete`` once the upload is decided.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage

from core.models import StoredFile

READ_BYTES = 1 << 20
_written: ContextVar[list[str] | None] = ContextVar("stored_files_written", default=None)


def sha256_of(content: bytes | IO[bytes]) -> str:
    """The SHA-256 of the bytes, or of an open file read a megabyte at a time from its start."""
    if isinstance(content, bytes):
        return hashlib.sha256(content).hexdigest()
    digest = hashlib.sha256()
    content.seek(0)
    while block := content.read(READ_BYTES):
        digest.update(block)
    return digest.hexdigest()


def stored_file_create(
    *, content: bytes | IO[bytes], name: str, content_type: str = "", uploaded_by: Any = None
) -> StoredFile:
    """Store the bytes as they came; a second upload of the same bytes reuses the file on disk.

    ``content`` may be an open (binary, seekable) file: it is hashed and copied a megabyte at a
    time, never read whole into memory.
    """
    digest = sha256_of(content)
    size = len(content) if isinstance(content, bytes) else content.seek(0, io.SEEK_END)
    stored = StoredFile(
        sha256=digest,
        name=name[:255],
        size=size,
        content_type=content_type[:100],
        uploaded_by=uploaded_by,
    )
    existing = StoredFile.objects.filter(sha256=digest).exclude(content="").first()
    if existing is not None and existing.content.storage.exists(existing.content.name):
        stored.content.name = existing.content.name
        stored.save()
    else:
        body = ContentFile(content) if isinstance(content, bytes) else File(content)
        stored.content.save(digest, body, save=True)
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
