"""Lookups the dashboard tables need: a product's figure in a row keyed by product id."""

from __future__ import annotations

from decimal import Decimal

from django import template

from postloan.dashboards.selectors import Penetration

register = template.Library()


@register.filter
def rate_of(item: Penetration, product_id: int) -> Decimal | None:
    return item.rate(product_id)


@register.filter
def holders_of(item: Penetration, product_id: int) -> int:
    return item.holders.get(product_id, 0)
