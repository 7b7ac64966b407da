"""Writing the monthly statements (月度对账单) and who may read them.

A statement is written once per programme and month and never again: asking twice (the beat task every
half hour, a second click) finds it written and leaves it. The month must be over on the business date:
the close of its last day has run, so its ledger is complete.

Who reads them: the anchor operator those of his enterprise's programmes; bank staff who oversee
(branch managers, risk approvers, administrators) those of the programmes in their reach, as on every list.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import override

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.calendar import month_end
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.files import files_kept_only_on_commit, stored_file_create
from core.roles import Role
from origination.models import Loan
from partners.models import MarginEntry, Program, User
from partners.scoping import is_anchor_operator, visible_programs
from postloan.models_statements import MonthlyStatement
from postloan.statement_figures import statement_figures
from postloan.statement_files import statement_pdf, statement_xlsx

# Bank staff who read every statement in their reach and may ask for a month to be written.
STATEMENT_STAFF = (Role.BRANCH_MANAGER, Role.RISK_APPROVER, Role.ADMINISTRATOR)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATEMENT_LANGUAGE = "zh-hans"


def previous_month(day: dt.date) -> dt.date:
    """The first day of the month before ``day``'s."""
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def may_read_statements(user: User) -> bool:
    return bool(user.is_superuser or is_anchor_operator(user) or user.role in STATEMENT_STAFF)


def visible_statements(user: User) -> QuerySet[MonthlyStatement]:
    """The statements of the programmes the user sees (an anchor operator: his enterprise's only)."""
    if not may_read_statements(user):
        return MonthlyStatement.objects.none()
    return MonthlyStatement.objects.filter(program__in=visible_programs(user))


def programs_with_business(end: dt.date) -> QuerySet[Program]:
    """The programmes with a loan or a margin movement by ``end``: those a month's statement is written for."""
    # Two EXISTS, not joins: a join of a programme's loans with its margin entries would multiply them.
    lent = Loan.objects.filter(program_id=OuterRef("pk"), disbursed_on__lte=end)
    moved = MarginEntry.objects.filter(program_id=OuterRef("pk"), business_date__lte=end)
    return Program.objects.filter(Exists(lent) | Exists(moved)).select_related("anchor")


def _check_month(month: dt.date) -> dt.date:
    start = month.replace(day=1)
    if month_end(start) >= business_date_get():
        raise DomainError(
            ErrorCode.DATE_IN_FUTURE,
            _("A month's statement can only be written once the month is closed."),
            status=400,
        )
    return start


def statement_write(program: Program, month: dt.date, actor: User | None = None) -> MonthlyStatement:
    """The statement of ``program`` for ``month``: the one written before, or written now."""
    start = _check_month(month)
    existing = MonthlyStatement.objects.filter(program=program, month=start).first()
    if existing is not None:
        return existing
    with override(STATEMENT_LANGUAGE):
        figures = statement_figures(program, start)
        today = business_date_get()
        xlsx, pdf = statement_xlsx(figures), statement_pdf(figures, today)
    stem = f"statement-{program.pk}-{start:%Y-%m}"
    try:
        with files_kept_only_on_commit(), transaction.atomic():
            statement = MonthlyStatement.objects.create(
                program=program,
                month=start,
                generated_on=today,
                generated_by=actor,
                figures=figures.summary(),
                xlsx=stored_file_create(content=xlsx, name=f"{stem}.xlsx", content_type=XLSX_TYPE, uploaded_by=actor),
                pdf=stored_file_create(
                    content=pdf, name=f"{stem}.pdf", content_type="application/pdf", uploaded_by=actor
                ),
            )
            audit_record(
                actor=actor,
                action=AuditAction.STATEMENT_WRITE,
                subject=statement,
                program=program.pk,
                month=f"{start:%Y-%m}",
                xlsx_sha256=statement.xlsx.sha256,
                pdf_sha256=statement.pdf.sha256,
            )
            return statement
    except IntegrityError:
        # Written meanwhile by another run (the beat and a click at once): that one stands.
        return MonthlyStatement.objects.get(program=program, month=start)


def statements_write_month(month: dt.date, program_ids: list[int] | None = None, actor: User | None = None) -> int:
    """Write the month's missing statements (of ``program_ids`` when given); how many were written now."""
    start = _check_month(month)
    programs = programs_with_business(month_end(start))
    if program_ids is not None:
        programs = programs.filter(pk__in=program_ids)
    done = set(MonthlyStatement.objects.filter(month=start).values_list("program_id", flat=True))
    written = 0
    for program in programs.exclude(pk__in=done).order_by("pk"):
        statement_write(program, start, actor)
        written += 1
    return written


def statements_due() -> int:
    """The previous month's missing statements, on the business date's first day or any day after (beat)."""
    month = previous_month(business_date_get())
    return statements_write_month(month)
