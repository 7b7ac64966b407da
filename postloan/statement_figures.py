"""月度对账单的数字: a programme's month, read from the ledgers as they stood at the month's last close.

The statement may be written any day after the month (the task writes it on the 1st; staff may ask for an
older month), so no figure is read from the loans' running balances, which have moved on since. Each is a
sum of ledger rows dated up to the month's end:

- outstanding principal (贷款余额): disbursements less principal repaid, compensated and written off;
- overdue principal (逾期本金): the outstanding principal of the loans matured by the month's end (principal
  falls due at maturity, all of it; the close moves what is unpaid to overdue that evening);
- overdue interest (逾期利息): per loan, interest due by the month's end less interest repaid or compensated
  or written off by then, never below 0. Exact because the waterfall pays overdue interest before any interest not yet
  due: a loan still overdue at the month's end cannot have paid interest that falls due later;
- the month's flows (放款, 还本, 还息, 还罚息, 代偿): the entries dated in the month, by kind;
- the margin (保证金): posted entries, opening balance (before the 1st), each movement, closing balance;
- what the anchor paid from its own funds (自有资金代偿) on the programme's demands, by the payments checked and
  applied in the month (their lines are booked as compensation, so they are part of the month's compensated);
- demands (代偿通知) raised in the month as they stand when the statement is written, and the claims on
  the anchor (挂账) still open then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Sum

from core.calendar import month_end
from core.money import ZERO, money
from origination.figures import margin_required
from origination.models import AnchorPayment, AnchorPaymentLine, CompensationDemand, Loan, LoanDue, LoanEntry
from origination.models.loans import PRINCIPAL_MOVES
from partners.models import MarginEntry, Program

ENTRY = LoanEntry._meta.db_table
LOAN = Loan._meta.db_table
DUE = LoanDue._meta.db_table

# The month's flows: ledger kind → the statement's name for it.
FLOW_KINDS: dict[str, str] = {
    "disbursed": LoanEntry.Kind.DISBURSEMENT,
    "repaid_principal": LoanEntry.Kind.REPAID_PRINCIPAL,
    "repaid_interest": LoanEntry.Kind.REPAID_INTEREST,
    "repaid_penalty": LoanEntry.Kind.REPAID_PENALTY,
    "compensated_principal": LoanEntry.Kind.COMPENSATED_PRINCIPAL,
    "compensated_interest": LoanEntry.Kind.COMPENSATED_INTEREST,
    "compensated_penalty": LoanEntry.Kind.COMPENSATED_PENALTY,
    # 追偿 and 核销: the farmer reimbursing the anchor, balances written off, money received after a write-off.
    "recovered_for_anchor": "recovered_for_anchor",
    "written_off_principal": "written_off_principal",
    "written_off_interest": "written_off_interest",
    "written_off_penalty": "written_off_penalty",
    "recovered_after_write_off": "recovered_written_off",
}
COMPENSATED_KINDS = ("compensated_principal", "compensated_interest", "compensated_penalty")
WRITTEN_OFF_KINDS = ("written_off_principal", "written_off_interest", "written_off_penalty")
# What takes principal off the book (repaid, compensated, written off), and interest due.
PRINCIPAL_OUT = tuple(kind for kind in PRINCIPAL_MOVES if kind != "disbursement")
INTEREST_SETTLED = (
    LoanEntry.Kind.REPAID_INTEREST.value,
    LoanEntry.Kind.COMPENSATED_INTEREST.value,
    "written_off_interest",
)
# Demands shown line by line in the PDF; the workbook lists them all (a month may raise one per loan).
PDF_DEMAND_LINES = 300


@dataclass(frozen=True)
class MarginMove:
    day: dt.date
    kind: str  # MarginEntry.Kind
    kind_label: str
    amount: Decimal  # signed: a deposit adds, a withdrawal or deduction takes away
    reference: str
    note: str


@dataclass(frozen=True)
class DemandLine:
    demand_id: int
    loan_id: int
    farmer_name: str
    farmer_id_masked: str
    raised_on: dt.date
    amount: Decimal
    compensated: Decimal
    unrecovered: Decimal
    status: str
    status_label: str


@dataclass
class StatementFigures:
    program_id: int
    program_name: str
    anchor_name: str
    month: dt.date  # the first day
    margin_ratio: Decimal
    outstanding_principal: Decimal = ZERO
    overdue_principal: Decimal = ZERO
    overdue_interest: Decimal = ZERO
    loans_outstanding: int = 0
    compensated_to_date: Decimal = ZERO
    anchor_paid_in_month: Decimal = ZERO
    flows: dict[str, Decimal] = field(default_factory=dict)
    margin_opening: Decimal = ZERO
    margin_moves: list[MarginMove] = field(default_factory=list)
    demands: list[DemandLine] = field(default_factory=list)
    claims: list[DemandLine] = field(default_factory=list)

    @property
    def month_end(self) -> dt.date:
        return month_end(self.month)

    @property
    def compensated_in_month(self) -> Decimal:
        return money(sum((self.flows.get(kind, ZERO) for kind in COMPENSATED_KINDS), ZERO))

    @property
    def written_off_in_month(self) -> Decimal:
        return money(sum((self.flows.get(kind, ZERO) for kind in WRITTEN_OFF_KINDS), ZERO))

    @property
    def margin_closing(self) -> Decimal:
        return money(self.margin_opening + sum((move.amount for move in self.margin_moves), ZERO))

    @property
    def margin_required(self) -> Decimal:
        return margin_required(self.margin_ratio, self.outstanding_principal)

    @property
    def margin_shortfall(self) -> Decimal:
        return max(ZERO, self.margin_required - self.margin_closing)

    @property
    def demanded_in_month(self) -> Decimal:
        return money(sum((line.amount for line in self.demands), ZERO))

    @property
    def claims_open(self) -> Decimal:
        return money(sum((line.unrecovered for line in self.claims), ZERO))

    def summary(self) -> dict[str, str]:
        """The headline figures as strings to the fen, kept on the statement row and shown on its page."""
        amounts = {
            "outstanding_principal": self.outstanding_principal,
            "overdue_principal": self.overdue_principal,
            "overdue_interest": self.overdue_interest,
            "compensated_in_month": self.compensated_in_month,
            "written_off_in_month": self.written_off_in_month,
            "compensated_to_date": self.compensated_to_date,
            "anchor_paid_in_month": self.anchor_paid_in_month,
            "margin_opening": self.margin_opening,
            "margin_closing": self.margin_closing,
            "margin_required": self.margin_required,
            "margin_shortfall": self.margin_shortfall,
            "demanded_in_month": self.demanded_in_month,
            "claims_open": self.claims_open,
            **self.flows,
        }
        return {name: f"{money(value):.2f}" for name, value in amounts.items()} | {
            "loans_outstanding": str(self.loans_outstanding),
            "demands_in_month": str(len(self.demands)),
            "claims_count": str(len(self.claims)),
        }


def _ledger_sums(program_id: int, start: dt.date, end: dt.date) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Per ledger kind, the month's sum and the sum to the month's end, of the programme's loans."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.kind, "
            "COALESCE(SUM(CASE WHEN e.business_date >= %(start)s THEN e.amount END), 0), SUM(e.amount) "
            f"FROM {ENTRY} e JOIN {LOAN} l ON l.id = e.loan_id "
            "WHERE l.program_id = %(program)s AND e.business_date <= %(end)s GROUP BY e.kind",
            {"program": program_id, "start": start, "end": end},
        )
        rows = cursor.fetchall()
    month = {kind: money(in_month) for kind, in_month, _total in rows}
    to_date = {kind: money(total) for kind, _in_month, total in rows}
    return month, to_date


def _principal_position(program_id: int, end: dt.date) -> tuple[Decimal, Decimal, int]:
    """Outstanding principal at the month's end, the part of it past maturity, and the loans with any."""
    moves = ", ".join(f"'{kind}'" for kind in ("disbursement", *PRINCIPAL_OUT))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(o.principal), 0), "
            "COALESCE(SUM(CASE WHEN o.maturity_on <= %(end)s THEN o.principal ELSE 0 END), 0), "
            "COUNT(*) FILTER (WHERE o.principal > 0) FROM ("
            "SELECT l.maturity_on, "
            "SUM(CASE WHEN e.kind = 'disbursement' THEN e.amount ELSE -e.amount END) AS principal "
            f"FROM {ENTRY} e JOIN {LOAN} l ON l.id = e.loan_id "
            f"WHERE l.program_id = %(program)s AND e.business_date <= %(end)s AND e.kind IN ({moves}) "
            "GROUP BY l.id, l.maturity_on) o",
            {"program": program_id, "end": end},
        )
        outstanding, overdue, loans = cursor.fetchone()
    return money(outstanding), money(overdue), int(loans)


