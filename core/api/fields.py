"""Money as a string with two decimals ("1000.00"), ratios as a string ("0.30")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers


class MoneyField(serializers.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)


class RatioField(serializers.DecimalField):
    """At least two decimals, no trailing zeros beyond them: 0.3 → "0.30", 0.0435 → "0.0435"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", 6)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        number = Decimal(value)
        text = f"{number.normalize():f}"
        whole, _, fraction = text.partition(".")
        return f"{whole}.{fraction.ljust(2, '0')}"
