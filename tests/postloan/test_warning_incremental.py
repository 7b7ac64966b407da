"""After its first run, a rule with ``changed_subjects`` looks only at what changed: the warnings stay those of a
whole run.

Each day the book changes through the services (drawdowns, a repayment, a
check done, orders in, a limit expiring) and dates cross the rules' windows;
each day's run is followed by a whole run of the same date, which must find
nothing to raise and nothing to clear.
"""

import datetime as dt
from decimal import Decimal

import pytest

from core.business_date import business_date_set
from origination.models import CreditLimit, Loan
from origination.services.drawdown import loan_disburse
from partners.services.margin import margin_deposit
from postloan.models import PostDrawdownCheck, RiskWarning, WarningRule
from postloan.rules import RULES
from postloan.services import postdrawdown_check_record
from postloan.warning_run import warnings_run
from servicing.services.repayments import loan_owed, repayment_record
from servicing.settlement import expire_limits
from servicing.write_off import write_off_approve, write_off_propose
from tests.factories import SOUND_BOOK_DAY as TODAY
from tests.factories import make_farmer, make_trades

SCOPED = {rule.code for rule in RULES if rule.changed_subjects is not None}


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def active(code: str) -> set[int]:
    return set(RiskWarning.objects.filter(rule__code=code, active=True).values_list("subject_id", flat=True))


def run_and_compare(on: dt.date) -> None:
    """The day's run, then a whole run of the same date: it must change nothing."""
    summary = warnings_run(on)
    assert set(summary.scoped) == SCOPED
    whole = warnings_run(on, full=True)
    assert whole.scoped == []
    missed = {f"{code} raised": n for code, n in whole.raised.items() if n}
    missed.update({f"{code} cleared": n for code, n in whole.cleared.items() if n})
    assert missed == {}, f"the run for {on} missed what the whole run then did"


def limit_for(farmer, program, users, amount: str, expires_on: dt.date, approved_on: dt.date = TODAY) -> CreditLimit:
    return CreditLimit.objects.create(
        farmer=farmer,
        program=program,
        amount=Decimal(amount),
        approved_on=approved_on,
        expires_on=expires_on,
        approved_by=users["approver"],
    )


@pytest.fixture
def changing_book(world, users):
    """The sound world plus an elderly farmer (no orders) and one with two limits, one of them short."""
    program = world["program"]
    margin_deposit(program=program, amount=Decimal("1000000.00"), actor=users["manager"])
    node = users["manager"].org_node
    elderly = make_farmer(node, body17="51152119600101123", name="王老汉", anchor=program.anchor)
    two_limits = make_farmer(node, body17="51152119850505234", name="李二", anchor=program.anchor)
    return {
        **world,
        "elderly": elderly,
        "elderly_limit": limit_for(elderly, program, users, "100000.00", day(400)),
        "two_limits": two_limits,
        "short_limit": limit_for(two_limits, program, users, "100000.00", day(20)),
        "long_limit": limit_for(two_limits, program, users, "100000.00", day(400)),
    }


