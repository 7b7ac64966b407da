"""Reads of a programme's changes and of the versions its history holds, for the page and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from core.money import format_yuan
from origination.services.program_changes import HISTORY_REASON_PREFIX, parameter_kind
from partners.models import Program, ProgramChange, User
from partners.services.programs import PROGRAM_PARAMETERS, program_parameters_shown

HISTORY_VERSIONS_SHOWN = 100


def changes_shown(changes: QuerySet[ProgramChange], viewer: User) -> QuerySet[ProgramChange]:
    """The changes a viewer may read: an anchor operator is not told of a change of only what he may not see."""
    hidden = set(PROGRAM_PARAMETERS) - set(program_parameters_shown(viewer))
    if not hidden:
        return changes
    ids = [pk for pk, values in changes.values_list("id", "values") if set(values) - hidden]
    return changes.filter(pk__in=ids)


def parameter_label(name: str) -> str:
    return str(getattr(Program._meta.get_field(name), "verbose_name", name))


def parameter_display(name: str, value: Any) -> str:
    """A parameter as the page shows it: yuan with separators, a ratio in per cent, a count or a score as is."""
    kind = parameter_kind(name)
    if value is None or value == "":
        return "—"
    number = Decimal(str(value))
    if kind == "money":
        return format_yuan(number)
    if kind == "integer":
        return str(int(number))
    if kind == "score":
        return f"{number.normalize():f}"
    return f"{number * 100:.2f}%"


def values_moved(previous: dict[str, Any], values: dict[str, Any], viewer: User) -> list[tuple[str, str, str]]:
    """(label, before, after) of each parameter of a change the viewer may read, in the programme's order."""
    shown = [name for name in program_parameters_shown(viewer) if name in values]
    return [
        (parameter_label(name), parameter_display(name, previous.get(name)), parameter_display(name, values[name]))
        for name in shown
    ]


@dataclass
class Version:
    """One version of the programme's parameters: when, who, and each parameter that moved (old → new)."""

    number: int
    recorded_at: Any
    user: User | None
    created: bool
    change: ProgramChange | None = None
    moved: list[tuple[str, str, str]] = field(default_factory=list)  # (label, before, after)


def parameter_versions(program: Program, viewer: User) -> list[Version]:
    """The programme's versions whose parameters differ from the one before (its creation first), newest first.

    simple_history keeps a version at every save (a status moved by the breaker too); only those in which a
    parameter the viewer may read changed are versions of the parameters.
    """
    shown = program_parameters_shown(viewer)
    records = list(program.history.select_related("history_user").order_by("history_date", "history_id"))
    records = records[-HISTORY_VERSIONS_SHOWN * 5 :]
    change_ids = [
        int(record.history_change_reason.removeprefix(HISTORY_REASON_PREFIX))
        for record in records
        if (record.history_change_reason or "").startswith(HISTORY_REASON_PREFIX)
    ]
    changes = ProgramChange.objects.select_related("proposed_by", "decided_by").in_bulk(change_ids)
    versions: list[Version] = []
    before = None
    for record in records:
        reason = record.history_change_reason or ""
        change = (
            changes.get(int(reason.removeprefix(HISTORY_REASON_PREFIX)))
            if reason.startswith(HISTORY_REASON_PREFIX)
            else None
        )
        if before is None or record.history_type == "+":
            versions.append(Version(len(versions) + 1, record.history_date, record.history_user, True, change))
        else:
            moved = [
                (
                    parameter_label(name),
                    parameter_display(name, getattr(before, name)),
                    parameter_display(name, getattr(record, name)),
                )
                for name in shown
                if getattr(before, name) != getattr(record, name)
            ]
            if moved:
                versions.append(
                    Version(len(versions) + 1, record.history_date, record.history_user, False, change, moved)
                )
        before = record
    return list(reversed(versions[-HISTORY_VERSIONS_SHOWN:]))
