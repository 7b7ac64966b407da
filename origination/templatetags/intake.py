from django import template

from origination.importers import FARMER_COLUMNS

register = template.Library()
_HEADERS = {spec.field: spec.aliases[0] for spec in FARMER_COLUMNS}


@register.filter
def column_label(field: str) -> str:
    """The header the anchor's file uses for a field (身份证号 for id_number)."""
    return _HEADERS.get(field, field)