def test_daily_runs_look_at_what_changed_and_agree_with_whole_runs(changing_book, users):
    book, manager = changing_book, users["manager"]
    warnings_run(day(0))  # the first run of each rule is whole
    assert WarningRule.objects.filter(code__in=SCOPED, evaluated_on=day(0)).count() == len(SCOPED)
    loans: dict[str, Loan] = {}
    raised_on: dict[tuple[str, str], dt.date] = {}
    watched = {
        "BORROWER_AGE": "elderly",
        "CALLBACK_MISSING": "elderly",
        "DRAWDOWN_NOT_VERIFIED": "elderly",
        "MATURITY_SOON": "two_limits",
    }
    # Daily for two months, then in steps of five days (a gap in the runs is looked at as one change).
    offsets = list(range(1, 62)) + list(range(65, 80, 5))
    for offset in offsets:
        business = day(offset - 1)  # the business of the day before, then that day's close runs the warnings
        business_date_set(new_date=business, backwards_allowed=True)
        if offset == 2:
            loans["elderly"] = loan_disburse(
                credit_limit=book["elderly_limit"], amount=Decimal("30000.00"), term_months=12, actor=manager
            )
            loans["two_limits"] = loan_disburse(
                credit_limit=book["long_limit"], amount=Decimal("96000.00"), term_months=2, actor=manager
            )
        if offset == 13:
            postdrawdown_check_record(loan=loans["elderly"], actor=manager, kind="phone_callback", result="ok")
        if offset == 30:
            make_trades(book["program"].anchor, book["elderly"].id_number, [(business, "5000.00")], prefix="E")
        if offset == 30:  # a new limit brings the usage down
            limit_for(book["two_limits"], book["program"], users, "50000.00", day(400), approved_on=business)
        if offset == 40:
            repayment_record(loan=loans["two_limits"], amount=Decimal("20000.00"), actor=manager)
        if offset == 50:  # the elderly farmer pays everything off
            owed = loan_owed(Loan.objects.get(pk=loans["elderly"].pk), business).total
            repayment_record(loan=loans["elderly"], amount=owed, actor=manager)
        expire_limits(business)
        run_and_compare(day(offset))
        for code, who in watched.items():
            if who in loans and loans[who].pk in active(code):
                raised_on.setdefault((code, who), day(offset))
        if book["elderly"].pk in active("ORDERS_STOPPED"):
            raised_on.setdefault(("ORDERS_STOPPED", "elderly"), day(offset))
        if book["two_limits"].pk in active("LIMIT_HIGH_USAGE"):
            raised_on.setdefault(("LIMIT_HIGH_USAGE", "two_limits"), day(offset))
        if book["farmer"].pk in active("ORDERS_STOPPED"):
            raised_on.setdefault(("ORDERS_STOPPED", "farmer"), day(offset))

    drawn = day(1)
    assert raised_on[("BORROWER_AGE", "elderly")] == day(2)  # a new loan: the next run
    assert raised_on[("ORDERS_STOPPED", "elderly")] == day(2)  # a new borrower without orders
    assert raised_on[("CALLBACK_MISSING", "elderly")] == drawn + dt.timedelta(days=7)  # its allowance ran out
    assert raised_on[("DRAWDOWN_NOT_VERIFIED", "elderly")] == drawn + dt.timedelta(days=15)
    maturity = Loan.objects.get(pk=loans["two_limits"].pk).maturity_on
    assert raised_on[("MATURITY_SOON", "two_limits")] == maturity - dt.timedelta(days=30)  # entered the window
    assert raised_on[("LIMIT_HIGH_USAGE", "two_limits")] == day(20)  # the short limit expired
    # the world's farmer ordered last on day -5: he stops 60 days after, with nothing else changing
    assert raised_on[("ORDERS_STOPPED", "farmer")] == day(56)
    # and what cleared: the callback done, the elderly farmer's order and then his payoff, the
    # new limit that brought the usage down, the maturity passed
    assert loans["elderly"].pk not in active("CALLBACK_MISSING")
    assert Loan.objects.get(pk=loans["elderly"].pk).status == Loan.Status.CLOSED
    cleared = RiskWarning.objects.filter(subject_id=loans["elderly"].pk, rule__subject_type="loan", active=False)
    assert set(cleared.values_list("rule__code", "cleared_on")) == {
        ("BORROWER_AGE", day(50)),
        ("CALLBACK_MISSING", day(13)),
        ("DRAWDOWN_NOT_VERIFIED", day(50)),
    }
    assert book["elderly"].pk not in active("ORDERS_STOPPED")
    assert book["two_limits"].pk not in active("LIMIT_HIGH_USAGE")
    assert RiskWarning.objects.get(rule__code="LIMIT_HIGH_USAGE").cleared_on == day(30)
    first_run_after_maturity = min(day(offset) for offset in offsets if day(offset) > maturity)
    assert RiskWarning.objects.get(rule__code="MATURITY_SOON").cleared_on == first_run_after_maturity
    assert PostDrawdownCheck.objects.filter(loan=loans["elderly"]).count() == 1


