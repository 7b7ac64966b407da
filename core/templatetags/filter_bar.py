"""What the filter bar's includes (templates/filter_bar/) need beyond Django's own tags."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

register = template.Library()


@register.filter
def as_choices(objects: Iterable[object], attributes: str) -> list[tuple[object, object]]:
    """The (value, text) pairs of a drop-down's options, from objects such as a queryset's:
    ``rules|as_choices:"code,name"`` takes the value from ``code`` and the text from ``name``;
    ``programs|as_choices:"pk"`` takes the text from the object's ``str``."""
    value_attribute, _, text_attribute = attributes.partition(",")
    return [
        (getattr(item, value_attribute), getattr(item, text_attribute) if text_attribute else str(item))
        for item in objects
    ]
