"""Servicing arithmetic and the reference loan (pure, no database).

Golden numbers are worked by hand in the comments; the loan is the same
throughout unless a test says otherwise: 100,000.00 at 4.35 % a year,
actual/360, disbursed on 2027-03-05.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.money import money
from origination.schedule import add_months, maturity_date, settlement_dates
from risk.classification import LoanClass, classify_by_dpd
from servicing.interest import ReferenceLoan, accrual_days, interest_charge, penalty_charge
from servicing.waterfall import Allocation, Overpayment

AMOUNT = Decimal("100000.00")
RATE = Decimal("0.0435")
DISBURSED = date(2027, 3, 5)


def new_loan(term_months: int = 12, amount: Decimal = AMOUNT, on: date = DISBURSED) -> ReferenceLoan:
    loan = ReferenceLoan()
    loan.disburse(amount, on, term_months, RATE, Decimal("0.50"))
    return loan


def close_through(loan: ReferenceLoan, last: date) -> None:
    """Close every business day up to and including ``last``."""
    while loan.business_day <= last:
        loan.close_day(loan.business_day)


# -- calendar ---------------------------------------------------------------------


def test_adding_a_month_to_the_31st_of_january_gives_the_end_of_february():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)


def test_adding_months_crosses_years_both_ways():
    assert add_months(date(2027, 12, 15), 1) == date(2028, 1, 15)
    assert add_months(date(2027, 1, 15), -1) == date(2026, 12, 15)
    assert add_months(date(2027, 3, 31), -1) == date(2027, 2, 28)


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2090, 12, 31)), st.integers(-120, 120))
def test_adding_months_keeps_the_day_or_clamps_to_the_month_end(d, months):
    result = add_months(d, months)
    assert (result.year * 12 + result.month) - (d.year * 12 + d.month) == months
    next_month_start = add_months(result.replace(day=1), 1)
    month_end = (next_month_start - timedelta(days=1)).day
    assert result.day == min(d.day, month_end)


def test_maturity_is_disbursement_plus_the_term():
    assert maturity_date(DISBURSED, 12) == date(2028, 3, 5)
    assert maturity_date(date(2027, 8, 31), 6) == date(2028, 2, 29)


def test_a_term_under_one_month_is_refused():
    with pytest.raises(ValueError):
        maturity_date(DISBURSED, 0)


def test_interest_is_settled_on_every_20th_before_maturity():
    assert settlement_dates(DISBURSED, date(2027, 6, 5)) == [
        date(2027, 3, 20),
        date(2027, 4, 20),
        date(2027, 5, 20),
    ]
    assert len(settlement_dates(DISBURSED, maturity_date(DISBURSED, 12))) == 12


def test_a_loan_disbursed_on_the_20th_settles_that_same_day():
    assert settlement_dates(date(2027, 3, 20), date(2027, 5, 20))[0] == date(2027, 3, 20)


def test_a_loan_disbursed_after_the_20th_first_settles_next_month():
    assert settlement_dates(date(2027, 3, 21), date(2027, 5, 21))[0] == date(2027, 4, 20)


def test_a_20th_that_is_the_maturity_date_is_left_to_the_maturity_charge():
    assert settlement_dates(date(2027, 3, 20), date(2027, 5, 20)) == [date(2027, 3, 20), date(2027, 4, 20)]


def test_maturity_before_disbursement_has_no_settlements_but_an_error():
    with pytest.raises(ValueError):
        settlement_dates(DISBURSED, DISBURSED)


def test_accrual_days_count_both_ends():
    assert accrual_days(date(2027, 3, 5), date(2027, 3, 20)) == 16
    assert accrual_days(date(2027, 3, 21), date(2027, 4, 20)) == 31  # 11 in March + 20 in April
    assert accrual_days(date(2027, 3, 21), date(2027, 3, 20)) == 0
    with pytest.raises(ValueError):
        accrual_days(date(2027, 3, 21), date(2027, 3, 19))


# -- charges -------------------------------------------------------------------------


def test_the_first_broken_period_is_193_33():
    # 5–20 March = 16 days: 100,000 × 16 = 1,600,000 principal-days;
    # 1,600,000 × 0.0435 / 360 = 69,600 / 360 = 193.333… → 193.33.
    assert interest_charge(Decimal(1600000), RATE) == Decimal("193.33")


def test_a_full_month_21_march_to_20_april_is_374_58():
    # 31 days: 3,100,000 × 0.0435 / 360 = 134,850 / 360 = 374.583… → 374.58.
    assert interest_charge(Decimal(3100000), RATE) == Decimal("374.58")


def test_a_charge_is_rounded_once_not_per_day():
    # Per day 100,000 × 0.0435 / 360 = 12.0833…; rounded per day it would be 12.08 × 31 = 374.48.
    assert interest_charge(Decimal(3100000), RATE) == Decimal("374.58")
    assert interest_charge(Decimal(100000), RATE) * 31 == Decimal("374.48")


def test_charges_round_half_up_not_to_even():
    # At 3.6 % a year one principal-day costs 0.0001: 50 → 0.005 → 0.01; 250 → 0.025 → 0.03.
    assert interest_charge(Decimal(50), Decimal("0.036")) == Decimal("0.01")
    assert interest_charge(Decimal(250), Decimal("0.036")) == Decimal("0.03")


def test_penalty_is_the_loan_rate_plus_the_markup():
    # 10 days × 100,000 = 1,000,000; × 0.0435 × 1.5 = 65,250; / 360 = 181.25.
    assert penalty_charge(Decimal(1000000), RATE, Decimal("0.50")) == Decimal("181.25")


def test_negative_principal_days_are_refused():
    with pytest.raises(ValueError):
        interest_charge(Decimal(-1), RATE)
    with pytest.raises(ValueError):
        penalty_charge(Decimal(1), RATE, Decimal(-1))


# -- the reference loan: golden scenarios -------------------------------------------------


def test_the_loan_charges_193_33_on_the_first_20th_and_374_58_on_the_next():
    loan = new_loan()
    close_through(loan, date(2027, 3, 20))
    assert loan.interest_due == Decimal("193.33")
    close_through(loan, date(2027, 4, 20))
    assert [(c.on, c.principal_days, c.amount) for c in loan.charges] == [
        (date(2027, 3, 20), Decimal("1600000.00"), Decimal("193.33")),
        (date(2027, 4, 20), Decimal("3100000.00"), Decimal("374.58")),
    ]
    assert loan.interest_due == Decimal("567.91")
    assert loan.principal_outstanding == AMOUNT


def test_nothing_is_charged_between_settlement_dates():
    loan = new_loan()
    close_through(loan, date(2027, 3, 19))
    assert loan.charges == []
    assert loan.principal_days == Decimal("1500000.00")  # 5–19 March = 15 days
    assert loan.dpd(date(2027, 3, 20)) == 0


def test_early_full_repayment_before_the_first_20th():
    # Repaid during 15 March: interest for 5–14 March = 10 days (the repayment day does not count):
    # 1,000,000 × 0.0435 / 360 = 43,500 / 360 = 120.833… → 120.83; payoff 100,120.83.
    loan = new_loan()
    close_through(loan, date(2027, 3, 14))
    assert loan.payoff(date(2027, 3, 15)).total == Decimal("100120.83")
    allocation = loan.repay(Decimal("100120.83"), date(2027, 3, 15))
    assert allocation == Allocation(current_interest=Decimal("120.83"), current_principal=AMOUNT)
    close_through(loan, date(2027, 4, 30))
    assert loan.interest_charged == Decimal("120.83")
    assert loan.owed(date(2027, 5, 1)).total == 0
    assert loan.principal_outstanding == 0


def test_early_partial_repayment_lowers_the_principal_that_accrues():
    # 21 March: the 193.33 due on the 20th is paid (a day late) with 50,000 of principal.
    # 21 March–20 April then accrues on 50,000: 50,000 × 31 × 0.0435 / 360 = 67,425 / 360 = 187.291… → 187.29.
    loan = new_loan()
    close_through(loan, date(2027, 3, 20))
    allocation = loan.repay(Decimal("50193.33"), date(2027, 3, 21))
    assert allocation == Allocation(overdue_interest=Decimal("193.33"), current_principal=Decimal("50000.00"))
    close_through(loan, date(2027, 4, 20))
    assert loan.charges[-1].amount == Decimal("187.29")
    assert loan.principal_outstanding == Decimal("50000.00")
    assert loan.principal_repaid == Decimal("50000.00")


def test_early_full_repayment_mid_period_pays_interest_to_the_day_before():
    # 193.33 for 5–20 March is paid on 21 March. On 10 April the loan is repaid in full:
    # 21 March–9 April = 20 days → 2,000,000 × 0.0435 / 360 = 87,000 / 360 = 241.666… → 241.67.
    # Altogether 193.33 + 241.67 = 435.00 = 36 days × 100,000 × 0.0435 / 360 = 156,600 / 360.
    loan = new_loan()
    close_through(loan, date(2027, 3, 20))
    loan.repay(Decimal("193.33"), date(2027, 3, 21))
    close_through(loan, date(2027, 4, 9))
    assert loan.payoff(date(2027, 4, 10)).total == Decimal("100241.67")
    loan.repay(Decimal("100241.67"), date(2027, 4, 10))
    close_through(loan, date(2027, 5, 31))
    assert loan.interest_charged == Decimal("435.00")
    assert loan.interest_paid == Decimal("435.00")
    assert loan.interest_due == 0


def test_a_payment_smaller_than_the_accrued_interest_leaves_the_rest_due_on_the_next_20th():
    # 10 March: 5–9 March = 5 days → 500,000 × 0.0435 / 360 = 60.416… → 60.42 charged; 50.00 paid.
    # The remaining 10.42 falls due on 20 March, so it is not overdue on 11 March.
    # 20 March charges 10–20 March = 11 days → 1,100,000 × 0.0435 / 360 = 132.916… → 132.92.
    # The split period costs 60.42 + 132.92 = 193.34, a fen more than 193.33 in one charge:
    # rounding is per charge, and a repayment is a charge point.
    loan = new_loan()
    close_through(loan, date(2027, 3, 9))
    allocation = loan.repay(Decimal("50.00"), date(2027, 3, 10))
    assert allocation == Allocation(current_interest=Decimal("50.00"))
    assert loan.interest_due == Decimal("10.42")
    close_through(loan, date(2027, 3, 10))
    assert loan.dpd(date(2027, 3, 11)) == 0
    close_through(loan, date(2027, 3, 20))
    assert loan.interest_due == Decimal("143.34")  # 10.42 + 132.92, both due 20 March
    assert loan.interest_charged == Decimal("193.34")


def test_interest_paid_on_the_20th_runs_to_the_19th_and_the_20th_itself_is_charged_at_close():
    # Repayment charges accrue to the previous close: 5–19 March = 15 days → 181.25.
    # The close of 20 March then charges 20 March alone: 100,000 × 0.0435 / 360 = 12.083… → 12.08,
    # due that day, so it is overdue (DPD 1) on 21 March unless paid on the 21st.
    loan = new_loan()
    close_through(loan, date(2027, 3, 19))
    assert loan.repay(Decimal("181.25"), date(2027, 3, 20)).interest == Decimal("181.25")
    loan.close_day(date(2027, 3, 20))
    assert loan.interest_due == Decimal("12.08")
    assert loan.dpd(date(2027, 3, 21)) == 1


def test_repaying_everything_at_maturity():
    # Three months, nothing paid until maturity on 5 June:
    #   20 March   5–20 March      16 days  193.33
    #   20 April   21 Mar–20 Apr   31 days  374.58
    #   20 May     21 Apr–20 May   30 days  3,000,000 × 0.0435 / 360 = 130,500 / 360 = 362.50
    #   5 June     21 May–4 June   15 days  1,500,000 × 0.0435 / 360 = 181.25 (charged by the repayment)
    # 16 + 31 + 30 + 15 = 92 days = 5 March to 5 June. Overdue 930.41, current 181.25 + 100,000.
    loan = new_loan(term_months=3)
    close_through(loan, date(2027, 6, 4))
    on = date(2027, 6, 5)
    assert loan.dpd(on) == 77  # oldest unpaid: 20 March
    allocation = loan.repay(Decimal("101111.66"), on)
    assert allocation == Allocation(
        overdue_interest=Decimal("930.41"),
        current_interest=Decimal("181.25"),
        current_principal=AMOUNT,
    )
    close_through(loan, date(2027, 7, 31))
    assert loan.charges[-1].amount == Decimal("181.25")
    assert loan.interest_charged == Decimal("1111.66")
    assert loan.dpd(date(2027, 8, 1)) == 0


def test_unpaid_at_maturity_the_maturity_day_accrues_and_the_principal_falls_due():
    # One month, maturity 5 April. 20 March: 193.33. Close of 5 April charges 21 March–5 April
    # = 16 days (the maturity day's end-of-day principal is still positive) = 193.33.
    loan = new_loan(term_months=1)
    close_through(loan, date(2027, 4, 5))
    assert loan.interest_charged == Decimal("386.66")
    owed = loan.owed(date(2027, 4, 5))
    assert (owed.current_principal, owed.overdue_principal) == (AMOUNT, 0)
    owed = loan.owed(date(2027, 4, 6))
    assert (owed.current_principal, owed.overdue_principal) == (0, AMOUNT)
    assert owed.overdue_interest == Decimal("386.66")


def test_after_maturity_only_penalty_accrues_on_the_overdue_principal():
    # Penalty from 6 April; repaid on 16 April: 6–15 April = 10 days × 100,000 = 1,000,000
    # × 0.0435 × 1.5 / 360 = 181.25. Owed 181.25 + 386.66 + 100,000 = 100,567.91.
    loan = new_loan(term_months=1)
    close_through(loan, date(2027, 4, 15))
    assert loan.interest_charged == Decimal("386.66")  # no interest after maturity
    assert loan.principal_days == 0
    assert loan.penalty_principal_days == Decimal("1000000.00")
    on = date(2027, 4, 16)
    assert loan.payoff(on).total == Decimal("100567.91")
    allocation = loan.repay(Decimal("100567.91"), on)
    assert allocation == Allocation(
        penalty=Decimal("181.25"),
        overdue_interest=Decimal("386.66"),
        overdue_principal=AMOUNT,
    )
    close_through(loan, date(2027, 5, 31))
    assert loan.penalty_charged == Decimal("181.25")
    assert loan.owed(date(2027, 6, 1)).total == 0


def test_a_partial_payment_after_maturity_stops_penalty_on_the_part_repaid():
    # 16 April: 181.25 penalty + 386.66 interest + 50,000 principal = 50,567.91 paid.
    # 16–25 April = 10 days on 50,000 → 500,000 × 0.0435 × 1.5 / 360 = 90.625 → 90.63 (half-up).
    loan = new_loan(term_months=1)
    close_through(loan, date(2027, 4, 15))
    loan.repay(Decimal("50567.91"), date(2027, 4, 16))
    close_through(loan, date(2027, 4, 25))
    assert loan.payoff(date(2027, 4, 26)).penalty == Decimal("90.63")
    assert loan.payoff(date(2027, 4, 26)).total == Decimal("50090.63")


def test_days_past_due_go_from_90_to_91_and_the_loan_becomes_substandard():
    # 193.33 due 20 March is never paid: 20 March + 90 days = 18 June.
    loan = new_loan()
    close_through(loan, date(2027, 3, 20))
    assert loan.dpd(date(2027, 3, 20)) == 0
    assert loan.dpd(date(2027, 3, 21)) == 1
    close_through(loan, date(2027, 6, 18))
    assert loan.dpd(date(2027, 6, 18)) == 90
    assert classify_by_dpd(loan.dpd(date(2027, 6, 18))) is LoanClass.SPECIAL_MENTION
    assert loan.dpd(date(2027, 6, 19)) == 91
    assert classify_by_dpd(loan.dpd(date(2027, 6, 19))) is LoanClass.SUBSTANDARD


def test_paying_the_oldest_due_amount_moves_dpd_to_the_next_oldest():
    # Due 20 March 193.33 and 20 April 374.58, unpaid; on 25 April DPD counts from 20 March (36).
    # Paying 193.33 leaves 20 April as the oldest (5); paying 374.58 more clears it (0).
    loan = new_loan()
    close_through(loan, date(2027, 4, 24))
    on = date(2027, 4, 25)
    assert loan.dpd(on) == 36
    loan.repay(Decimal("193.33"), on)
    assert loan.dpd(on) == 5
    loan.repay(Decimal("374.58"), on)
    assert loan.dpd(on) == 0


def test_unpaid_principal_counts_from_maturity():
    # One month; the 20 March interest paid on the 21st; nothing paid at maturity on 5 April.
    loan = new_loan(term_months=1)
    close_through(loan, date(2027, 3, 20))
    loan.repay(Decimal("193.33"), date(2027, 3, 21))
    close_through(loan, date(2027, 4, 5))
    assert loan.dpd(date(2027, 4, 5)) == 0
    assert loan.dpd(date(2027, 4, 6)) == 1


def test_an_overpayment_is_refused_and_changes_nothing():
    loan = new_loan()
    close_through(loan, date(2027, 3, 14))
    with pytest.raises(Overpayment) as refused:
        loan.repay(Decimal("100120.84"), date(2027, 3, 15))
    assert refused.value.owed_total == Decimal("100120.83")
    assert loan.charges == []
    assert loan.principal_days == Decimal("1000000.00")
    assert loan.principal_outstanding == AMOUNT


def test_days_are_closed_in_order_and_repayments_go_to_the_open_day():
    loan = new_loan()
    with pytest.raises(ValueError):
        loan.close_day(date(2027, 3, 6))
    loan.close_day(DISBURSED)
    with pytest.raises(ValueError):
        loan.repay(Decimal("1.00"), DISBURSED)
    with pytest.raises(ValueError):
        loan.repay(Decimal("1.00"), date(2027, 3, 7))
    assert loan.business_day == date(2027, 3, 6)


def test_a_loan_is_disbursed_once_with_a_positive_amount_in_fen():
    with pytest.raises(ValueError):
        ReferenceLoan().close_day(DISBURSED)
    loan = new_loan()
    with pytest.raises(ValueError):
        loan.disburse(AMOUNT, DISBURSED, 12, RATE)
    with pytest.raises(ValueError):
        ReferenceLoan().disburse(Decimal("100.001"), DISBURSED, 12, RATE)
    with pytest.raises(ValueError):
        ReferenceLoan().disburse(Decimal(0), DISBURSED, 12, RATE)


# -- the reference loan: properties ----------------------------------------------------------

amounts = st.decimals(min_value=1000, max_value=2_000_000, places=2)
rates = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("0.2400"), places=4)
starts = st.dates(min_value=date(2027, 1, 1), max_value=date(2030, 12, 31))
steps = st.lists(
    st.tuples(st.integers(min_value=0, max_value=45), st.one_of(st.none(), st.integers(min_value=1, max_value=100))),
    max_size=25,
)


def assert_balances_hold(loan: ReferenceLoan, on: date) -> None:
    assert loan.principal_outstanding >= 0
    assert loan.principal_days >= 0
    assert loan.penalty_principal_days >= 0
    assert loan.penalty_due >= 0
    assert all(item.amount > 0 for item in loan.interest_items)
    assert loan.terms is not None
    assert loan.terms.amount == loan.principal_repaid + loan.principal_outstanding
    assert loan.interest_charged == loan.interest_paid + loan.interest_due
    assert loan.penalty_charged == loan.penalty_paid + loan.penalty_due
    assert loan.dpd(on) >= 0


@settings(max_examples=150, deadline=None)
@given(amounts, rates, st.integers(min_value=1, max_value=12), starts, steps)
def test_no_balance_is_ever_negative_and_principal_is_conserved(amount, rate, term, start, plan):
    loan = ReferenceLoan()
    loan.disburse(amount, start, term, rate)
    paid = Decimal(0)
    allocated = Decimal(0)
    for days, percent in plan:
        for _ in range(days):
            loan.close_day(loan.business_day)
            assert_balances_hold(loan, loan.business_day)
        on = loan.business_day
        due = loan.payoff(on).total
        if percent is not None and due > 0:
            payment = max(money(due * percent / 100), Decimal("0.01"))
            allocated += loan.repay(payment, on).total
            paid += payment
        assert_balances_hold(loan, on)
    assert allocated == paid
    # Paying off whatever is left closes the loan for good.
    on = loan.business_day
    rest = loan.payoff(on).total
    if rest > 0:
        loan.repay(rest, on)
    assert loan.principal_outstanding == 0
    for _ in range(40):
        loan.close_day(loan.business_day)
    assert loan.owed(loan.business_day).total == 0
    assert loan.dpd(loan.business_day) == 0


@settings(max_examples=100, deadline=None)
@given(amounts, rates, st.integers(min_value=1, max_value=12), starts)
def test_without_repayments_each_period_is_charged_on_its_own_days(amount, rate, term, start):
    loan = ReferenceLoan()
    loan.disburse(amount, start, term, rate)
    assert loan.terms is not None
    maturity = loan.terms.maturity_on
    close_through(loan, maturity)
    # Periods: disbursement to the first 20th, 21st to 20th, ..., the last 21st to maturity (inclusive).
    ends = [*settlement_dates(start, maturity), maturity]
    begins = [start] + [d + timedelta(days=1) for d in ends[:-1]]
    expected = [interest_charge(amount * accrual_days(b, e), rate) for b, e in zip(begins, ends, strict=True)]
    assert [c.amount for c in loan.charges] == expected
    assert sum(accrual_days(b, e) for b, e in zip(begins, ends, strict=True)) == (maturity - start).days + 1
    # One rounding per charge: the total is within half a fen per charge of the exact interest.
    exact = amount * ((maturity - start).days + 1) * rate / 360
    assert abs(loan.interest_charged - exact) <= Decimal("0.005") * len(expected)
