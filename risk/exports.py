"""The conflicts of a delivery as a workbook (written by ``core.exports``), for the data team and the provider.

Subjects are masked as on the page (``risk.conflicts``): the file leaves the bank, so no identity number
in full, and no reveal to audit. Codes (the event types) stay as the provider wrote them: it is his
vocabulary; amounts and values are numbers, dates dates, so that the sheet can be sorted and summed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from core.exports import xlsx_response
from risk.conflicts import conflict_kind, conflict_views, field_labels
from risk.models import ProviderDelivery

CHUNK = 2_000  # conflicts read (and their subjects looked up) at a time


def conflicts_xlsx(delivery: ProviderDelivery) -> HttpResponse:
    kind = conflict_kind(delivery.kind)
    labels = field_labels(kind)
    names = [name for name, _column in kind.shown]
    key_label = _("order number") if delivery.kind == ProviderDelivery.Kind.TRADES else _("event number")
    headers: list[str] = [_("row"), key_label]
    for name in names:
        headers += [
            _("%(field)s, stored") % {"field": labels[name]},
            _("%(field)s, received") % {"field": labels[name]},
        ]

    def rows() -> Iterator[list[Any]]:
        records = delivery.conflict_records.order_by("row", "id")
        start = 0
        while chunk := list(records[start : start + CHUNK]):
            start += len(chunk)
            for view in conflict_views(delivery, chunk):
                cells: list[Any] = [view.row, view.key]
                for name in names:
                    cells += [_typed(name, view.stored.get(name)), _typed(name, view.received.get(name))]
                yield cells

    return xlsx_response(f"delivery-{delivery.pk}-conflicts.xlsx", headers, rows())


def _typed(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name.endswith("_date"):
        return dt.date.fromisoformat(value)
    if name in ("amount", "value"):
        return Decimal(value)
    return value
