"""月度对账单: the figures against the ledger and the loans, the files read back, the task written once."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from openpyxl import load_workbook
from pypdf import PdfReader

from core.business_date import business_date_set
from core.money import ZERO, format_yuan
from origination.models import CompensationDemand, Loan, LoanEntry
from origination.services.drawdown import loan_disburse
from partners.models import MarginEntry
from partners.services.margin import margin_balance, margin_deposit
from postloan.models_statements import MonthlyStatement
from postloan.statement_figures import statement_figures
from postloan.statement_files import summary_rows
from postloan.statement_tasks import statements_due_task, statements_write_task
from postloan.statements import statement_write, statements_write_month
from servicing.services.repayments import repayment_record
from tests.factories import make_lending_world

D = dt.date
APRIL = D(2027, 4, 1)


@pytest.fixture
def april_book(users):
    """A programme through March and April: one loan matures unpaid on 15 April, another is partly repaid;
    the month ends deduct the margin and leave a claim. The business date is then 1 May."""
    program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 15), amount="100000.00", margin="10000.00")
    short = loan_disburse(credit_limit=limit, amount=Decimal("50000.00"), term_months=1, actor=users["manager"])
    long = loan_disburse(credit_limit=limit, amount=Decimal("30000.00"), term_months=6, actor=users["manager"])
    call_command("close_business_day", "--to", "2027-04-09")
    repayment_record(loan=long, amount=Decimal("5000.00"), actor=users["manager"])
    margin_deposit(program=program, amount=Decimal("2000.00"), actor=users["manager"], note="补缴")
    call_command("close_business_day", "--to", "2027-05-01")
    return {"program": program, "short": short, "long": long, "users": users}


def _ledger_sum(program, *kinds, start=None, end=None):
    rows = LoanEntry.objects.filter(loan__program=program, kind__in=kinds)
    if start:
        rows = rows.filter(business_date__gte=start)
    if end:
        rows = rows.filter(business_date__lte=end)
    return rows.aggregate(total=Sum("amount"))["total"] or ZERO


@pytest.mark.django_db
def test_figures_match_the_ledger_and_the_loans_as_april_left_them(april_book):
    program = april_book["program"]
    figures = statement_figures(program, APRIL)
    loans = Loan.objects.filter(program=program)
    # Nothing happened on 1 May yet: the loans' running balances are April's last close.
    assert figures.outstanding_principal == loans.aggregate(t=Sum("principal_outstanding"))["t"]
    assert figures.overdue_principal == loans.aggregate(t=Sum("principal_overdue"))["t"]
    assert figures.overdue_interest == loans.aggregate(t=Sum("interest_overdue"))["t"]
    assert figures.overdue_principal > 0 and figures.overdue_interest >= 0
    # From the ledger rows themselves.
    end = D(2027, 4, 30)
    disbursed = _ledger_sum(program, "disbursement", end=end)
    taken = _ledger_sum(program, "repaid_principal", "compensated_principal", end=end)
    assert figures.outstanding_principal == disbursed - taken
    kinds = ("compensated_principal", "compensated_interest", "compensated_penalty")
    assert figures.compensated_in_month == _ledger_sum(program, *kinds, start=APRIL, end=end)
    assert figures.compensated_to_date == _ledger_sum(program, *kinds, end=end)
    # The 5,000 repaid in April: the bank's dues, and first what the anchor paid for the farmer (追偿).
    repaid = ("repaid_principal", "repaid_interest", "repaid_penalty", "recovered_for_anchor")
    assert sum(figures.flows[name] for name in repaid) == Decimal("5000.00")
    assert figures.flows["disbursed"] == ZERO  # both loans were drawn in March
    # The margin: opening before 1 April, April's posted movements one by one, closing = the balance now.
    posted = MarginEntry.objects.posted().filter(program=program)
    opening = sum((e.signed_amount for e in posted.filter(business_date__lt=APRIL)), ZERO)
    assert figures.margin_opening == opening
    april = list(posted.filter(business_date__range=(APRIL, end)).order_by("business_date", "id"))
    assert [m.amount for m in figures.margin_moves] == [e.signed_amount for e in april]
    assert any(m.kind == "deposit" and m.amount == Decimal("2000.00") for m in figures.margin_moves)
    assert any(m.kind == "deduction" for m in figures.margin_moves)
    assert figures.margin_closing == margin_balance(program.pk)
    # Demands raised in April and the claims left after the month-end deduction.
    raised = CompensationDemand.objects.filter(program=program, raised_on__range=(APRIL, end))
    assert len(figures.demands) == raised.count() > 0
    assert figures.demanded_in_month == raised.aggregate(t=Sum("amount"))["t"]
    claims = CompensationDemand.objects.filter(program=program, status="claim")
    assert figures.claims_open == claims.aggregate(t=Sum("unrecovered"))["t"] > 0
    _the_files_hold_the_figures(april_book, figures)


@pytest.fixture
def quiet_book(users):
    """A loan drawn in March and April left without a close: the figures need no close to be written."""
    program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 10), amount="100000.00", margin="10000.00")
    loan_disburse(credit_limit=limit, amount=Decimal("40000.00"), term_months=6, actor=users["manager"])
    business_date_set(new_date=D(2027, 5, 1), backwards_allowed=False)
    return {"program": program, "users": users}


@pytest.mark.django_db
def test_the_task_writes_each_statement_once(quiet_book):
    program = quiet_book["program"]
    assert statements_due_task.delay().get() == 1
    statement = MonthlyStatement.objects.get(program=program)
    assert statement.month == APRIL and statement.generated_on == D(2027, 5, 1)
    assert statement.figures["outstanding_principal"] == "40000.00"
    assert statements_due_task.delay().get() == 0  # idempotent: nothing missing any more
    assert statements_write_task.delay("2027-04-01", [program.pk]).get() == 0
    assert statement_write(program, APRIL).pk == statement.pk
    assert MonthlyStatement.objects.count() == 1
    assert (
        statement.figures["outstanding_principal"] == f"{statement_figures(program, APRIL).outstanding_principal:.2f}"
    )
    # March was written on no request: staff may ask for it; it too is written once.
    assert statements_write_month(D(2027, 3, 1)) == 1
    assert statements_write_month(D(2027, 3, 1)) == 0


def _the_files_hold_the_figures(april_book, figures):
    import hashlib

    statement = statement_write(april_book["program"], APRIL)
    xlsx_bytes = statement.xlsx.content.read()
    assert hashlib.sha256(xlsx_bytes).hexdigest() == statement.xlsx.sha256
    book = load_workbook(io.BytesIO(xlsx_bytes), read_only=True)
    summary, margin, demands, claims = (list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets)
    values = [row[1] for row in summary[5:]]
    assert values == [
        value if isinstance(value, int) else pytest.approx(float(value)) for _l, value in summary_rows(figures)
    ]
    # Amounts are to the fen: the workbook's numbers are the statement's, digit for digit.
    assert [Decimal(str(v)).quantize(Decimal("0.01")) for v in values[:1]] == [figures.outstanding_principal]
    assert margin[1][2] == pytest.approx(float(figures.margin_opening))
    assert margin[-1][2] == pytest.approx(float(figures.margin_closing))
    assert len(margin) == len(figures.margin_moves) + 3
    assert len(demands) == len(figures.demands) + 1 and len(claims) == len(figures.claims) + 1
    assert {row[1] for row in demands[1:]} <= {april_book["short"].pk, april_book["long"].pk}

    pdf_bytes = statement.pdf.content.read()
    assert pdf_bytes.startswith(b"%PDF-")
    assert hashlib.sha256(pdf_bytes).hexdigest() == statement.pdf.sha256
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes)).pages)
    for amount in (
        figures.outstanding_principal,
        figures.overdue_principal,
        figures.margin_opening,
        figures.margin_closing,
        figures.claims_open,
    ):
        assert format_yuan(amount) in text


@pytest.mark.django_db
def test_a_month_not_over_has_no_statement(quiet_book):
    from core.errors import DomainError

    with pytest.raises(DomainError) as refused:
        statement_write(quiet_book["program"], D(2027, 5, 1))
    assert refused.value.code == "date_in_future"
    assert MonthlyStatement.objects.count() == 0


@pytest.mark.django_db
def test_a_loan_written_off_in_the_month_leaves_the_position(users):
    from servicing.write_off import write_off_approve, write_off_propose

    program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 10), amount="100000.00", margin="10000.00")
    kept = loan_disburse(credit_limit=limit, amount=Decimal("20000.00"), term_months=6, actor=users["manager"])
    lost = loan_disburse(credit_limit=limit, amount=Decimal("30000.00"), term_months=6, actor=users["manager"])
    business_date_set(new_date=D(2027, 4, 12), backwards_allowed=False)
    Loan.objects.filter(pk=lost.pk).update(classification=Loan.Classification.LOSS)
    proposal = write_off_propose(loan=lost, reason="养殖场关停，无还款来源", actor=users["manager"])
    write_off_approve(write_off=proposal, actor=users["approver"])
    write_off_approve(write_off=proposal, actor=users["leader"])
    business_date_set(new_date=D(2027, 5, 1), backwards_allowed=False)

    figures = statement_figures(program, APRIL)
    written = LoanEntry.objects.filter(loan=lost, kind__startswith="written_off").aggregate(t=Sum("amount"))["t"]
    assert figures.outstanding_principal == kept.principal == Decimal("20000.00")
    assert figures.written_off_in_month == written >= Decimal("30000.00")
    assert figures.flows["written_off_principal"] == Decimal("30000.00")
    assert figures.overdue_principal == figures.overdue_interest == ZERO
    # March, before the write-off, still had both loans.
    assert statement_figures(program, D(2027, 3, 1)).outstanding_principal == Decimal("50000.00")
