"""The core's debits applied by the close of their value date, through the real close of business."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.business_date import business_date_get
from corebank.debit_files import debit_file_import
from corebank.models import Debit, PendingDebit
from origination.models import CompensationDemand, Loan, LoanDue, Repayment
from postloan.cob import close_business_days
from servicing import settlement
from servicing.reconcile import loans_reconcile
from servicing.services.repayments import loan_dpd
from tests.corebank.debits import debit_csv, lending_loans

pytestmark = pytest.mark.django_db
D = dt.date


def debits_send(users, rows, name="debits.csv"):
    day = business_date_get().isoformat()
    content = debit_csv([(loan.pk, day, amount, reference) for loan, amount, reference in rows])
    return debit_file_import(content=content, filename=name, actor=users["admin"])


@pytest.fixture
def loan(users):
    return lending_loans(users)[0]


def test_a_farmer_debited_on_the_20th_is_not_overdue_on_the_21st(users, loan):
    close_business_days(to=D(2027, 3, 20))
    debits_send(users, [(loan, "193.33", "C20")])  # 5–20 March: 16 days of 12.0833… = 193.33
    close_business_days(to=D(2027, 3, 21))
    loan.refresh_from_db()
    assert loan_dpd(loan, business_date_get()) == 0 and loan.oldest_due_date is None
    assert loan.classification == "normal" and loan.interest_due == 0 and loan.interest_overdue == 0
    assert not CompensationDemand.objects.filter(loan=loan).exists()
    repayment = Repayment.objects.get(loan=loan)
    assert (repayment.business_date, repayment.interest, repayment.principal) == (D(2027, 3, 20), Decimal("193.33"), 0)
    assert repayment.recorded_by == users["admin"]
    debit = Debit.objects.get(reference="C20")
    assert (debit.state, debit.applied, debit.refund, debit.repayment_id) == (
        "applied",
        Decimal("193.33"),
        0,
        repayment.pk,
    )
    assert LoanDue.objects.get(loan=loan, kind="interest", due_on=D(2027, 3, 20)).settled_on == D(2027, 3, 20)
    assert loans_reconcile() == []


def debit_table_updates() -> tuple[int, int]:
    """This transaction's updates of the debits' rows so far: (all, heap-only)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_get_xact_tuples_updated(%s::regclass), pg_stat_get_xact_tuples_hot_updated(%s::regclass)",
            [Debit._meta.db_table] * 2,
        )
        return cursor.fetchone()


def test_the_close_takes_its_debits_from_the_queue_and_marks_them_without_writing_an_index(users, loan):
    close_business_days(to=D(2027, 3, 20))
    debits_send(users, [(loan, "193.33", "Q1")])
    queued = PendingDebit.objects.values_list("debit__reference", "loan_id", "value_date", "amount", "recorded_by")
    assert list(queued) == [("Q1", loan.pk, D(2027, 3, 20), Decimal("193.33"), users["admin"].pk)]
    updated, heap_only = debit_table_updates()
    close_business_days(to=D(2027, 3, 21))
    assert Debit.objects.get(reference="Q1").state == "applied" and not PendingDebit.objects.exists()
    # One update of the debit's row, and it was heap-only: the new version on the same page, no index written.
    assert debit_table_updates() == (updated + 1, heap_only + 1)
    # A page of a million-line file has that room too: the table keeps half of each page free.
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", [Debit._meta.db_table])
        assert cursor.fetchone()[0] == ["fillfactor=50"]


def test_a_debit_short_of_the_interest_leaves_the_rest_overdue(users, loan):
    close_business_days(to=D(2027, 3, 20))
    debits_send(users, [(loan, "100.00", "C1")])
    close_business_days(to=D(2027, 3, 21))
    loan.refresh_from_db()
    assert loan.interest_overdue == Decimal("93.33") and loan_dpd(loan, business_date_get()) == 1
    assert CompensationDemand.objects.get(loan=loan).amount == Decimal("93.33")
    assert loans_reconcile() == []


def test_a_debit_above_what_the_loan_owes_pays_it_off_and_the_rest_is_for_refund(users, loan):
    close_business_days(to=D(2027, 3, 20))
    debits_send(users, [(loan, "100500.00", "BIG")])
    close_business_days(to=D(2027, 3, 21))
    loan.refresh_from_db()
    assert (loan.status, loan.closed_on, loan.principal_outstanding) == ("closed", D(2027, 3, 20), 0)
    debit = Debit.objects.get(reference="BIG")
    assert (debit.state, debit.applied, debit.refund) == ("partly_applied", Decimal("100193.33"), Decimal("306.67"))
    assert loans_reconcile() == []


def test_several_debits_of_a_loan_on_an_ordinary_day_pay_in_turn(users, loan):
    close_business_days(to=D(2027, 3, 15))
    debits_send(users, [(loan, "20.00", "S1"), (loan, "100120.83", "S2")])
    close_business_days(to=D(2027, 3, 16))
    loan.refresh_from_db()
    # 5–15 March is 11 days: 132.92 of interest; the first debit pays 20.00 of it, the second the rest.
    assert loan.status == "closed"
    assert Debit.objects.get(reference="S1").applied == Decimal("20.00")
    second = Debit.objects.get(reference="S2")
    assert (second.applied, second.refund) == (Decimal("100112.92"), Decimal("7.91"))
    assert loans_reconcile() == []


