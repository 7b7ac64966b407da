"""Five-grade classification and the programme circuit breaker (pure, no database)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from risk.classification import (
    DPD_BANDS,
    NPL_CLASSES,
    SEVERITY,
    LoanClass,
    ProgramStatus,
    breaker_status,
    classify_by_dpd,
    effective_class,
    is_npl,
)

WARNING = Decimal("0.02")
SUSPEND = Decimal("0.03")
classes = st.sampled_from(list(LoanClass))


@pytest.mark.parametrize(
    ("dpd", "expected"),
    [
        (0, LoanClass.NORMAL),
        (1, LoanClass.SPECIAL_MENTION),
        (90, LoanClass.SPECIAL_MENTION),
        (91, LoanClass.SUBSTANDARD),
        (270, LoanClass.SUBSTANDARD),
        (271, LoanClass.DOUBTFUL),
        (360, LoanClass.DOUBTFUL),
        (361, LoanClass.LOSS),
        (10_000, LoanClass.LOSS),
    ],
)
def test_days_past_due_give_the_class_of_their_band(dpd, expected):
    assert classify_by_dpd(dpd) is expected


def test_negative_days_past_due_are_refused():
    with pytest.raises(ValueError):
        classify_by_dpd(-1)


def test_the_bands_are_data_with_rising_bounds_and_worsening_classes():
    bounds = [upper for upper, _ in DPD_BANDS]
    assert bounds == [0, 90, 270, 360]
    assert [SEVERITY[c] for _, c in DPD_BANDS] == sorted(SEVERITY[c] for _, c in DPD_BANDS)


def test_severity_orders_every_class_from_normal_to_loss():
    ordered = sorted(LoanClass, key=SEVERITY.__getitem__)
    assert ordered == [
        LoanClass.NORMAL,
        LoanClass.SPECIAL_MENTION,
        LoanClass.SUBSTANDARD,
        LoanClass.DOUBTFUL,
        LoanClass.LOSS,
    ]


@given(st.integers(min_value=0, max_value=5000), st.integers(min_value=0, max_value=5000))
def test_more_days_past_due_never_give_a_better_class(a, b):
    low, high = sorted((a, b))
    assert SEVERITY[classify_by_dpd(low)] <= SEVERITY[classify_by_dpd(high)]


def test_a_person_may_classify_a_loan_worse_than_its_dpd():
    assert effective_class(LoanClass.NORMAL, LoanClass.SUBSTANDARD) is LoanClass.SUBSTANDARD


def test_a_person_may_not_classify_a_loan_better_than_its_dpd():
    assert effective_class(LoanClass.DOUBTFUL, LoanClass.NORMAL) is LoanClass.DOUBTFUL


def test_without_a_manual_class_the_dpd_class_stands():
    assert effective_class(LoanClass.SPECIAL_MENTION, None) is LoanClass.SPECIAL_MENTION


@given(classes, st.one_of(st.none(), classes))
def test_the_effective_class_is_the_worse_of_the_two(dpd_class, manual):
    result = effective_class(dpd_class, manual)
    assert SEVERITY[result] >= SEVERITY[dpd_class]
    if manual is not None:
        assert SEVERITY[result] >= SEVERITY[manual]
    assert result in (dpd_class, manual)


def test_npl_is_substandard_doubtful_and_loss():
    assert sorted(NPL_CLASSES, key=SEVERITY.__getitem__) == [
        LoanClass.SUBSTANDARD,
        LoanClass.DOUBTFUL,
        LoanClass.LOSS,
    ]
    assert [c for c in LoanClass if is_npl(c)] == [LoanClass.SUBSTANDARD, LoanClass.DOUBTFUL, LoanClass.LOSS]
    assert not is_npl(LoanClass.NORMAL)
    assert not is_npl(LoanClass.SPECIAL_MENTION)


def test_a_loan_becomes_npl_on_its_91st_day_past_due():
    assert not is_npl(classify_by_dpd(90))
    assert is_npl(classify_by_dpd(91))


# -- circuit breaker ------------------------------------------------------------


def breaker(current: ProgramStatus, npl_ratio: str) -> ProgramStatus:
    return breaker_status(current=current, npl_ratio=Decimal(npl_ratio), warning_ratio=WARNING, suspend_ratio=SUSPEND)


@pytest.mark.parametrize(
    ("current", "npl_ratio", "expected"),
    [
        # From active.
        (ProgramStatus.ACTIVE, "0", ProgramStatus.ACTIVE),
        (ProgramStatus.ACTIVE, "0.019999", ProgramStatus.ACTIVE),
        (ProgramStatus.ACTIVE, "0.02", ProgramStatus.WARNING),
        (ProgramStatus.ACTIVE, "0.029999", ProgramStatus.WARNING),
        (ProgramStatus.ACTIVE, "0.03", ProgramStatus.SUSPENDED),
        (ProgramStatus.ACTIVE, "0.5", ProgramStatus.SUSPENDED),
        # From warning: it clears by itself below the warning threshold.
        (ProgramStatus.WARNING, "0.019999", ProgramStatus.ACTIVE),
        (ProgramStatus.WARNING, "0.02", ProgramStatus.WARNING),
        (ProgramStatus.WARNING, "0.03", ProgramStatus.SUSPENDED),
        # From suspended: only a person resumes, whatever the ratio.
        (ProgramStatus.SUSPENDED, "0", ProgramStatus.SUSPENDED),
        (ProgramStatus.SUSPENDED, "0.025", ProgramStatus.SUSPENDED),
        (ProgramStatus.SUSPENDED, "0.04", ProgramStatus.SUSPENDED),
    ],
)
def test_the_breaker_moves_between_statuses_at_its_thresholds(current, npl_ratio, expected):
    assert breaker(current, npl_ratio) is expected


def test_a_resumed_programme_still_above_the_suspension_threshold_is_suspended_again():
    # A risk approver resumed it (status active), but the ratio has not fallen.
    assert breaker(ProgramStatus.ACTIVE, "0.035") is ProgramStatus.SUSPENDED


def test_a_resumed_programme_between_the_thresholds_is_in_warning():
    assert breaker(ProgramStatus.ACTIVE, "0.025") is ProgramStatus.WARNING


def test_thresholds_in_the_wrong_order_or_a_negative_ratio_are_refused():
    with pytest.raises(ValueError):
        breaker_status(
            current=ProgramStatus.ACTIVE,
            npl_ratio=Decimal("0.01"),
            warning_ratio=Decimal("0.04"),
            suspend_ratio=Decimal("0.03"),
        )
    with pytest.raises(ValueError):
        breaker(ProgramStatus.ACTIVE, "-0.01")


@given(
    st.sampled_from(list(ProgramStatus)),
    st.decimals(min_value=0, max_value=1, places=6),
)
def test_the_breaker_never_lifts_a_suspension_and_always_suspends_above_the_threshold(current, npl_ratio):
    status = breaker_status(current=current, npl_ratio=npl_ratio, warning_ratio=WARNING, suspend_ratio=SUSPEND)
    if current is ProgramStatus.SUSPENDED or npl_ratio >= SUSPEND:
        assert status is ProgramStatus.SUSPENDED
    elif npl_ratio >= WARNING:
        assert status is ProgramStatus.WARNING
    else:
        assert status is ProgramStatus.ACTIVE
