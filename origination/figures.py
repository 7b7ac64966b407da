"""The book's figures (业务指标口径): one definition of each, for the ORM and for set-based SQL side by side.

Pages, the API, the drawdown and margin checks and the circuit breaker read a programme's figures through
the Python functions here; the warning rules and the dashboards' daily aggregates, which work on sets, build
their SQL from the fragments here. Both are made from the same constants (the NPL list from
``risk.classification.NPL_CLASSES``, the sums from ``LOAN_SUMS``), as the close builds its DPD ``CASE`` from
``risk.classification.DPD_BANDS``, so a figure cannot mean one thing on a page and another in a warning.

- outstanding principal (贷款余额): ``principal_outstanding`` of the active loans;
- overdue principal and interest (逾期本金、逾期利息), compensated, the principal of farmers once late;
- the five classes (五级分类) and the NPL set (不良): ``risk.classification``; the NPL principal is the
  outstanding principal of the loans in ``NPL_CLASSES``, the NPL ratio that principal over the outstanding;
- margin balance (保证金余额): ``partners.services.margin`` (the ledger lives there, below this app);
- margin requirement (应缴保证金): margin ratio × outstanding principal, to the fen;
- limits in force (已批额度): approved limits not expired on the day; a limit's outstanding and available;
- headroom (剩余总额度): the programme's total cap less its limits in force, never below 0;
- the per-farmer cap and the rounding of a limit to a thousand: ``risk.limits``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from core.business_date import business_date_get
from core.money import ZERO, money, ratio
from origination.models import CreditLimit, Loan
from partners.models import Farmer, Program
from partners.services.margin import margin_balance_sql, margin_balances
from risk.classification import NPL_CLASSES, SEVERITY, LoanClass

LOAN = Loan._meta.db_table
LIMIT = CreditLimit._meta.db_table
PROGRAM = Program._meta.db_table

ACTIVE_LOAN = Loan.Status.ACTIVE.value
# Live limits (active or frozen) count against the caps: a frozen one may be lifted and lend again.
LIMIT_LIVE: tuple[str, ...] = tuple(str(status) for status in CreditLimit.LIVE_STATUSES)

# The classes best first, and the NPL ones in the same order, as the SQL lists them.
CLASSES: tuple[str, ...] = tuple(c.value for c in sorted(LoanClass, key=SEVERITY.__getitem__))
NPL_CLASS_VALUES: tuple[str, ...] = tuple(c for c in CLASSES if LoanClass(c) in NPL_CLASSES)


def sql_list(values: Iterable[str]) -> str:
    """``('a', 'b')``: a list of our own constants (never user input) for ``IN``."""
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


# --- sums over active loans ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LoanSum:
    """The sum of a loan column over active loans, only of the loans in ``classes`` when given, and only of
    those whose farmer once missed a due date (shadow delinquency) when ``ever_late``."""

    column: str
    classes: tuple[str, ...] = ()
    ever_late: bool = False

    def orm(self) -> Sum:
        """The aggregate, over a queryset of active loans."""
        condition = Q()
        if self.classes:
            condition &= Q(classification__in=self.classes)
        if self.ever_late:
            condition &= Q(shadow_oldest_due_date__isnull=False)
        return Sum(self.column, filter=condition or None)

    def sql(self, alias: str = "l") -> str:
        """The aggregate in SQL, over rows of the loan table ``alias`` already limited to active loans."""
        conditions = []
        if len(self.classes) == 1:
            conditions.append(f"{alias}.classification = '{self.classes[0]}'")
        elif self.classes:
            conditions.append(f"{alias}.classification IN {sql_list(self.classes)}")
        if self.ever_late:
            conditions.append(f"{alias}.shadow_oldest_due_date IS NOT NULL")
        column = f"{alias}.{self.column}"
        if not conditions:
            return f"SUM({column})"
        return f"SUM(CASE WHEN {' AND '.join(conditions)} THEN {column} ELSE 0 END)"


# Each money figure of a set of active loans, by the name both paths give it (and the dashboards' columns).
LOAN_SUMS: dict[str, LoanSum] = {
    "outstanding": LoanSum("principal_outstanding"),
    "npl": LoanSum("principal_outstanding", NPL_CLASS_VALUES),
    **{name: LoanSum("principal_outstanding", (name,)) for name in CLASSES},
    "principal_overdue": LoanSum("principal_overdue"),
    "interest_overdue": LoanSum("interest_overdue"),
    "compensated": LoanSum("compensated"),
    "shadow_delinquent": LoanSum("principal_outstanding", ever_late=True),
}
LOAN_COUNT = "loans"  # the number of active loans, the one figure that is a count


def active_loans() -> QuerySet[Loan]:
    return Loan.objects.filter(status=ACTIVE_LOAN)


def active_loans_sql(alias: str = "l") -> str:
    return f"{alias}.status = '{ACTIVE_LOAN}'"


def loan_sums_sql(names: Iterable[str], alias: str = "l") -> str:
    """``SUM(…) AS name, …`` of the named ``LOAN_SUMS`` (or ``LOAN_COUNT``), for a ``SELECT`` over active loans."""
    return ", ".join(f"{'COUNT(*)' if name == LOAN_COUNT else LOAN_SUMS[name].sql(alias)} AS {name}" for name in names)


def program_loan_sums_sql(names: Iterable[str]) -> str:
    """Per programme, its id and the named sums of its active loans (a programme without one has no row)."""
    return f"SELECT l.program_id, {loan_sums_sql(names)} FROM {LOAN} l WHERE {active_loans_sql()} GROUP BY l.program_id"


def program_loan_sums(names: Iterable[str], program_ids: Iterable[int] | None = None) -> dict[int, dict[str, Any]]:
    """Per programme, the named sums of its active loans (``program_loan_sums_sql`` in the ORM), to the fen.

    One aggregate for all the programmes (or those of ``program_ids``); a programme without an active
    loan is absent.
    """
    loans = active_loans()
    if program_ids is not None:
        loans = loans.filter(program_id__in=list(program_ids))
    aggregates = {name: Count("id") if name == LOAN_COUNT else LOAN_SUMS[name].orm() for name in names}
    return {
        row.pop("program_id"): {
            name: value if name == LOAN_COUNT else money(value or ZERO) for name, value in row.items()
        }
        for row in loans.values("program_id").annotate(**aggregates).order_by()
    }


def outstanding_principal(loans: QuerySet[Loan]) -> Decimal:
    """The outstanding principal of the active loans among ``loans``."""
    total = loans.filter(status=ACTIVE_LOAN).aggregate(total=LOAN_SUMS["outstanding"].orm())["total"]
    return money(total or ZERO)


def program_outstanding(program_id: int) -> Decimal:
    """The programme's outstanding principal: what the margin requirement is measured against."""
    return outstanding_principal(Loan.objects.filter(program_id=program_id))


