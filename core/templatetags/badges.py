"""A status badge's colour by what the status means, the same on every page (``text-bg-{{ s|status_badge }}``)."""

from __future__ import annotations

from django import template

register = template.Library()

# Every status, class and result the models know, by meaning: done and well (success), waiting for a
# person (warning), in progress (info), refused or bad (danger), over and done with (secondary).
_COLOURS = {
    "success": (
        "active",
        "approved",
        "normal",
        "matched",
        "ok",
        "done",
        "paid",
        "validated",
        "processed",
        "posted",
        "sent",
        "compensated",
        "cleared",
        "recommended",
        "passed",
        "applied",
        "anchor_paid",
        "delivered",
    ),
    "warning": (
        "pending",
        "submitted",
        "warning",
        "special_mention",
        "mismatch",
        "open",
        "uploaded",
        "review",
        "proposed",
        "pending_approval",
    ),
    "info": ("queued", "running", "processing", "sending"),
    "danger": (
        "rejected",
        "refused",
        "suspended",
        "substandard",
        "doubtful",
        "loss",
        "failed",
        "revoked",
        "confirmed_risk",
        "overdue",
        "claim",
        "issue",
        "frozen",
        "written_off",
    ),
    "secondary": ("closed", "withdrawn", "expired", "exited", "false_alarm", "no_trade_data", "none", ""),
}
STATUS_COLOURS = {status: colour for colour, statuses in _COLOURS.items() for status in statuses}


@register.filter
def status_badge(status: str | None) -> str:
    """The Bootstrap colour of a status's badge; an unknown status is grey."""
    return STATUS_COLOURS.get(str(status or ""), "secondary")
