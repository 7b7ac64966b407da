"""总账凭证: one business day's ledger movements as balanced double entries for the general ledger.

The movements of the day (the loans' ledger, the posted margin ledger, the anchors' applied payments) are
summed per (node, programme, ledger, kind) and each sum becomes one voucher of two lines, a debit and a
credit of the same amount (``accounting.chart``). The file holds them in that order, numbered ``JZ`` +
date + sequence, amounts to the fen and nothing that varies between runs: the same day gives the same
bytes. It is made only for a day already closed (its interest and penalty are charged by its close),
refused when a movement has no posting yet, checked to balance to the fen, and kept with its SHA-256.
Asked again, the day is rebuilt and compared with the kept file: the same bytes give back the same
record; different bytes mean the day's ledger changed after the file went out (``file_changed``), which
the general ledger must hear about from a person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from accounting.chart import ANCHOR_PAYMENT_LEDGER, LOAN_LEDGER, MARGIN_LEDGER, POSTINGS
from accounting.files import CSV_CONTENT_TYPE, csv_file_bytes, stored_bytes
from accounting.models import JournalFile
from accounting.permissions import require_file_role
from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.files import files_kept_only_on_commit, sha256_of, stored_file_create
from core.money import ZERO
from origination.models import AnchorPayment, AnchorPaymentLine, LoanEntry
from partners.models import MarginEntry

COLUMNS = (
    ("凭证日期", "voucher_date"),
    ("凭证号", "voucher_no"),
    ("分录号", "line_no"),
    ("机构代码", "org_code"),
    ("合作方案编号", "program_id"),
    ("科目代码", "account_code"),
    ("科目名称", "account_name"),
    ("借方金额", "debit"),
    ("贷方金额", "credit"),
    ("业务类型", "movement"),
    ("摘要", "summary"),
)


@dataclass(frozen=True)
class Movement:
    """The sum of one kind of movement of a ledger, at a node, in a programme, on the day."""

    org_code: str
    program_id: int
    ledger: str
    kind: str
    amount: Decimal


@dataclass(frozen=True)
class Journal:
    day: dt.date
    rows: list[list[Any]]
    total_debit: Decimal
    total_credit: Decimal

    @property
    def content(self) -> bytes:
        return csv_file_bytes([header for header, _field in COLUMNS], self.rows)


def journal_file_name(day: dt.date) -> str:
    return f"GL_JOURNAL_{day:%Y%m%d}.csv"


def day_movements(day: dt.date) -> list[Movement]:
    """The day's movements of both ledgers, summed, in the file's order."""
    loans = (
        LoanEntry.objects.filter(business_date=day)
        .values_list("loan__org_node__code", "loan__program_id", "kind")
        .annotate(total=Sum("amount"))
        .order_by()  # the ledger's default order by id would split the sums
    )
    margin = (
        MarginEntry.objects.posted()
        .filter(business_date=day)
        .values_list("program__org_node__code", "program_id", "kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    # An anchor's payment is applied, loan by loan, on the day it is checked: its lines say where it went.
    anchor = (
        AnchorPaymentLine.objects.filter(payment__status=AnchorPayment.Status.APPLIED, payment__checked_on=day)
        .values_list("loan__org_node__code", "loan__program_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    movements = [Movement(code, program, LOAN_LEDGER, kind, total) for code, program, kind, total in loans]
    movements += [Movement(code, program, MARGIN_LEDGER, kind, total) for code, program, kind, total in margin]
    movements += [Movement(code, program, ANCHOR_PAYMENT_LEDGER, "applied", total) for code, program, total in anchor]
    return sorted(movements, key=lambda m: (m.org_code, m.program_id, m.ledger, m.kind))


def journal_build(day: dt.date, movements: Iterable[Movement]) -> Journal:
    """The vouchers of the movements; a movement without a posting, or a journal out of balance, refuses it."""
    movements = list(movements)
    unmapped = sorted({f"{m.ledger}:{m.kind}" for m in movements if (m.ledger, m.kind) not in POSTINGS})
    if unmapped:
        raise DomainError(
            ErrorCode.UNMAPPED_LEDGER_KIND,
            _("The chart of accounts has no posting for %(kinds)s: the journal of %(day)s is not made.")
            % {"kinds": ", ".join(unmapped), "day": day.isoformat()},
            kinds=unmapped,
        )
    rows: list[list[Any]] = []
    debit_total = credit_total = ZERO
    for sequence, movement in enumerate(movements, start=1):
        posting = POSTINGS[(movement.ledger, movement.kind)]
        voucher = f"JZ{day:%Y%m%d}{sequence:06d}"
        kind = f"{movement.ledger}:{movement.kind}"
        where = (movement.org_code, movement.program_id)
        debit, credit = posting.debit, posting.credit
        rows.append([day, voucher, 1, *where, debit.code, debit.name, movement.amount, ZERO, kind, posting.summary])
        rows.append([day, voucher, 2, *where, credit.code, credit.name, ZERO, movement.amount, kind, posting.summary])
        debit_total += movement.amount
        credit_total += movement.amount
    journal = Journal(day, rows, debit_total, credit_total)
    journal_check_balanced(journal)
    return journal


def journal_check_balanced(journal: Journal) -> None:
    """Debits equal credits to the fen, for the day and for each voucher."""
    by_voucher: dict[str, Decimal] = {}
    debits = credits = ZERO
    for row in journal.rows:
        debit, credit = Decimal(row[7]), Decimal(row[8])
        debits += debit
        credits += credit
        by_voucher[row[1]] = by_voucher.get(row[1], ZERO) + debit - credit
    unbalanced = sorted(voucher for voucher, net in by_voucher.items() if net != 0)
    if debits != credits or debits != journal.total_debit or credits != journal.total_credit or unbalanced:
        raise DomainError(
            ErrorCode.JOURNAL_UNBALANCED,
            _("The journal of %(day)s does not balance: debits %(debit)s, credits %(credit)s yuan.")
            % {"day": journal.day.isoformat(), "debit": f"{debits:.2f}", "credit": f"{credits:.2f}"},
            vouchers=unbalanced[:10],
        )


def journal_file_generate(*, day: dt.date, actor: Any = None) -> JournalFile:
    """The journal file of a closed day: made the first time, the kept one when the day is unchanged."""
    require_file_role(actor)
    today = business_date_get()
    if day >= today:
        raise DomainError(
            ErrorCode.DAY_NOT_CLOSED,
            _("%(day)s is not closed yet: its journal can be made from %(next)s on.")
            % {"day": day.isoformat(), "next": (day + dt.timedelta(days=1)).isoformat()},
        )
    journal = journal_build(day, day_movements(day))
    content = journal.content
    digest = sha256_of(content)
    with files_kept_only_on_commit(), transaction.atomic():
        kept = JournalFile.objects.select_for_update().filter(business_date=day).first()
        if kept is not None:
            if kept.sha256 != digest:
                raise DomainError(
                    ErrorCode.FILE_CHANGED,
                    _(
                        "The ledger of %(day)s changed after its journal was made (SHA-256 %(kept)s): "
                        "tell the general-ledger team before sending anything else."
                    )
                    % {"day": day.isoformat(), "kept": kept.sha256[:12]},
                    status=409,
                )
            audit_record(actor=actor, action=AuditAction.JOURNAL_EXPORT, subject=kept, again=True)
            return kept
        stored = stored_file_create(
            content=content, name=journal_file_name(day), content_type=CSV_CONTENT_TYPE, uploaded_by=actor
        )
        record = JournalFile.objects.create(
            business_date=day,
            stored_file=stored,
            sha256=digest,
            lines=len(journal.rows),
            total_debit=journal.total_debit,
            total_credit=journal.total_credit,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action=AuditAction.JOURNAL_EXPORT,
            subject=record,
            lines=record.lines,
            total=journal.total_debit,
        )
        return record


def journal_file_bytes(record: JournalFile) -> bytes:
    return stored_bytes(record.stored_file)
