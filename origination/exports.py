"""The row-errors download: each refused cell with the row as it was sent (written by ``core.exports``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db import models
from django.http import HttpResponse
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.exports import xlsx_response
from core.templatetags.figures import sent_value
from origination.importers import COLUMN_ORDER, FARMER_COLUMNS
from partners.models import User
from partners.scoping import is_anchor_operator
from partners.services.farmers import can_view_identity

FULL_NUMBER_COLUMNS = ("id_number", "phone")


def row_errors_xlsx(
    filename: str, errors: Iterable[dict[str, Any]], *, actor: User, subject: models.Model
) -> HttpResponse:
    """Each refused cell: row, column, reason, then the whole row as the anchor sent it.

    Identity and phone numbers are masked unless the user may see them in full; a copy with the full
    numbers leaves an audit row, as a reveal on the farmer's page does. The error codes are for staff:
    an anchor operator's copy has the reasons only.
    """
    reveal = can_view_identity(actor)
    codes = not is_anchor_operator(actor)
    column_names = {spec.field: spec.aliases[0] for spec in FARMER_COLUMNS}
    headers = [_("row"), _("column"), *([_("code")] if codes else []), _("reason")]
    headers += [column_names[c] for c in COLUMN_ORDER]
    revealed = 0  # rows written with a full identity or phone number

    def rows() -> Iterator[list[Any]]:
        nonlocal revealed
        for error in errors:
            original = error.get("original") or {}
            if reveal and any(original.get(column) for column in FULL_NUMBER_COLUMNS):
                revealed += 1
            yield [
                error["row"],
                column_names.get(error["column"], error["column"]),
                *([error["code"]] if codes else []),
                error["detail"],
                *[_cell(original, column, reveal) for column in COLUMN_ORDER],
            ]

    response = xlsx_response(filename, headers, rows())
    if revealed:
        audit_record(actor=actor, action=AuditAction.IDENTITY_EXPORT, subject=subject, file=filename, rows=revealed)
    return response


def _cell(original: dict[str, str] | None, column: str, reveal: bool) -> str:
    value = (original or {}).get(column, "")
    return value if reveal else sent_value(original, column)