def npl_ratio(npl_principal: Decimal, outstanding_principal: Decimal) -> Decimal:
    """不良率: NPL principal over outstanding principal, to six places; 0 when nothing is outstanding."""
    return ratio(npl_principal, outstanding_principal)


def npl_ratio_sql(npl_principal: str, outstanding_principal: str) -> str:
    # Half-up to six places like ``core.money.ratio``: PostgreSQL's ROUND rounds half away from zero.
    return f"CASE WHEN {outstanding_principal} = 0 THEN 0 ELSE ROUND({npl_principal} / {outstanding_principal}, 6) END"


def book_has_loans() -> bool:
    """True once any loan has been disbursed; the business date can then only move forward."""
    return Loan.objects.exists()


# --- margin requirement -------------------------------------------------------------------------------


def margin_required(margin_ratio: Decimal, outstanding_principal: Decimal) -> Decimal:
    """应缴保证金: the margin the anchor must keep against the outstanding principal, to the fen (half-up)."""
    return money(margin_ratio * outstanding_principal)


def margin_required_sql(margin_ratio: str, outstanding_principal: str) -> str:
    """The same in SQL (``ROUND`` rounds half away from zero, which is half-up for an amount)."""
    return f"ROUND({margin_ratio} * {outstanding_principal}, 2)"


# --- limits -------------------------------------------------------------------------------------------


def limits_in_force(day: dt.date, prefix: str = "") -> Q:
    """Live limits (active or frozen) that have not expired on ``day`` (已批额度): what counts against the caps.

    ``prefix`` (``"credit_limit"``) puts the condition on the limit of a row that points at one.
    """
    field = f"{prefix}__" if prefix else ""
    return Q(**{f"{field}status__in": LIMIT_LIVE, f"{field}expires_on__gt": day})


