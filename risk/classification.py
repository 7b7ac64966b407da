"""Five-grade loan classification (五级分类) and the programme circuit breaker.

The DPD bands are data, not branches, so that the daily SQL job can build its
``CASE`` from the same table the Python code reads.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum


class LoanClass(StrEnum):
    """Risk class of a loan under the 2023 rules (商业银行金融资产风险分类办法)."""

    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"


# Rank of each class, best first: a higher number is a worse class.
SEVERITY: dict[LoanClass, int] = {
    LoanClass.NORMAL: 0,
    LoanClass.SPECIAL_MENTION: 1,
    LoanClass.SUBSTANDARD: 2,
    LoanClass.DOUBTFUL: 3,
    LoanClass.LOSS: 4,
}

# (inclusive upper bound of DPD, class); above the last bound a loan is a loss.
DPD_BANDS: tuple[tuple[int, LoanClass], ...] = (
    (0, LoanClass.NORMAL),
    (90, LoanClass.SPECIAL_MENTION),
    (270, LoanClass.SUBSTANDARD),
    (360, LoanClass.DOUBTFUL),
)

NPL_CLASSES: frozenset[LoanClass] = frozenset({LoanClass.SUBSTANDARD, LoanClass.DOUBTFUL, LoanClass.LOSS})


def classify_by_dpd(dpd: int) -> LoanClass:
    """The class that days past due alone give."""
    if dpd < 0:
        raise ValueError("days past due cannot be negative")
    for upper, loan_class in DPD_BANDS:
        if dpd <= upper:
            return loan_class
    return LoanClass.LOSS


def effective_class(dpd_class: LoanClass, manual: LoanClass | None) -> LoanClass:
    """The worse of the two: a person may classify worse than DPD says, never better."""
    if manual is None:
        return dpd_class
    return max(dpd_class, manual, key=SEVERITY.__getitem__)


def is_npl(c: LoanClass) -> bool:
    """Non-performing loan: substandard, doubtful or loss (次级、可疑、损失)."""
    return c in NPL_CLASSES


class ProgramStatus(StrEnum):
    """Status of a programme as the circuit breaker (业务退出阈值) sets it."""

    ACTIVE = "active"
    WARNING = "warning"
    SUSPENDED = "suspended"


def breaker_status(
    *, current: ProgramStatus, npl_ratio: Decimal, warning_ratio: Decimal, suspend_ratio: Decimal
) -> ProgramStatus:
    """Next status of a programme given its NPL ratio.

    The breaker may suspend but never lifts a suspension: only a risk approver
    resumes a programme, after a new assessment of its risk. A warning clears
    by itself once the ratio falls below the warning threshold.
    """
    if npl_ratio < 0:
        raise ValueError("an NPL ratio cannot be negative")
    if warning_ratio > suspend_ratio:
        raise ValueError("the warning threshold cannot be above the suspension threshold")
    if npl_ratio >= suspend_ratio:
        return ProgramStatus.SUSPENDED
    if current is ProgramStatus.SUSPENDED:
        return ProgramStatus.SUSPENDED
    if npl_ratio >= warning_ratio:
        return ProgramStatus.WARNING
    return ProgramStatus.ACTIVE