def test_a_debit_at_maturity_pays_the_principal_falling_due_that_day(users):
    from origination.services.drawdown import loan_disburse
    from tests.factories import make_lending_world

    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5))
    loan = loan_disburse(credit_limit=limit, amount=Decimal("10000.00"), term_months=1, actor=users["manager"])
    close_business_days(to=D(2027, 4, 5))
    loan.refresh_from_db()
    owed = loan.principal_outstanding + loan.interest_due + loan.interest_overdue
    assert loan.maturity_on == business_date_get() == D(2027, 4, 5)
    debits_send(users, [(loan, "20000.00", "M1")])
    close_business_days(to=D(2027, 4, 6))
    loan.refresh_from_db()
    assert loan.status == "closed" and loan.principal_overdue == 0
    assert not LoanDue.objects.filter(loan=loan, settled_on__isnull=True).exists()
    debit = Debit.objects.get(reference="M1")
    assert debit.applied > owed  # with the interest of 21 March – 5 April charged at maturity
    assert debit.applied + debit.refund == Decimal("20000.00")
    assert loans_reconcile() == []


def test_a_close_that_fails_after_applying_keeps_nothing_and_applies_once_on_resume(users, loan):
    close_business_days(to=D(2027, 3, 20))
    debits_send(users, [(loan, "193.33", "R1")])

    def crash(day, first_id, last_id):
        raise RuntimeError("worker lost")

    settlement.BEFORE_OVERDUE.append(crash)
    try:
        with pytest.raises(RuntimeError):
            close_business_days(to=D(2027, 3, 21))
    finally:
        settlement.BEFORE_OVERDUE.remove(crash)
    assert Debit.objects.get(reference="R1").state == "pending" and not Repayment.objects.exists()
    assert PendingDebit.objects.get().debit.reference == "R1"  # the queue's row came back with the rollback
    close_business_days(to=D(2027, 3, 21))
    assert Repayment.objects.filter(loan=loan).count() == 1
    assert Debit.objects.get(reference="R1").state == "applied"
    assert Loan.objects.get(pk=loan.pk).interest_overdue == 0
    assert loans_reconcile() == []


def test_the_command_imports_the_file_drop_and_fails_on_a_bad_file(users, loan, tmp_path, capsys):
    day = business_date_get().isoformat()
    good = tmp_path / "good.csv"
    good.write_bytes(debit_csv([(loan.pk, day, "5.00", "F1")], encoding="gbk"))
    call_command("core_repayments_import", str(good))
    assert "1 accepted, 0 duplicates" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(debit_csv([(loan.pk, day, "5.00", "F2"), (424242, day, "5.00", "F3")]))
    with pytest.raises(CommandError, match="file_rejected"):
        call_command("core_repayments_import", str(bad), "--user", "admin")
    assert "row 3, loan: unknown_loan" in capsys.readouterr().err
    assert list(Debit.objects.values_list("reference", flat=True)) == ["F1"]


def test_a_debit_of_a_loan_already_paid_off_is_kept_for_refund_at_once(users):
    from servicing.services.repayments import repayment_record

    first, _second = lending_loans(users, amounts=("10000.00", "20000.00"))
    close_business_days(to=D(2027, 3, 15))
    repayment_record(loan=first, amount=Decimal("10012.08"), actor=users["manager"])  # 5–14 March: 12.08
    assert Loan.objects.get(pk=first.pk).status == "closed"
    debits_send(users, [(first, "50.00", "LATE")])
    debit = Debit.objects.get(reference="LATE")
    assert (debit.state, debit.applied, debit.refund) == ("partly_applied", 0, Decimal("50.00"))
    assert not PendingDebit.objects.exists()  # nothing for the close to apply
    close_business_days(to=D(2027, 3, 16))
    assert not Repayment.objects.filter(loan=first).exclude(business_date=D(2027, 3, 15)).exists()


def test_a_debit_its_day_did_not_apply_is_applied_by_the_next_close(users, loan):
    close_business_days(to=D(2027, 3, 15))
    debits_send(users, [(loan, "50.00", "MISSED")])
    hooks = list(settlement.BEFORE_OVERDUE)
    settlement.BEFORE_OVERDUE.clear()  # as if the file came in after its loan's chunk of the close was done
    try:
        close_business_days(to=D(2027, 3, 16))
    finally:
        settlement.BEFORE_OVERDUE.extend(hooks)
    assert Debit.objects.get(reference="MISSED").state == "pending"
    close_business_days(to=D(2027, 3, 17))
    debit = Debit.objects.get(reference="MISSED")
    assert (debit.state, debit.applied) == ("applied", Decimal("50.00"))
    assert Repayment.objects.get(loan=loan).business_date == D(2027, 3, 16)
    assert loans_reconcile() == []
