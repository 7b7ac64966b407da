"""Repayment waterfall (还款顺序): which debt a payment settles first.

Order: penalty, overdue interest, overdue principal, current interest, current
principal. Older and costlier debts go first so that a partial payment stops
the penalty clock as soon as it can.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

from core.money import FEN, ZERO


@dataclass(frozen=True)
class Owed:
    """What a borrower owes on the repayment day, bucket by bucket."""

    penalty: Decimal = ZERO
    overdue_interest: Decimal = ZERO
    overdue_principal: Decimal = ZERO
    current_interest: Decimal = ZERO
    current_principal: Decimal = ZERO

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) < 0:
                raise ValueError(f"{f.name} owed cannot be negative")

    @property
    def total(self) -> Decimal:
        return (
            self.penalty
            + self.overdue_interest
            + self.overdue_principal
            + self.current_interest
            + self.current_principal
        )


@dataclass(frozen=True)
class Allocation:
    """How one payment was split over the buckets of :class:`Owed`."""

    penalty: Decimal = ZERO
    overdue_interest: Decimal = ZERO
    overdue_principal: Decimal = ZERO
    current_interest: Decimal = ZERO
    current_principal: Decimal = ZERO

    @property
    def interest(self) -> Decimal:
        return self.overdue_interest + self.current_interest

    @property
    def principal(self) -> Decimal:
        return self.overdue_principal + self.current_principal

    @property
    def total(self) -> Decimal:
        return self.penalty + self.interest + self.principal


class Overpayment(ValueError):
    """A payment above what is owed: refused, never kept as a credit balance."""

    def __init__(self, payment: Decimal, owed_total: Decimal) -> None:
        super().__init__(f"payment {payment} is more than the {owed_total} owed")
        self.payment = payment
        self.owed_total = owed_total


# The waterfall, first bucket first; the names are the fields of Owed and Allocation.
ORDER: tuple[str, ...] = (
    "penalty",
    "overdue_interest",
    "overdue_principal",
    "current_interest",
    "current_principal",
)


def allocate(payment: Decimal, owed: Owed) -> Allocation:
    """Split ``payment`` over ``owed`` in waterfall order; the whole payment is always used."""
    if not payment.is_finite() or payment <= 0:
        raise ValueError("a payment must be a positive amount")
    if payment != payment.quantize(FEN):
        raise ValueError("a payment has at most two decimal places")
    if payment > owed.total:
        raise Overpayment(payment, owed.total)
    left = payment
    parts: dict[str, Decimal] = {}
    for name in ORDER:
        owed_here: Decimal = getattr(owed, name)
        part = min(left, owed_here)
        parts[name] = part
        left -= part
    return Allocation(**parts)
