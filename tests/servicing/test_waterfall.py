"""The repayment waterfall (pure, no database)."""

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from servicing.waterfall import ORDER, Allocation, Overpayment, Owed, allocate

OWED = Owed(
    penalty=Decimal("10.00"),
    overdue_interest=Decimal("20.00"),
    overdue_principal=Decimal("300.00"),
    current_interest=Decimal("40.00"),
    current_principal=Decimal("5000.00"),
)

buckets = st.decimals(min_value=0, max_value=10**7, places=2)
owed_amounts = st.builds(Owed, buckets, buckets, buckets, buckets, buckets)


def test_owed_adds_up_its_buckets():
    assert OWED.total == Decimal("5370.00")


def test_a_small_payment_goes_to_the_penalty_first():
    assert allocate(Decimal("7.50"), OWED) == Allocation(penalty=Decimal("7.50"))


def test_a_payment_fills_each_bucket_in_order_before_the_next():
    # 10 penalty + 20 overdue interest + 300 overdue principal + 40 current interest = 370;
    # the 30 left go to current principal.
    allocation = allocate(Decimal("400.00"), OWED)
    assert allocation == Allocation(
        penalty=Decimal("10.00"),
        overdue_interest=Decimal("20.00"),
        overdue_principal=Decimal("300.00"),
        current_interest=Decimal("40.00"),
        current_principal=Decimal("30.00"),
    )
    assert allocation.interest == Decimal("60.00")
    assert allocation.principal == Decimal("330.00")
    assert allocation.total == Decimal("400.00")


def test_overdue_principal_comes_before_current_interest():
    allocation = allocate(Decimal("100.00"), OWED)
    assert allocation.overdue_principal == Decimal("70.00")
    assert allocation.current_interest == Decimal("0")


def test_paying_exactly_what_is_owed_clears_every_bucket():
    allocation = allocate(OWED.total, OWED)
    assert [getattr(allocation, name) for name in ORDER] == [getattr(OWED, name) for name in ORDER]


def test_more_than_owed_is_an_overpayment_that_says_what_is_owed():
    with pytest.raises(Overpayment) as refused:
        allocate(Decimal("5370.01"), OWED)
    assert refused.value.owed_total == Decimal("5370.00")
    assert isinstance(refused.value, ValueError)


def test_any_payment_on_nothing_owed_is_an_overpayment():
    with pytest.raises(Overpayment):
        allocate(Decimal("0.01"), Owed())


@pytest.mark.parametrize("payment", ["0", "-1.00", "0.001", "10.005", "NaN", "Infinity"])
def test_a_payment_must_be_positive_and_in_fen(payment):
    with pytest.raises(ValueError) as refused:
        allocate(Decimal(payment), OWED)
    assert not isinstance(refused.value, Overpayment)


def test_trailing_zeros_beyond_the_fen_are_accepted():
    assert allocate(Decimal("1.500"), OWED).penalty == Decimal("1.50")


def test_a_negative_amount_owed_is_refused():
    with pytest.raises(ValueError):
        Owed(penalty=Decimal("-0.01"))


@given(owed_amounts, st.data())
def test_allocations_sum_to_the_payment_and_no_bucket_gets_more_than_owed(owed, data):
    assume(owed.total > 0)
    payment = data.draw(st.decimals(min_value=Decimal("0.01"), max_value=owed.total, places=2))
    allocation = allocate(payment, owed)
    assert allocation.total == payment
    for name in ORDER:
        assert Decimal(0) <= getattr(allocation, name) <= getattr(owed, name)


@given(owed_amounts, st.data())
def test_a_later_bucket_gets_money_only_when_every_earlier_one_is_full(owed, data):
    assume(owed.total > 0)
    payment = data.draw(st.decimals(min_value=Decimal("0.01"), max_value=owed.total, places=2))
    allocation = allocate(payment, owed)
    for i, name in enumerate(ORDER):
        if getattr(allocation, name) > 0:
            for earlier in ORDER[:i]:
                assert getattr(allocation, earlier) == getattr(owed, earlier)


@given(owed_amounts, st.decimals(min_value=Decimal("0.01"), max_value=10**8, places=2))
def test_a_payment_above_the_total_is_always_refused(owed, extra):
    with pytest.raises(Overpayment) as refused:
        allocate(owed.total + extra, owed)
    assert refused.value.owed_total == owed.total
