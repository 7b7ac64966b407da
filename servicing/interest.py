"""Servicing arithmetic (按月付息, 到期还本) and its reference model.

The daily SQL job must give the same numbers as this module, so the formulas
are kept exact and in one place:

* interest accrues on *principal-days*: the sum over days of end-of-day
  principal, an exact ``Decimal`` with no division;
* a charge is ``principal-days × annual rate / 360`` (actual/360), rounded
  half-up to the fen once per charge, never per day;
* the days that accrue are those from disbursement to maturity, both
  inclusive, whose end-of-day principal is positive (so the disbursement day
  counts and the day of a full repayment does not); after maturity only the
  overdue principal accrues, at the penalty rate, from the day after maturity.

:class:`ReferenceLoan` is a small, slow, obviously-correct simulator of one
loan, used by tests and property tests as the yardstick for the real job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from core.money import FEN, ZERO, money

# The charge's formula sits below origination, whose drawdown page estimates a loan's interest with it.
from origination.schedule import DAY_COUNT as DAY_COUNT
from origination.schedule import interest_charge as interest_charge
from origination.schedule import maturity_date, settlement_dates
from servicing.waterfall import Allocation, Owed, allocate

DEFAULT_MARKUP = Decimal("0.50")


def accrual_days(start: date, end: date) -> int:
    """Days from ``start`` to ``end``, both inclusive (5–20 March is 16 days)."""
    days = (end - start).days + 1
    if days < 0:
        raise ValueError("end is more than a day before start")
    return days


def penalty_charge(overdue_principal_days: Decimal, annual_rate: Decimal, markup: Decimal) -> Decimal:
    """Penalty interest (罚息) on overdue principal: the loan rate × (1 + markup), actual/360."""
    if overdue_principal_days < 0 or annual_rate < 0 or markup < 0:
        raise ValueError("principal-days, rate and markup cannot be negative")
    return money(overdue_principal_days * annual_rate * (1 + markup) / DAY_COUNT)


@dataclass(frozen=True)
class LoanTerms:
    """What was agreed at disbursement."""

    amount: Decimal
    disbursed_on: date
    maturity_on: date
    annual_rate: Decimal
    markup: Decimal
    settlements: tuple[date, ...]

    def next_interest_date(self, on: date) -> date:
        """The next date interest falls due on or after ``on``: a 20th or maturity."""
        return next((d for d in self.settlements if d >= on), self.maturity_on)


@dataclass
class Receivable:
    """An interest charge and the part of it still unpaid."""

    due_on: date
    amount: Decimal


@dataclass(frozen=True)
class Charge:
    """One posted charge, with the principal-days behind it (for tracing)."""

    on: date
    kind: str  # "interest" or "penalty"
    principal_days: Decimal
    amount: Decimal


@dataclass
class ReferenceLoan:
    """One loan, day by day: ``disburse``, then ``repay`` and ``close_day`` per business day.

    A business day is the day after the last closed one; repayments happen
    during it, then ``close_day`` ends it. Amounts are state, dates are
    arguments: what is *overdue* on a date is whatever fell due before it.
    """

    terms: LoanTerms | None = None
    principal_outstanding: Decimal = ZERO
    principal_repaid: Decimal = ZERO
    principal_days: Decimal = ZERO  # accrued since the last interest charge
    penalty_principal_days: Decimal = ZERO  # accrued since the last penalty charge
    penalty_due: Decimal = ZERO
    interest_items: list[Receivable] = field(default_factory=list)
    interest_paid: Decimal = ZERO
    penalty_paid: Decimal = ZERO
    charges: list[Charge] = field(default_factory=list)
    closed_through: date | None = None
    compensated: Decimal = ZERO  # paid by the anchor for the farmer (month-end deduction or its own funds)
    recovered: Decimal = ZERO  # paid back by the farmer to the anchor (追偿)

    # -- state ---------------------------------------------------------------

    def _terms(self) -> LoanTerms:
        if self.terms is None:
            raise ValueError("the loan has not been disbursed")
        return self.terms

    @property
    def interest_due(self) -> Decimal:
        """Interest charged and unpaid, overdue or not."""
        return sum((item.amount for item in self.interest_items), ZERO)

    @property
    def interest_charged(self) -> Decimal:
        return sum((c.amount for c in self.charges if c.kind == "interest"), ZERO)

    @property
    def penalty_charged(self) -> Decimal:
        return sum((c.amount for c in self.charges if c.kind == "penalty"), ZERO)

    @property
    def business_day(self) -> date:
        """The day now open: repayments go to it, ``close_day`` ends it."""
        if self.closed_through is None:
            return self._terms().disbursed_on
        return self.closed_through + timedelta(days=1)

    # -- events --------------------------------------------------------------

    def disburse(
        self,
        amount: Decimal,
        on: date,
        term_months: int,
        annual_rate: Decimal,
        markup: Decimal = DEFAULT_MARKUP,
    ) -> None:
        if self.terms is not None:
            raise ValueError("the loan is already disbursed")
        if amount <= 0 or amount != amount.quantize(FEN):
            raise ValueError("the amount must be positive, in fen")
        if annual_rate < 0 or markup < 0:
            raise ValueError("rate and markup cannot be negative")
        maturity_on = maturity_date(on, term_months)
        self.terms = LoanTerms(
            amount=amount,
            disbursed_on=on,
            maturity_on=maturity_on,
            annual_rate=annual_rate,
            markup=markup,
            settlements=tuple(settlement_dates(on, maturity_on)),
        )
        self.principal_outstanding = amount

    def close_day(self, d: date) -> None:
        """Close of business of ``d``: accrue the day, post the charges due on it."""
        t = self._terms()
        if d != self.business_day:
            raise ValueError(f"the day to close is {self.business_day}, not {d}")
        if d <= t.maturity_on:
            self.principal_days += self.principal_outstanding
            if d in t.settlements or d == t.maturity_on:
                self._charge_interest(d, due_on=d)
        elif self.principal_outstanding > 0:
            # Principal fell due at maturity: from the day after, all of it is overdue.
            self.penalty_principal_days += self.principal_outstanding
        self.closed_through = d

    def owed(self, on: date) -> Owed:
        """What is owed on ``on`` from the charges posted so far."""
        t = self._terms()
        after_maturity = on > t.maturity_on
        return Owed(
            penalty=self.penalty_due,
            overdue_interest=sum((i.amount for i in self.interest_items if i.due_on < on), ZERO),
            overdue_principal=self.principal_outstanding if after_maturity else ZERO,
            current_interest=sum((i.amount for i in self.interest_items if i.due_on >= on), ZERO),
            current_principal=ZERO if after_maturity else self.principal_outstanding,
        )

    def payoff(self, on: date) -> Owed:
        """What a repayment on ``on`` would face: ``owed`` plus interest and penalty accrued to yesterday."""
        t = self._terms()
        owed = self.owed(on)
        return Owed(
            penalty=owed.penalty + penalty_charge(self.penalty_principal_days, t.annual_rate, t.markup),
            overdue_interest=owed.overdue_interest,
            overdue_principal=owed.overdue_principal,
            current_interest=owed.current_interest + interest_charge(self.principal_days, t.annual_rate),
            current_principal=owed.current_principal,
        )

    def repay(self, amount: Decimal, on: date) -> Allocation:
        """A repayment during business day ``on``.

        Accrued interest and penalty up to yesterday's close are charged first
        (interest to that day is paid before principal); the charged interest
        falls due on the next 20th or at maturity, so a small payment does not
        make it overdue early. Then the waterfall allocates the payment. An
        overpayment is refused before anything changes.
        """
        t = self._terms()
        if on != self.business_day:
            raise ValueError(f"the open business day is {self.business_day}, not {on}")
        allocation = allocate(amount, self.payoff(on))
        self._charge_interest(on, due_on=t.next_interest_date(on))
        self._charge_penalty(on)
        self.penalty_due -= allocation.penalty
        self.penalty_paid += allocation.penalty
        self._pay_interest(allocation.overdue_interest, lambda due_on: due_on < on)
        self._pay_interest(allocation.current_interest, lambda due_on: due_on >= on)
        self.interest_paid += allocation.interest
        self.principal_outstanding -= allocation.principal
        self.principal_repaid += allocation.principal
        return allocation

    def anchor_owed(self, on: date) -> Owed:
        """What the anchor answers for on ``on``: penalty (accrued to yesterday), overdue interest and principal."""
        payoff = self.payoff(on)
        return Owed(
            penalty=payoff.penalty,
            overdue_interest=payoff.overdue_interest,
            overdue_principal=payoff.overdue_principal,
        )

    def compensate(self, amount: Decimal, on: date) -> Allocation:
        """The anchor pays ``amount`` of the overdue for the farmer during business day ``on``.

        The penalty accrued to yesterday is charged first (interest is not: the current instalments
        stay the farmer's); then the waterfall over the overdue buckets only.
        """
        if on != self.business_day:
            raise ValueError(f"the open business day is {self.business_day}, not {on}")
        allocation = allocate(amount, self.anchor_owed(on))
        self._charge_penalty(on)
        self.penalty_due -= allocation.penalty
        self._pay_interest(allocation.overdue_interest, lambda due_on: due_on < on)
        self.principal_outstanding -= allocation.principal
        self.compensated += amount
        return allocation

    def farmer_pays(self, amount: Decimal, on: date) -> tuple[Decimal, Allocation | None]:
        """A farmer's payment: first what he owes the anchor for what it paid for him, then ``repay``."""
        to_anchor = min(amount, self.compensated - self.recovered)
        rest = amount - to_anchor
        allocation = self.repay(rest, on) if rest > 0 else None  # refuses an overpayment before any change
        self.recovered += to_anchor
        return to_anchor, allocation

    def dpd(self, on: date) -> int:
        """Days from the oldest unpaid due date to ``on``; due yesterday and unpaid gives 1.

        Penalty is left out: it accrues only on principal that is already
        overdue, whose due date is older.
        """
        t = self._terms()
        due_dates = [i.due_on for i in self.interest_items if i.amount > 0]
        if self.principal_outstanding > 0:
            due_dates.append(t.maturity_on)
        overdue = [d for d in due_dates if d < on]
        return (on - min(overdue)).days if overdue else 0

    # -- helpers -------------------------------------------------------------

    def _charge_interest(self, on: date, *, due_on: date) -> None:
        """Post accrued interest as one charge (one rounding), even when it rounds to 0.00."""
        if self.principal_days == 0:
            return
        amount = interest_charge(self.principal_days, self._terms().annual_rate)
        self.charges.append(Charge(on, "interest", self.principal_days, amount))
        self.principal_days = ZERO
        if amount > 0:
            self.interest_items.append(Receivable(due_on, amount))

    def _charge_penalty(self, on: date) -> None:
        if self.penalty_principal_days == 0:
            return
        t = self._terms()
        amount = penalty_charge(self.penalty_principal_days, t.annual_rate, t.markup)
        self.charges.append(Charge(on, "penalty", self.penalty_principal_days, amount))
        self.penalty_principal_days = ZERO
        self.penalty_due += amount

    def _pay_interest(self, amount: Decimal, which: Callable[[date], bool]) -> None:
        """Settle the oldest matching interest charges first."""
        for item in sorted(self.interest_items, key=lambda i: i.due_on):
            if amount == 0:
                break
            if which(item.due_on):
                part = min(amount, item.amount)
                item.amount -= part
                amount -= part
        self.interest_items = [i for i in self.interest_items if i.amount > 0]