def limits_in_force_sql(alias: str, day: str) -> str:
    """The same condition on the limit table ``alias``, ``day`` an SQL expression (e.g. ``%(day)s``)."""
    return f"{alias}.status IN {sql_list(LIMIT_LIVE)} AND {alias}.expires_on > {day}"


def program_approved_limits(program_ids: Iterable[int], day: dt.date) -> dict[int, Decimal]:
    """Per programme, the sum of its limits in force on ``day``; a programme without one is absent."""
    rows = (
        CreditLimit.objects.filter(limits_in_force(day), program_id__in=list(program_ids))
        .values("program_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {row["program_id"]: money(row["total"] or ZERO) for row in rows}


def headroom(total_cap: Decimal, approved_limits: Decimal) -> Decimal:
    """Room left under the programme's total cap for new approvals, never below 0."""
    return max(ZERO, money(total_cap - approved_limits))


def headroom_sql(total_cap: str, approved_limits: str) -> str:
    return f"GREATEST(0, {total_cap} - {approved_limits})"


def limit_outstanding(limit_id: int) -> Decimal:
    """Principal of the limit's active loans: a limit revolves, so only that is taken from it."""
    return outstanding_principal(Loan.objects.filter(credit_limit_id=limit_id))


def limit_available(limit: CreditLimit) -> Decimal:
    """What may still be drawn from the limit."""
    return money(limit.amount - limit_outstanding(limit.pk))


def limits_with_available(queryset: QuerySet[CreditLimit]) -> QuerySet[CreditLimit]:
    """Each limit with ``outstanding`` (``limit_outstanding``) and ``available`` (``limit_available``).

    A correlated subquery per limit rather than a join grouped by limit: a page of 50 limits then reads the
    loans of those 50 only, and counting the pages reads no loan at all (a programme of 100,000 farmers).
    """
    return queryset.annotate(outstanding=limit_outstanding_expression()).annotate(
        available=F("amount") - F("outstanding")
    )


MONEY_FIELD: DecimalField[Any, Decimal] = DecimalField(max_digits=18, decimal_places=2)


def _correlated_sum(rows: QuerySet[Any], group: str, column: str) -> Coalesce:
    """``SUM(column)`` of ``rows`` (already tied to the outer row by an ``OuterRef``), 0 when there is none."""
    total = rows.order_by().values(group).annotate(total=Sum(column)).values("total")
    return Coalesce(Subquery(total, output_field=MONEY_FIELD), Value(ZERO), output_field=MONEY_FIELD)


def limit_outstanding_expression(limit_ref: str = "pk") -> Coalesce:
    """``limit_outstanding`` of the limit ``limit_ref`` names on the outer row, as an expression to annotate."""
    loans = active_loans().filter(credit_limit_id=OuterRef(limit_ref))
    return _correlated_sum(loans, "credit_limit_id", "principal_outstanding")


def farmers_with_limits(
    farmers: QuerySet[Farmer], day: dt.date, programs: QuerySet[Program] | None = None
) -> QuerySet[Farmer]:
    """Each farmer with ``limit_in_force`` (the sum of his limits in force on ``day``) and ``limit_available``
    (what may still be drawn from them: the sum of ``limit_available``), counting only the limits of
    ``programs`` when given (the viewer's). Two correlated subqueries: one query for the whole page.
    """
    limits = CreditLimit.objects.filter(limits_in_force(day), farmer_id=OuterRef("pk"))
    loans = active_loans().filter(limits_in_force(day, prefix="credit_limit"), credit_limit__farmer_id=OuterRef("pk"))
    if programs is not None:
        limits = limits.filter(program__in=programs)
        loans = loans.filter(credit_limit__program__in=programs)
    return farmers.annotate(
        limit_in_force=_correlated_sum(limits, "farmer_id", "amount"),
        limit_drawn=_correlated_sum(loans, "credit_limit__farmer_id", "principal_outstanding"),
    ).annotate(limit_available=F("limit_in_force") - F("limit_drawn"))


# --- a programme's figures ----------------------------------------------------------------------------

PROGRAM_LOAN_SUMS: tuple[str, ...] = (LOAN_COUNT, *LOAN_SUMS)


@dataclass(frozen=True)
class ProgramFigures:
    """A programme's figures: its active loans, its limits in force and its margin (on the business date on
    pages and in the API, on an aggregate's date on the dashboards)."""

    total_cap: Decimal
    margin_ratio: Decimal
    loans: int
    outstanding_principal: Decimal
    npl_principal: Decimal
    classification_mix: dict[str, Decimal]  # outstanding principal per class, best first
    overdue_principal: Decimal
    overdue_interest: Decimal
    compensated: Decimal
    shadow_delinquent_principal: Decimal
    approved_limits: Decimal
    margin_balance: Decimal

    @classmethod
    def of(
        cls, program: Program, sums: Mapping[str, Any], approved_limits: Decimal, margin_balance: Decimal
    ) -> ProgramFigures:
        """From ``sums`` named as ``LOAN_SUMS`` with ``loans`` (absent ones are 0)."""

        def amount(name: str) -> Decimal:
            return money(sums.get(name) or ZERO)

        return cls(
            total_cap=program.total_cap,
            margin_ratio=program.margin_ratio,
            loans=int(sums.get("loans") or 0),
            outstanding_principal=amount("outstanding"),
            npl_principal=amount("npl"),
            classification_mix={name: amount(name) for name in CLASSES},
            overdue_principal=amount("principal_overdue"),
            overdue_interest=amount("interest_overdue"),
            compensated=amount("compensated"),
            shadow_delinquent_principal=amount("shadow_delinquent"),
            approved_limits=money(approved_limits),
            margin_balance=money(margin_balance),
        )

    @property
    def npl_ratio(self) -> Decimal:
        return npl_ratio(self.npl_principal, self.outstanding_principal)

    @property
    def gross_delinquency(self) -> Decimal:
        """What the borrowers failed to pay on time, whoever then paid it: overdue plus compensated."""
        return self.overdue_interest + self.overdue_principal + self.compensated

    @property
    def headroom(self) -> Decimal:
        return headroom(self.total_cap, self.approved_limits)

    @property
    def margin_required(self) -> Decimal:
        return margin_required(self.margin_ratio, self.outstanding_principal)

    @property
    def margin_shortfall(self) -> Decimal:
        return max(ZERO, self.margin_required - self.margin_balance)


def programs_figures(programs: Iterable[Program]) -> dict[int, ProgramFigures]:
    """The figures of each programme on the business date, in three queries for all of them."""
    by_id = {program.pk: program for program in programs}
    sums = program_loan_sums(PROGRAM_LOAN_SUMS, list(by_id))
    limits = program_approved_limits(list(by_id), business_date_get())
    margins = margin_balances(list(by_id))
    return {
        pk: ProgramFigures.of(program, sums.get(pk, {}), limits.get(pk, ZERO), margins.get(pk, ZERO))
        for pk, program in by_id.items()
    }


def program_figures(program: Program) -> ProgramFigures:
    return programs_figures([program])[program.pk]


def program_figures_sql() -> str:
    """The figures of ``ProgramFigures`` for every programme in one statement, on the date ``%(day)s``.

    Columns: ``program_id``, the ``PROGRAM_LOAN_SUMS`` by name, then ``limits_approved``, ``margin_balance``,
    ``margin_required``, ``headroom`` and ``npl_ratio``.
    """
    sums = ", ".join(f"COALESCE(t.{name}, 0) AS {name}" for name in PROGRAM_LOAN_SUMS)
    outstanding, npl, limits = "COALESCE(t.outstanding, 0)", "COALESCE(t.npl, 0)", "COALESCE(c.limits_approved, 0)"
    return (
        f"SELECT p.id AS program_id, {sums}, {limits} AS limits_approved, "
        f"{margin_balance_sql('p.id')} AS margin_balance, "
        f"{margin_required_sql('p.margin_ratio', outstanding)} AS margin_required, "
        f"{headroom_sql('p.total_cap', limits)} AS headroom, "
        f"{npl_ratio_sql(npl, outstanding)} AS npl_ratio "
        f"FROM {PROGRAM} p LEFT JOIN ({program_loan_sums_sql(PROGRAM_LOAN_SUMS)}) t ON t.program_id = p.id "
        f"LEFT JOIN (SELECT c.program_id, SUM(c.amount) AS limits_approved FROM {LIMIT} c "
        f"WHERE {limits_in_force_sql('c', '%(day)s')} GROUP BY c.program_id) c ON c.program_id = p.id"
    )
