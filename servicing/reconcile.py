"""Proof that the loan rows equal their ledgers, to the fen (one aggregate query over the book)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Exists, F, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce

from core.money import money
from origination.models import Loan, LoanDue, LoanEntry, Repayment
from partners.models import User

K = LoanEntry.Kind


def _sum(*kinds: str) -> Coalesce:
    return Coalesce(
        Sum("entries__amount", filter=Q(entries__kind__in=kinds)),
        Value(Decimal(0)),
        output_field=DecimalField(max_digits=18, decimal_places=2),
    )


@dataclass(frozen=True)
class Mismatch:
    loan_id: int
    field: str
    row: Decimal
    ledger: Decimal


def loans_reconcile(loan_ids: list[int] | None = None) -> list[Mismatch]:
    """Every loan's balances against its ledger (or those of ``loan_ids``); over the whole book, also the
    ledger rows, dues and repayments whose loan, repayment or recorder does not exist (their keys are kept by
    the application, see ``LoanEntry.loan`` and ``Repayment.loan``)."""
    mismatches = [] if loan_ids is not None else _rows_without_loan()
    loans = Loan.objects.all() if loan_ids is None else Loan.objects.filter(pk__in=loan_ids)
    sums = loans.annotate(
        lent=_sum(K.DISBURSEMENT),
        principal_back=_sum(K.REPAID_PRINCIPAL, K.COMPENSATED_PRINCIPAL),
        interest_charged=_sum(K.INTEREST_CHARGE),
        interest_back=_sum(K.REPAID_INTEREST, K.COMPENSATED_INTEREST),
        penalty_charged=_sum(K.PENALTY_CHARGE),
        penalty_back=_sum(K.REPAID_PENALTY, K.COMPENSATED_PENALTY),
        compensated_total=_sum(K.COMPENSATED_PENALTY, K.COMPENSATED_INTEREST, K.COMPENSATED_PRINCIPAL),
        recovered_total=_sum(K.RECOVERED_FOR_ANCHOR),
        principal_off=_sum(K.WRITTEN_OFF_PRINCIPAL),
        interest_off=_sum(K.WRITTEN_OFF_INTEREST),
        penalty_off=_sum(K.WRITTEN_OFF_PENALTY),
        after_write_off=_sum(K.RECOVERED_AFTER_WRITE_OFF),
    ).annotate(
        ledger_principal=F("lent") - F("principal_back") - F("principal_off"),
        ledger_interest=F("interest_charged") - F("interest_back") - F("interest_off"),
        ledger_penalty=F("penalty_charged") - F("penalty_back") - F("penalty_off"),
        written_off_total=F("principal_off") + F("interest_off") + F("penalty_off"),
    )
    for loan in sums:
        pairs = (
            ("principal", loan.principal, loan.lent),
            ("principal_outstanding", loan.principal_outstanding, loan.ledger_principal),
            ("interest", loan.interest_due + loan.interest_overdue, loan.ledger_interest),
            ("penalty", loan.penalty_due, loan.ledger_penalty),
            ("compensated", loan.compensated, loan.compensated_total),
            # 追偿: what the farmer paid back to the anchor, never more than the anchor paid for him.
            ("recovered", loan.recovered, loan.recovered_total),
            ("recovered_within_compensated", min(loan.recovered, loan.compensated), loan.recovered),
            # 核销: the balances taken off the book, and what came in after.
            ("written_off", loan.written_off, loan.written_off_total),
            ("recovered_after_write_off", loan.recovered_after_write_off, loan.after_write_off),
        )
        for name, row, ledger in pairs:
            # Exact: the balance columns and the ledger's sums are numerics, never rounded.
            if Decimal(row) != Decimal(ledger):
                mismatches.append(Mismatch(loan.pk, name, Decimal(row), Decimal(ledger)))
    return mismatches


def _rows_without_loan() -> list[Mismatch]:
    """A ledger row, due or repayment whose loan is missing, an entry whose repayment is missing, a repayment
    whose recorder is missing: the field says which, the ledger side what it holds."""
    existing = Loan.objects.filter(pk=OuterRef("loan_id"))
    orphan_sets = (
        ("entry_without_loan", LoanEntry.objects.filter(~Exists(existing))),
        ("due_without_loan", LoanDue.objects.filter(~Exists(existing))),
        ("repayment_without_loan", Repayment.objects.filter(~Exists(existing))),
        (
            "entry_without_repayment",
            LoanEntry.objects.filter(repayment_id__isnull=False).filter(
                ~Exists(Repayment.objects.filter(pk=OuterRef("repayment_id")))
            ),
        ),
        (
            "repayment_without_recorder",
            Repayment.objects.filter(~Exists(User.objects.filter(pk=OuterRef("recorded_by_id")))),
        ),
    )
    mismatches = []
    for field, orphans in orphan_sets:
        totals = orphans.values("loan_id").annotate(total=Sum("amount")).order_by("loan_id")
        mismatches += [Mismatch(row["loan_id"], field, Decimal(0), money(Decimal(row["total"]))) for row in totals]
    return mismatches
