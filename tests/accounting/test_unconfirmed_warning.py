"""DISBURSEMENT_UNCONFIRMED: an instruction the core has not paid out by the next close raises a warning on
its loan; the core's confirmation clears it at the following close."""

from __future__ import annotations

import datetime as dt

from accounting.confirmations import confirmations_import
from accounting.instructions import instruction_file_generate
from accounting.models import DisbursementInstruction
from postloan import cob
from postloan.models import RiskWarning
from tests.accounting.helpers import confirmation_csv
from tests.factories import SOUND_BOOK_DAY

RULE = "DISBURSEMENT_UNCONFIRMED"


def _active(loan) -> bool:
    return RiskWarning.objects.filter(rule__code=RULE, subject_id=loan.pk, active=True).exists()


def test_raised_by_the_next_close_and_cleared_by_the_confirmation(world):
    loan, admin = world["loan"], world["users"]["admin"]
    instruction_file_generate(day=SOUND_BOOK_DAY, actor=admin)

    cob.close_day(SOUND_BOOK_DAY)  # the day of the file: the core has until the next close
    assert not _active(loan)

    cob.close_day(SOUND_BOOK_DAY + dt.timedelta(days=1))
    assert _active(loan)
    warning = RiskWarning.objects.get(rule__code=RULE, subject_id=loan.pk)
    assert warning.rule.name == "放款未获核心确认"

    instruction = DisbursementInstruction.objects.get(loan=loan)
    content = confirmation_csv(
        [(instruction.number, loan.pk, "CB0001", "50000.00", "accepted", SOUND_BOOK_DAY + dt.timedelta(days=2))]
    )
    confirmations_import(content=content, filename="确认.csv", actor=admin)
    cob.close_day(SOUND_BOOK_DAY + dt.timedelta(days=2))
    assert not _active(loan)


def test_a_rejected_instruction_keeps_its_warning_and_a_loan_without_one_has_none(world):
    loan, admin = world["loan"], world["users"]["admin"]
    cob.close_day(SOUND_BOOK_DAY)
    cob.close_day(SOUND_BOOK_DAY + dt.timedelta(days=1))
    assert not _active(loan)  # no instruction file named it yet: nothing to wait for

    instruction_file_generate(day=SOUND_BOOK_DAY + dt.timedelta(days=1), actor=admin)
    instruction = DisbursementInstruction.objects.get(loan=loan)
    content = confirmation_csv(
        [(instruction.number, loan.pk, "", "50000.00", "rejected", SOUND_BOOK_DAY + dt.timedelta(days=2), "账户冻结")]
    )
    confirmations_import(content=content, filename="确认.csv", actor=admin)
    cob.close_day(SOUND_BOOK_DAY + dt.timedelta(days=2))
    assert _active(loan)
