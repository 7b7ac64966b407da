"""Reading the organisation tree file (机构树): the only pandas in this app.

Every column is read as text and normalised (full-width forms, surrounding
spaces); a level or a class may be written as its code (``sub_branch``) or its
name in English or Chinese (``Sub-branch``, ``支行``). Whether a row makes sense
is the service's business (``partners.services.org.org_tree_load``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from core import tabular
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.identifiers import normalize_text
from core.uploads import refuse_oversized
from partners.models import OrgNode

ORG_TREE_COLUMNS = (
    tabular.ColumnSpec("code", ("机构代码", "机构编码", "代码", "code"), True),
    tabular.ColumnSpec("name", ("机构名称", "名称", "name"), True),
    tabular.ColumnSpec("kind", ("机构层级", "层级", "kind"), True),
    tabular.ColumnSpec("parent_code", ("上级机构代码", "上级代码", "parent_code"), False),
    tabular.ColumnSpec("sub_branch_class", ("支行类别", "支行分类", "sub_branch_class"), False),
)


CHUNK_ROWS = 25_000  # rows read at a time: the table of a chunk, not of the file, is ever in memory


@dataclass(frozen=True, slots=True)
class OrgRow:
    """One row as the file gives it; ``kind`` and ``sub_branch_class`` are codes when recognised."""

    row: int
    code: str
    name: str
    kind: str
    parent_code: str
    sub_branch_class: str


def read_org_tree(content: bytes | IO[bytes], filename: str) -> list[OrgRow]:
    """The rows of an organisation tree file. A file that is not a usable table raises DomainError.

    The file is read a chunk at a time (``tabular.read_table_chunks``): only the rows, as ``OrgRow``,
    are kept whole (a parent may come after its children), never the table of the whole file.
    """
    refuse_oversized(content, filename, settings.UPLOAD_MAX_BYTES)
    kinds = _choice_lookup(OrgNode.Kind)
    classes = _choice_lookup(OrgNode.SubBranchClass)
    rows: list[OrgRow] = []
    try:
        for frame in tabular.read_table_chunks(
            content, filename, ORG_TREE_COLUMNS, max_rows=settings.UPLOAD_MAX_ROWS, chunk_rows=CHUNK_ROWS
        ):
            texts = {spec.field: tabular.normalize_series(frame[spec.field]).tolist() for spec in ORG_TREE_COLUMNS}
            rows.extend(_rows_of(frame[tabular.ROW].tolist(), texts, kinds, classes))
    except tabular.TableError as exc:
        raise DomainError(exc.code, exc.detail) from None
    if not rows:
        raise DomainError(ErrorCode.NO_DATA_ROWS, _("%(file)s has a header but no data rows.") % {"file": filename})
    return rows


def _rows_of(
    numbers: list[int], texts: dict[str, list[str]], kinds: dict[str, str], classes: dict[str, str]
) -> list[OrgRow]:
    """A chunk's rows: its row numbers and each column's normalised cells."""
    return [
        OrgRow(
            row=int(row),
            code=code,
            name=name,
            kind=kinds.get(_key(kind), kind),
            parent_code=parent_code,
            sub_branch_class=classes.get(_key(klass), klass),
        )
        for row, code, name, kind, parent_code, klass in zip(
            numbers,
            texts["code"],
            texts["name"],
            texts["kind"],
            texts["parent_code"],
            texts["sub_branch_class"],
            strict=True,
        )
    ]


def _key(text: str) -> str:
    return normalize_text(text).casefold().replace("-", "_").replace(" ", "_")


def _choice_lookup(choices: type[models.TextChoices]) -> dict[str, str]:
    """Each way of writing a choice (its code, its English and Chinese names) → its code."""
    lookup: dict[str, str] = {}
    for value, label in zip(choices.values, choices.labels, strict=True):
        lookup[_key(value)] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                lookup[_key(str(label))] = value
    return lookup
