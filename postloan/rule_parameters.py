"""A warning rule's parameters (预警规则参数): their names, kinds and ranges, and the check of an edit.

An administrator edits a rule's parameters as JSON; the close of business reads them the next night.
So an edit is checked when it is made, never at the close: every name must be one of the rule's, every
value of its kind and within its range.

The schema of a rule follows from the defaults it declares (``postloan.rules.RuleDefinition.parameters``):
a default that is a whole number makes a whole-number parameter, a default written as decimal text
(``"0.5"``) a decimal one, and ``RANGES`` gives the bounds of each parameter name. A parameter left out
keeps its default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from core.error_codes import ErrorCode
from core.errors import DomainError

# The bounds of each parameter name any rule uses, inclusive. A new rule whose defaults name another
# parameter fails at import until its bounds are written here.
RANGES: dict[str, tuple[Decimal, Decimal]] = {
    "days": (Decimal(1), Decimal(365)),  # a window of days: maturity ahead, orders, checks, outbreaks
    "lookback_days": (Decimal(1), Decimal(3650)),  # how far back an event still counts
    "months": (Decimal(1), Decimal(24)),  # months of orders averaged (a divisor: never 0)
    "ratio": (Decimal("0.01"), Decimal(1)),  # a share of a base: orders, limits, guarantee capacity
    "lenders": (Decimal(2), Decimal(50)),  # lenders at once that make multi-lending
    "max_age": (Decimal(18), Decimal(100)),  # a borrower's age at maturity
}
DECIMAL_PLACES = 4


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter of a rule: its name, whether it is whole or decimal, and its bounds (inclusive)."""

    name: str
    whole: bool
    low: Decimal
    high: Decimal


def parameter_schema(defaults: Mapping[str, Any]) -> tuple[ParameterSpec, ...]:
    """The schema of a rule whose defaults are ``defaults``; refuses a default of no known kind or range."""
    schema = []
    for name, default in sorted(defaults.items()):
        if name not in RANGES:
            raise ValueError(f"parameter {name!r} has no range in postloan.rule_parameters.RANGES")
        if isinstance(default, bool) or not isinstance(default, int | str):
            raise ValueError(f"parameter {name!r}: a default is a whole number or decimal text, not {default!r}")
        low, high = RANGES[name]
        spec = ParameterSpec(name=name, whole=isinstance(default, int), low=low, high=high)
        if _checked_value(spec, default) is None:
            raise ValueError(f"parameter {name!r}: the default {default!r} lies outside its own range")
        schema.append(spec)
    return tuple(schema)


def parameters_checked(*, rule_code: str, schema: Sequence[ParameterSpec], values: object) -> dict[str, int | str]:
    """``values`` as stored (a decimal as its text), when each is a parameter of the rule, of its kind and
    within its range; otherwise ``invalid_parameter`` with a sentence naming the first that is not."""
    if not isinstance(values, dict):
        raise DomainError(
            ErrorCode.INVALID_PARAMETER, _('Write the parameters as names and values, like {"days": 30}.')
        )
    specs = {spec.name: spec for spec in schema}
    checked: dict[str, int | str] = {}
    for name, value in values.items():
        spec = specs.get(name)
        if spec is None:
            raise DomainError(ErrorCode.INVALID_PARAMETER, _unknown_name(rule_code, str(name), list(specs)))
        value_checked = _checked_value(spec, value)
        if value_checked is None:
            raise DomainError(ErrorCode.INVALID_PARAMETER, _out_of_kind_or_range(spec))
        checked[name] = value_checked
    return checked


def _checked_value(spec: ParameterSpec, value: object) -> int | str | None:
    """The value as stored, or None when it is not of the parameter's kind or lies outside its range."""
    if isinstance(value, bool):  # JSON's true and false are not numbers, though Python counts them as ints
        return None
    if spec.whole:
        return value if isinstance(value, int) and spec.low <= value <= spec.high else None
    if not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    exponent = number.as_tuple().exponent
    if not number.is_finite() or not isinstance(exponent, int) or -exponent > DECIMAL_PLACES:
        return None
    return str(number) if spec.low <= number <= spec.high else None


def _unknown_name(rule_code: str, name: str, names: list[str]) -> str:
    if not names:
        return _("The rule %(rule)s takes no parameters.") % {"rule": rule_code}
    return _("The rule %(rule)s has no parameter %(name)s; its parameters are: %(names)s.") % {
        "rule": rule_code,
        "name": name,
        "names": ", ".join(names),
    }


def _out_of_kind_or_range(spec: ParameterSpec) -> str:
    if spec.whole:
        return _("%(name)s must be a whole number from %(low)s to %(high)s.") % {
            "name": spec.name,
            "low": spec.low,
            "high": spec.high,
        }
    return _('%(name)s must be a decimal from %(low)s to %(high)s with at most %(places)s decimals, like "0.5".') % {
        "name": spec.name,
        "low": spec.low,
        "high": spec.high,
        "places": DECIMAL_PLACES,
    }
