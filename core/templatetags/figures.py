"""Figures as Chinese pages show them: 元 with thousands separators, 万元, percentages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import template

from core.masking import mask_id_number, mask_phone, mask_region_code
from core.money import format_wan, format_yuan

register = template.Library()


@register.filter
def yuan(value: Decimal | int | str | None) -> str:
    if value is None or value == "":
        return "—"
    return format_yuan(Decimal(value))


@register.filter
def wan(value: Decimal | int | str | None) -> str:
    if value is None or value == "":
        return "—"
    return format_wan(Decimal(value))


@register.filter
def percent(value: Decimal | int | str | None, places: int = 2) -> str:
    if value is None or value == "":
        return "—"
    return f"{Decimal(value) * 100:.{int(places)}f}%"


@register.filter
def masked_id(value: str | None) -> str:
    return mask_id_number(value)


@register.filter
def masked_phone(value: str | None) -> str:
    return mask_phone(value)


PERSONAL_COLUMNS = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "subject_id": mask_id_number,
    "region_code": mask_region_code,  # beside a masked number it would tell two of the hidden digits
}


@register.filter
def sent_value(original: dict[str, str] | None, column: str) -> str:
    """The cell as the user sent it; identity and phone numbers masked."""
    value = (original or {}).get(column, "")
    mask = PERSONAL_COLUMNS.get(column)
    return mask(value) if mask and value else value


@register.filter
def days_since(value: date | None, today: date) -> int | str:
    """Days from ``value`` to ``today`` (DPD from the oldest unpaid due date); blank when there is none."""
    if value is None or value >= today:
        return ""
    return (today - value).days
