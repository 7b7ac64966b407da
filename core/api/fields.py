"""Money as a string with two decimals ("1000.00"), ratios as a string ("0.30"), ids scoped to the user."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from core.api.scopes import scoped_queryset


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


class ScoreField(serializers.DecimalField):
    """A scorecard score, 0–100 with up to two decimals, written as given: 60 → "60", 75.5 → "75.5"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 5)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("max_value", Decimal(100))
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return f"{Decimal(value).normalize():f}"


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """The id of a row the user may see (``core.api.scopes``); any other id answers 404 ``not_found``.

    DRF's own field answers 400 "invalid pk" for an id that does not exist and accepts one that exists
    out of the user's reach, which tells the one from the other. Here both are simply not found. The
    ``queryset`` given names the model (and documents the field); the user's scope narrows it.
    """

    def get_queryset(self) -> QuerySet[Any]:
        base = super().get_queryset()
        assert base is not None, "give the queryset of the model whose ids the field takes"
        return scoped_queryset(base.model, self.context["request"].user)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            return self.get_queryset().get(pk=data)
        except (ObjectDoesNotExist, TypeError, ValueError):
            raise NotFound() from None
