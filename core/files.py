"""Keeping uploaded files byte for byte."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.base import ContentFile

from core.models import StoredFile


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
    return stored
