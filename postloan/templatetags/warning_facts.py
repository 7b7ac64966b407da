"""A warning's fact on a page, as the viewer may read it (``postloan.services.warning_fact``), in words.

The fact is stored as the rule's query gave it (``391.5``, ``2027-01-20``, ``enforcement 2026-11-03``); a
page shows it with the rule's label and unit (``逾期利息 391.50 元``) and an event by its Chinese name.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.translation import gettext as _

from core.money import format_yuan
from partners.auth import acting_user
from postloan.models import RiskWarning
from postloan.rules import RULES_BY_CODE
from postloan.services import warning_fact as fact_for_viewer
from risk.models import EventType

register = template.Library()


def fact_in_words(code: str, fact: str) -> str:
    """The stored fact of a warning of the rule ``code`` with its label and unit."""
    rule = RULES_BY_CODE.get(code)
    if rule is None or not fact:
        return fact
    value = fact
    if rule.fact_unit == "yuan":
        with contextlib.suppress(InvalidOperation):
            value = _("%(amount)s yuan") % {"amount": format_yuan(Decimal(fact))}
    elif rule.fact_unit == "event":
        kind, _space, day = fact.partition(" ")
        labels = dict(EventType.choices)
        value = f"{labels[kind]} {day}".strip() if kind in labels else fact
    return f"{_(rule.fact_label)} {value}" if rule.fact_label else value


@register.simple_tag(takes_context=True)
def warning_fact(context: dict[str, Any], warning: RiskWarning) -> str:
    shown = fact_for_viewer(warning, acting_user(context["request"]))
    if shown != warning.fact:  # the neutral sentence an anchor operator reads
        return shown
    return fact_in_words(warning.rule.code, shown)