def _overdue_interest(program_id: int, end: dt.date) -> Decimal:
    """Per loan, interest due by ``end`` less interest repaid or compensated by then, never below 0."""
    settled = ", ".join(f"'{kind}'" for kind in INTEREST_SETTLED)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(GREATEST(0, d.due - COALESCE(p.paid, 0))), 0) FROM ("
            f"SELECT d.loan_id, SUM(d.amount) AS due FROM {DUE} d JOIN {LOAN} l ON l.id = d.loan_id "
            "WHERE l.program_id = %(program)s AND d.kind = 'interest' AND d.due_on <= %(end)s GROUP BY d.loan_id) d "
            "LEFT JOIN ("
            f"SELECT e.loan_id, SUM(e.amount) AS paid FROM {ENTRY} e JOIN {LOAN} l ON l.id = e.loan_id "
            f"WHERE l.program_id = %(program)s AND e.business_date <= %(end)s AND e.kind IN ({settled}) "
            "GROUP BY e.loan_id) p ON p.loan_id = d.loan_id",
            {"program": program_id, "end": end},
        )
        return money(cursor.fetchone()[0])


def _margin(program_id: int, start: dt.date, end: dt.date) -> tuple[Decimal, list[MarginMove]]:
    posted = MarginEntry.objects.posted().filter(program_id=program_id)
    before = posted.filter(business_date__lt=start).values("kind").annotate(total=Sum("amount")).order_by()
    opening = sum((row["total"] if row["kind"] == MarginEntry.Kind.DEPOSIT else -row["total"] for row in before), ZERO)
    moves = [
        MarginMove(
            entry.business_date,
            entry.kind,
            str(entry.get_kind_display()),
            entry.signed_amount,
            entry.reference_shown,
            entry.note,
        )
        for entry in posted.filter(business_date__range=(start, end)).order_by("business_date", "id")
    ]
    return money(opening), moves


