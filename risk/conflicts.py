"""Provider records that contradict what is stored (``conflicting_duplicate``): what they compare and how they read.

A record's key (the order number per anchor, the event number per provider)
already stored with other content is a conflict. The content is what the
bank's rules read: for an order the farmer, the date and the amount; for an
event the subject, the type, the date and the value. An event's free-text
``detail`` is not part of it: a provider re-wording a description has not
changed the fact, and such a record is a duplicate.

``ProviderConflict.stored`` and ``received`` hold the two versions with the
subject as its keyed hash, never the number. People see the subject as the
masked identity number of the farmer with that hash, an enterprise subject as
the anchor with that credit code, and any other as a short prefix of the hash.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NotRequired

from django.utils.translation import gettext as _

from core.error_codes import ErrorCode
from core.masking import pii_hash
from partners.models import Anchor, Farmer
from risk.importers import RowError
from risk.models import EventType, ProviderConflict, ProviderDelivery

HASH_PREFIX = 10  # characters of a hash shown for a subject the bank does not know


@dataclass(frozen=True)
class ConflictKind:
    """What a kind of record compares. ``shown`` maps each JSON name to its column; the first is the subject."""

    key: str
    shown: tuple[tuple[str, str], ...]

    @property
    def compared(self) -> tuple[str, ...]:
        return tuple(column for _name, column in self.shown)

    @property
    def subject(self) -> str:
        return self.shown[0][0]


TRADE_CONFLICT = ConflictKind(
    key="order_no",
    shown=(("farmer", "id_hash"), ("order_date", "order_date"), ("amount", "amount")),
)
EVENT_CONFLICT = ConflictKind(
    key="event_id",
    shown=(
        ("subject", "subject_hash"),
        ("event_type", "event_type"),
        ("event_date", "event_date"),
        ("value", "value"),
    ),
)


def conflict_kind(delivery_kind: str) -> ConflictKind:
    return TRADE_CONFLICT if delivery_kind == ProviderDelivery.Kind.TRADES else EVENT_CONFLICT


def json_of(kind: ConflictKind, alias: str) -> str:
    """SQL: the record's content under ``alias`` as a JSON object; dates and numbers as exact text."""
    parts = []
    for name, column in kind.shown:
        value = f"{alias}.{column}"
        if column.endswith("_date"):
            value = f"to_char({value}, 'YYYY-MM-DD')"
        elif column in ("amount", "value"):
            value = f"{value}::text"
        parts.append(f"'{name}', {value}")
    return f"jsonb_build_object({', '.join(parts)})"


class ConflictError(RowError):
    """A row error of code ``conflicting_duplicate``, with both versions (subject masked)."""

    stored: NotRequired[dict[str, Any]]
    received: NotRequired[dict[str, Any]]


@dataclass(frozen=True)
class ConflictView:
    """One conflict as a page or a download shows it: both versions, the subject masked."""

    row: int | None
    key: str
    stored: dict[str, Any]
    received: dict[str, Any]
    kind: ConflictKind

    @property
    def cells(self) -> list[ConflictCell]:
        """Each compared field: its label and the two versions as text, for a page."""
        stored = version_cells(self.kind, self.stored)
        received = version_cells(self.kind, self.received)
        return [ConflictCell(label, old, new) for (label, old), (_label, new) in zip(stored, received, strict=True)]


@dataclass(frozen=True)
class ConflictCell:
    label: str
    stored: str
    received: str

    @property
    def differs(self) -> bool:
        return self.stored != self.received


def conflict_views(delivery: ProviderDelivery, conflicts: Iterable[ProviderConflict]) -> list[ConflictView]:
    """The conflicts with their subjects masked (one query for the farmers of the whole list)."""
    conflicts = list(conflicts)
    kind = conflict_kind(delivery.kind)
    hashes = {c.stored.get(kind.subject) for c in conflicts} | {c.received.get(kind.subject) for c in conflicts}
    names = subject_names({value for value in hashes if value})

    def shown(values: dict[str, Any]) -> dict[str, Any]:
        subject = values.get(kind.subject) or ""
        return {**values, kind.subject: names.get(subject, subject)}

    return [ConflictView(c.row, c.key, shown(c.stored), shown(c.received), kind) for c in conflicts]


def subject_names(hashes: set[str]) -> dict[str, str]:
    """Each hash as people may see it: a farmer's masked number, an anchor's name, or a short prefix."""
    names = {value: f"#{value[:HASH_PREFIX]}" for value in hashes}
    if not hashes:
        return names
    names.update(Farmer.objects.filter(id_hash__in=hashes).values_list("id_hash", "id_masked"))
    # An enterprise subject is hashed from its credit code; anchors are few, so hash theirs to match.
    for uscc, name in Anchor.objects.values_list("uscc", "name"):
        found = pii_hash(uscc)
        if found in hashes:
            names[found] = name
    return names


def conflict_errors(delivery: ProviderDelivery, *, limit: int) -> list[ConflictError]:
    """The delivery's first ``limit`` conflicts, in row order, as items of an answer's ``errors``."""
    kind = conflict_kind(delivery.kind)
    records = ProviderConflict.objects.filter(delivery=delivery).order_by("row", "id")[:limit]
    errors: list[ConflictError] = []
    for view in conflict_views(delivery, records):
        errors.append(
            {
                "row": view.row or 0,
                "column": kind.key,
                "code": ErrorCode.CONFLICTING_DUPLICATE.value,
                "detail": conflict_detail(kind, view),
                "stored": view.stored,
                "received": view.received,
            }
        )
    return errors


def conflict_detail(kind: ConflictKind, view: ConflictView) -> str:
    """The sentence beside the row: the key, the stored version and the received one."""
    if kind is TRADE_CONFLICT:
        template = _(
            "Order %(key)s is already stored with other content: stored %(stored)s; received %(received)s. "
            "The stored order is kept and the received one is not stored."
        )
    else:
        template = _(
            "Event %(key)s is already stored with other content: stored %(stored)s; received %(received)s. "
            "The stored event is kept and the received one is not stored."
        )
    return template % {
        "key": view.key,
        "stored": version_text(kind, view.stored),
        "received": version_text(kind, view.received),
    }


def version_text(kind: ConflictKind, values: dict[str, Any]) -> str:
    return ", ".join(f"{label} {value}" for label, value in version_cells(kind, values))


def version_cells(kind: ConflictKind, values: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(label, value) of each compared field, in the contract's order, for a sentence or a table."""
    labels = field_labels(kind)
    for name, _column in kind.shown:
        value = values.get(name)
        if name == "event_type" and value in EventType.values:
            value = EventType(value).label
        yield labels[name], "—" if value in (None, "") else str(value)


def field_labels(kind: ConflictKind) -> dict[str, str]:
    if kind is TRADE_CONFLICT:
        return {"farmer": _("farmer"), "order_date": _("order date"), "amount": _("order amount")}
    return {
        "subject": _("event subject"),
        "event_type": _("event type"),
        "event_date": _("event date"),
        "value": _("value"),
    }
