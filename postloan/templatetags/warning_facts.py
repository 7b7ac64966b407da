"""A warning's fact on a page, as the viewer may read it (``postloan.services.warning_fact``)."""

from __future__ import annotations

from typing import Any

from django import template

from partners.auth import acting_user
from postloan.models import RiskWarning
from postloan.services import warning_fact as fact_for_viewer

register = template.Library()


@register.simple_tag(takes_context=True)
def warning_fact(context: dict[str, Any], warning: RiskWarning) -> str:
    return fact_for_viewer(warning, acting_user(context["request"]))