def _anchor_paid(program_id: int, start: dt.date, end: dt.date) -> Decimal:
    """The programme's share of the anchor's payments checked and applied in the month."""
    lines = AnchorPaymentLine.objects.filter(
        demand__program_id=program_id,
        payment__status=AnchorPayment.Status.APPLIED,
        payment__checked_on__range=(start, end),
    )
    return money(lines.aggregate(total=Sum("amount"))["total"] or ZERO)


DEMAND_COLUMNS = (
    "pk",
    "loan_id",
    "loan__farmer__name",
    "loan__farmer__id_masked",
    "raised_on",
    "amount",
    "compensated",
    "unrecovered",
    "status",
)


def _demand_lines(rows: Iterator[tuple[Any, ...]]) -> list[DemandLine]:
    labels = {value: str(label) for value, label in CompensationDemand.Status.choices}
    return [
        DemandLine(pk, loan, name, masked, raised, amount, compensated, unrecovered, status, labels.get(status, status))
        for pk, loan, name, masked, raised, amount, compensated, unrecovered, status in rows
    ]


def _demands(program_id: int, start: dt.date, end: dt.date) -> tuple[list[DemandLine], list[DemandLine]]:
    """The demands raised in the month, and the claims on the anchor open now, oldest first.

    Read as tuples of the columns the statement shows: a month may raise a demand for most of 100,000 loans.
    """
    rows = CompensationDemand.objects.filter(program_id=program_id)
    raised = rows.filter(raised_on__range=(start, end)).order_by("raised_on", "id")
    claims = rows.filter(status=CompensationDemand.Status.CLAIM, raised_on__lte=end).order_by("raised_on", "id")
    return (
        _demand_lines(raised.values_list(*DEMAND_COLUMNS).iterator(chunk_size=5000)),
        _demand_lines(claims.values_list(*DEMAND_COLUMNS).iterator(chunk_size=5000)),
    )


def statement_figures(program: Program, month: dt.date) -> StatementFigures:
    """The statement of ``program`` for the month that ``month`` lies in."""
    start = month.replace(day=1)
    end = month_end(start)
    flows, to_date = _ledger_sums(program.pk, start, end)
    outstanding, overdue, loans = _principal_position(program.pk, end)
    opening, moves = _margin(program.pk, start, end)
    demands, claims = _demands(program.pk, start, end)
    return StatementFigures(
        program_id=program.pk,
        program_name=program.name,
        anchor_name=program.anchor.name,
        month=start,
        margin_ratio=program.margin_ratio,
        outstanding_principal=outstanding,
        overdue_principal=overdue,
        overdue_interest=_overdue_interest(program.pk, end),
        loans_outstanding=loans,
        anchor_paid_in_month=_anchor_paid(program.pk, start, end),
        compensated_to_date=money(sum((to_date.get(FLOW_KINDS[k], ZERO) for k in COMPENSATED_KINDS), ZERO)),
        flows={name: flows.get(kind, ZERO) for name, kind in FLOW_KINDS.items()},
        margin_opening=opening,
        margin_moves=moves,
        demands=demands,
        claims=claims,
    )