def test_a_rule_whose_parameters_changed_is_looked_at_whole(world):
    warnings_run(day(0))
    rule = WarningRule.objects.get(code="MATURITY_SOON")
    rule.parameters = {"days": 200}
    rule.save()
    summary = warnings_run(day(1))
    assert "MATURITY_SOON" not in summary.scoped and "BORROWER_AGE" in summary.scoped
    # the world's loan matures within 200 days: found although nothing about it changed
    assert world["loan"].pk in active("MATURITY_SOON")
    assert "MATURITY_SOON" in warnings_run(day(2)).scoped


def test_a_date_run_again_or_an_earlier_date_is_looked_at_whole(world):
    warnings_run(day(0))
    assert warnings_run(day(0)).scoped == []
    assert set(warnings_run(day(1)).scoped) == SCOPED
    assert warnings_run(day(-3)).scoped == []


def test_a_written_off_loan_clears_the_warnings_of_rules_that_look_only_at_changes(changing_book, users):
    """A write-off takes the principal off the book without a repayment: the next day's run must see it."""
    book, manager = changing_book, users["manager"]
    business_date_set(new_date=day(0), backwards_allowed=True)
    # Maturing within the month, and no order ever: two warnings at once.
    loan = loan_disburse(credit_limit=book["long_limit"], amount=Decimal("96000.00"), term_months=1, actor=manager)
    warnings_run(day(1), full=True)
    assert book["two_limits"].pk in active("ORDERS_STOPPED")
    assert loan.pk in active("MATURITY_SOON")
    for offset in (2, 3):  # the drawdown out of the runs' sight
        business_date_set(new_date=day(offset - 1), backwards_allowed=True)
        run_and_compare(day(offset))
    business_date_set(new_date=day(3), backwards_allowed=True)
    Loan.objects.filter(pk=loan.pk).update(classification=Loan.Classification.LOSS)
    proposal = write_off_propose(loan=loan, reason="失联", actor=users["approver"])
    write_off_approve(write_off=proposal, actor=users["approver2"])
    write_off_approve(write_off=proposal, actor=users["leader"])
    assert Loan.objects.get(pk=loan.pk).status == Loan.Status.WRITTEN_OFF
    run_and_compare(day(4))
    assert book["two_limits"].pk not in active("ORDERS_STOPPED")
    assert loan.pk not in active("MATURITY_SOON")


def test_orders_delivered_late_or_dated_ahead_clear_orders_stopped(changing_book, users):
    """An order comes into the window by its delivery (dated any day) or by its date coming round."""
    book, manager = changing_book, users["manager"]
    warnings_run(day(0))  # the first run of each rule is whole
    business_date_set(new_date=day(0), backwards_allowed=True)
    loan_disburse(credit_limit=book["long_limit"], amount=Decimal("30000.00"), term_months=12, actor=manager)
    loan_disburse(credit_limit=book["elderly_limit"], amount=Decimal("30000.00"), term_months=12, actor=manager)
    run_and_compare(day(1))
    assert {book["two_limits"].pk, book["elderly"].pk} <= active("ORDERS_STOPPED")
    # Delivered on day 1: an order of three weeks ago for one, an order dated three days ahead for the other.
    business_date_set(new_date=day(1), backwards_allowed=True)
    anchor = book["program"].anchor
    make_trades(anchor, book["two_limits"].id_number, [(day(-20), "800.00")], prefix="L", delivered_on=day(1))
    make_trades(anchor, book["elderly"].id_number, [(day(4), "900.00")], prefix="A", delivered_on=day(1))
    run_and_compare(day(2))
    assert book["two_limits"].pk not in active("ORDERS_STOPPED")
    assert book["elderly"].pk in active("ORDERS_STOPPED")  # his order is not in the window yet
    for offset in (3, 4, 5):
        business_date_set(new_date=day(offset - 1), backwards_allowed=True)
        run_and_compare(day(offset))
    assert book["elderly"].pk not in active("ORDERS_STOPPED")
