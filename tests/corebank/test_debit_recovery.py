"""A debit of the core on a loan the anchor paid for, or on a written-off loan: booked as at the counter."""

import datetime as dt
from decimal import Decimal

import pytest

from core.business_date import business_date_get
from corebank.debit_files import debit_file_import
from corebank.models import Debit
from origination.models import AnchorRecovery, Loan
from partners.services.margin import margin_balance
from postloan.cob import close_business_days
from servicing.reconcile import loans_reconcile
from servicing.write_off import write_off_approve, write_off_propose
from tests.corebank.debits import debit_csv
from tests.servicing.test_recovery import compensated  # noqa: F401  (the fixture)
from tests.servicing.test_write_off import loss_loan  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def _debit(users, loan, amount, reference):
    content = debit_csv([(loan.pk, business_date_get().isoformat(), amount, reference)])
    debit_file_import(content=content, filename=f"{reference}.csv", actor=users["admin"])
    close_business_days(to=business_date_get() + dt.timedelta(days=1))
    return Debit.objects.get(reference=reference)


def test_a_debit_reimburses_the_anchor_first_like_a_payment_at_the_counter(users, compensated):  # noqa: F811
    program, loan = compensated  # 100.00 from the margin, then 467.91 of the anchor's own funds
    debit = _debit(users, loan, "60.00", "R1")
    assert (debit.state, debit.applied, debit.refund) == ("applied", Decimal("60.00"), 0)
    assert (debit.repayment.recovered, debit.repayment.interest, debit.repayment.principal) == (
        Decimal("60.00"),
        0,
        0,
    )
    assert margin_balance(program.pk) == Decimal("60.00")  # the oldest payment for him was the margin's
    assert list(AnchorRecovery.objects.filter(loan=loan).values_list("source", "amount")) == [
        ("margin", Decimal("60.00"))
    ]
    assert Loan.objects.get(pk=loan.pk).recovered == Decimal("60.00")
    assert loans_reconcile() == []


def test_a_debit_on_a_written_off_loan_is_a_recovery_after_write_off_up_to_what_was_written_off(
    users,
    loss_loan,  # noqa: F811
):
    proposal = write_off_propose(loan=loss_loan, reason="失联，担保代偿不足", actor=users["approver"])
    write_off_approve(write_off=proposal, actor=users["approver2"])
    write_off_approve(write_off=proposal, actor=users["leader"])
    debit = _debit(users, loss_loan, "100300.00", "W1")  # 100,205.41 was written off
    assert (debit.state, debit.applied, debit.refund) == ("partly_applied", Decimal("100205.41"), Decimal("94.59"))
    assert debit.repayment.after_write_off == Decimal("100205.41")
    loan = Loan.objects.get(pk=loss_loan.pk)
    assert loan.recovered_after_write_off == Decimal("100205.41") and loan.status == "written_off"
    assert loans_reconcile() == []
