"""The 21 warning rules of the contract: each one a query for the subjects it fires for on a date.

Every query returns the same columns — subject_id, org_node_id, program_id,
assignee_id, fact — so that the engine raises and resolves warnings for all
rules with the same few statements. Dates are computed here and passed as
parameters. Every rule's query has the one signature ``RuleQuery``: the
date, the rule's parameters and the ``Scope`` of subjects it may look at.

Rules that would read the whole book every day look at less:

* a rule of few subjects by nature (events, outbreaks, dropped orders) finds
  them first and only then their loans and live limits (the farmer rules of
  the contract watch every farmer with a loan outstanding or a live limit:
  ``_watched_farmers``; those of money out, ``_borrowers``);
* a rule whose subjects change only through recorded facts — a loan drawn,
  principal moved in the ledger, a limit expired, a date crossing its
  window — has ``changed_subjects``: a query for the subjects whose facts
  changed since the rule's last run. After its first run, each day's run
  looks only at those (which may start to fire) and at the subjects of the
  rule's active warnings (which may clear); or, when the changed subjects
  include every subject whose warning may clear
  (``changed_subjects_cover_clearing``), at the changed subjects alone. See
  ``postloan.warning_run``. A rule without ``changed_subjects`` is looked at
  whole every day: its query is always given ``EVERYTHING``.

The programmes' totals, which several rules read, are a ``SHARED_SETS`` entry:
computed once per run into a temporary table of that name.

A rule's parameters are its defaults overlaid with an administrator's edits;
their names, kinds and ranges follow from the defaults
(``RuleDefinition.parameter_schema``, ``postloan.rule_parameters``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.utils.translation import gettext_noop

from accounting.models import DisbursementInstruction, InstructionFile
from core.calendar import last_full_quarter
from core.masking import pii_hash
from origination.figures import limits_in_force_sql, margin_required_sql, npl_ratio_sql, program_loan_sums_sql
from origination.models import CompensationDemand, CreditLimit, CreditLimitChange, Loan, LoanEntry
from origination.models.loans import PRINCIPAL_MOVES
from origination.schedule import add_months
from partners.models import Anchor, AnchorAssessment, Farmer, Program
from partners.services.margin import margin_balance_sql
from postloan.models import PostDrawdownCheck, Severity, SubjectType
from postloan.rule_parameters import ParameterSpec, parameter_schema
from risk.models import MonitoringEvent, Outbreak, TradeRecord
from risk.models_accounts import AccountDelivery, AccountTransaction, AnchorSettlementAccount

LOAN = Loan._meta.db_table
ENTRY = LoanEntry._meta.db_table
FARMER = Farmer._meta.db_table
PROGRAM = Program._meta.db_table
ANCHOR = Anchor._meta.db_table
LIMIT = CreditLimit._meta.db_table
LIMIT_CHANGE = CreditLimitChange._meta.db_table
TRADE = TradeRecord._meta.db_table
EVENT = MonitoringEvent._meta.db_table
OUTBREAK = Outbreak._meta.db_table
CHECK = PostDrawdownCheck._meta.db_table
ASSESSMENT = AnchorAssessment._meta.db_table
DEMAND = CompensationDemand._meta.db_table
ACCOUNT_TXN = AccountTransaction._meta.db_table
ACCOUNT_DELIVERY = AccountDelivery._meta.db_table
ANCHOR_ACCOUNT = AnchorSettlementAccount._meta.db_table

Query = tuple[str, dict[str, Any]]


# A rule's parameters as its query reads them: its defaults overlaid with an administrator's edits.
RuleParameters = dict[str, Any]


class RuleQuery(Protocol):
    """A rule's query: the subjects it fires for on ``today``, among those ``scope`` lets it look at."""

    def __call__(self, today: dt.date, parameters: RuleParameters, scope: Scope, /) -> Query: ...


class ChangedSubjectsQuery(Protocol):
    """The subjects whose facts changed since ``since`` (the date of the rule's last run) up to ``today``:
    those that may have started, or stopped, meeting the rule's condition. One column: their ids."""

    def __call__(self, since: dt.date, today: dt.date, parameters: RuleParameters, /) -> Query: ...


@dataclass(frozen=True, kw_only=True)
class RuleDefinition:
    code: str
    name: str
    description: str
    severity: Severity
    subject_type: SubjectType
    parameters: RuleParameters  # the defaults, from which the parameter schema follows
    deadline_days: int
    query: RuleQuery
    # With it, the run of the next day looks only at the changed subjects and at the subjects of the
    # rule's active warnings (see ``postloan.warning_run``); without it, at every subject.
    changed_subjects: ChangedSubjectsQuery | None = None
    # The changed subjects include every subject whose warning may clear: the run then looks at those
    # alone, not at the subjects of all its active warnings too (rules whose warnings are many: a tenth
    # of a book matures within a month).
    changed_subjects_cover_clearing: bool = False
    # The ``SHARED_SETS`` its query reads (by table name): a run fills those before the rule.
    reads: tuple[str, ...] = ()
    # A loan rule that looks at every loan each day and whose query honours a scope of loan ids
    # (``ids_between``): on the days such rules fire for much of the book the close runs it in parts, one per
    # range of loan ids, side by side on the workers (``postloan.warning_run.warning_parts_chunk``). The 20th's
    # interest overdue fires for nearly every loan: as one chunk its insert held one worker for most of the
    # warning step.
    split_over_loans: bool = False
    # How a page shows the fact: its label (an English msgid, translated on the page) and its kind,
    # "yuan" (an amount), "date", "event" (a monitoring event's type and date) or "" (as it is).
    fact_label: str = ""
    fact_unit: str = ""

    def __post_init__(self) -> None:
        if self.changed_subjects_cover_clearing and self.changed_subjects is None:
            raise ValueError(f"{self.code}: changed_subjects_cover_clearing without changed_subjects")
        if self.split_over_loans and (self.subject_type != SubjectType.LOAN or self.changed_subjects or self.reads):
            raise ValueError(f"{self.code}: only a loan rule that looks at every loan alone splits over the loans")
        parameter_schema(self.parameters)  # a default of no known kind or range fails here, at import

    @property
    def parameter_schema(self) -> tuple[ParameterSpec, ...]:
        """The names, kinds and ranges of the rule's parameters, from its defaults."""
        return parameter_schema(self.parameters)


# --- shared pieces -----------------------------------------------------------------

ACTIVE_LOAN = "l.status = 'active' AND l.principal_outstanding > 0"
SCOPE_TABLE = "warning_scope"


@dataclass(frozen=True)
class Scope:
    """The subjects a rule looks at on this run: all of them, those in the temporary table ``warning_scope``,
    or those whose ids lie in ``ids`` (first, last): a part of a rule the close splits over the loans."""

    everything: bool
    ids: tuple[int, int] | None = None

    def of(self, column: str) -> str:
        if self.ids is not None:
            first, last = self.ids
            return f"{column} BETWEEN {first:d} AND {last:d}"
        return "1 = 1" if self.everything else f"{column} IN (SELECT subject_id FROM {SCOPE_TABLE})"


EVERYTHING = Scope(everything=True)
IN_SCOPE = Scope(everything=False)


def ids_between(first: int, last: int) -> Scope:
    """The subjects whose ids lie between ``first`` and ``last`` (both included)."""
    return Scope(everything=False, ids=(int(first), int(last)))


def _borrowers(farmers: str) -> str:
    """Farmers with money out among ``farmers`` (a condition on ``l.farmer_id``), one row per farmer.

    Where his warnings go (the lowest node, programme and manager among his active loans), what he
    owes in all, and what the rules join on: his identity hash, his region and his programme's
    anchor. (The programme is joined LEFT — it always exists — so that PostgreSQL does not guess
    that few rows survive that join and then fetch the farmers one index probe at a time.)
    """
    return (
        "SELECT b.farmer_id, b.org_node_id, b.program_id, b.assignee_id, b.outstanding, "
        "f.id_hash, f.region_code, pr.anchor_id "
        "FROM (SELECT l.farmer_id, MIN(l.org_node_id) AS org_node_id, MIN(l.program_id) AS program_id, "
        "MIN(l.account_manager_id) AS assignee_id, SUM(l.principal_outstanding) AS outstanding "
        f"FROM {LOAN} l WHERE {ACTIVE_LOAN} AND {farmers} GROUP BY l.farmer_id) b "
        f"JOIN {FARMER} f ON f.id = b.farmer_id LEFT JOIN {PROGRAM} pr ON pr.id = b.program_id"
    )


def _watched_farmers(farmer_ids: str) -> str:
    """The farmers among ``farmer_ids`` (a query of farmer ids) who have money out or a live limit (active
    or frozen, in force on ``%(today)s``): those the farmer warning rules of the contract look at. One row
    per farmer, with the columns of ``_borrowers``.

    A borrower's warnings go where ``_borrowers`` sends them (the rules' answers for him do not change);
    a farmer with limits only is looked after at his own node, by his account manager (else the
    programme's manager), in the first programme of his live limits.
    """
    live = limits_in_force_sql("c", "%(today)s")
    return (
        "SELECT w.farmer_id, COALESCE(w.org_node_id, f.org_node_id) AS org_node_id, w.program_id, "
        "CASE WHEN w.borrower THEN w.assignee_id ELSE COALESCE(f.account_manager_id, pr.manager_id) END "
        "AS assignee_id, w.outstanding, f.id_hash, f.region_code, pr.anchor_id "
        "FROM (SELECT l.farmer_id, MIN(l.org_node_id) AS org_node_id, MIN(l.program_id) AS program_id, "
        "MIN(l.account_manager_id) AS assignee_id, SUM(l.principal_outstanding) AS outstanding, TRUE AS borrower "
        f"FROM {LOAN} l WHERE {ACTIVE_LOAN} AND l.farmer_id IN ({farmer_ids}) GROUP BY l.farmer_id "
        "UNION ALL SELECT c.farmer_id, NULL, MIN(c.program_id), NULL, 0, FALSE "
        f"FROM {LIMIT} c WHERE {live} AND c.farmer_id IN ({farmer_ids}) "
        f"AND NOT EXISTS (SELECT 1 FROM {LOAN} l WHERE l.farmer_id = c.farmer_id AND {ACTIVE_LOAN}) "
        "GROUP BY c.farmer_id) w "
        f"JOIN {FARMER} f ON f.id = w.farmer_id LEFT JOIN {PROGRAM} pr ON pr.id = w.program_id"
    )


# The ledger's entries that move principal (drawn, repaid, compensated) are in its partial index
# ``loan_entry_principal_moves`` by date: what changed since the last run is found there.
def _drawn_loans(dates: str) -> str:
    """Loans drawn on the dates ``dates`` (a condition on the entry's ``business_date``) says."""
    return f"SELECT e.loan_id FROM {ENTRY} e WHERE e.kind = 'disbursement' AND e.business_date {dates}"


def _moved_loans() -> str:
    """Loans whose principal outstanding moved since ``%(moved_since)s``: drawn, repaid, compensated or
    written off."""
    moves = ", ".join(f"'{kind}'" for kind in PRINCIPAL_MOVES)
    return f"SELECT e.loan_id FROM {ENTRY} e WHERE e.kind IN ({moves}) AND e.business_date >= %(moved_since)s"


def _moved_farmers() -> str:
    """Farmers whose principal outstanding moved since ``%(moved_since)s``: the only ones whose
    set of active loans, and so whose borrower row, can have changed."""
    return f"SELECT l.farmer_id FROM {LOAN} l WHERE l.id IN ({_moved_loans()})"


def _moved_since(since: dt.date) -> dict[str, Any]:
    """One day before the last run's date: a run made during that day saw only part of its business."""
    return {"moved_since": since - dt.timedelta(days=1)}


# Per programme: outstanding and NPL principal of active loans.
PROGRAM_TOTALS = "warning_program_totals"
_PROGRAM_TOTALS_SET = program_loan_sums_sql(("outstanding", "npl"))


@dataclass(frozen=True)
class SharedSet:
    """A set many rules read: filled once per run, before the first rule, into the temporary table ``name``."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (column, SQL type) in the order ``query`` returns them
    query: str


SHARED_SETS: tuple[SharedSet, ...] = (
    SharedSet(
        PROGRAM_TOTALS,
        (("program_id", "bigint"), ("outstanding", "decimal(20, 2)"), ("npl", "decimal(20, 2)")),
        _PROGRAM_TOTALS_SET,
    ),
)


def _loan_rule(condition: str, fact: str, scope: Scope = EVERYTHING) -> str:
    """The active loans meeting ``condition`` (on ``l``), all of them or those of ``scope``.

    A daily run looks at few loans: each is fetched by its key (OFFSET 0: not flattened). Left to choose,
    PostgreSQL read a rule's whole window by its index and then met the few: 125,000 loans maturing within
    the month fetched to look at 25,000, in 172-195 ms against 70-74 ms.
    """
    columns = f"l.id AS subject_id, l.org_node_id, l.program_id, l.account_manager_id AS assignee_id, {fact} AS fact"
    if scope.everything:
        return f"SELECT {columns} FROM {LOAN} l WHERE l.status = 'active' AND {condition}"
    if scope.ids is not None:
        return f"SELECT {columns} FROM {LOAN} l WHERE l.status = 'active' AND {scope.of('l.id')} AND {condition}"
    return (
        f"SELECT {columns} FROM (SELECT DISTINCT subject_id FROM {SCOPE_TABLE}) s CROSS JOIN LATERAL "
        f"(SELECT l.* FROM {LOAN} l WHERE l.id = s.subject_id AND l.status = 'active' AND {condition} OFFSET 0) l"
    )


def _farmer_event_rule(types: tuple[str, ...], extra: str = "") -> str:
    """The events are few: the farmers they name are found first, then their loans and live limits."""
    type_list = ", ".join(f"'{t}'" for t in types)
    events = f"e.event_type IN ({type_list}) AND e.event_date BETWEEN %(since)s AND %(today)s {extra}"
    named = f"SELECT f.id FROM {FARMER} f JOIN {EVENT} e ON e.subject_hash = f.id_hash WHERE {events}"
    return (
        "SELECT b.farmer_id AS subject_id, b.org_node_id, b.program_id, b.assignee_id, "
        "MAX(e.event_type || ' ' || e.event_date) AS fact "
        f"FROM ({_watched_farmers(named)}) b JOIN {EVENT} e ON e.subject_hash = b.id_hash WHERE {events} "
        "GROUP BY b.farmer_id, b.org_node_id, b.program_id, b.assignee_id"
    )


def _years_before(column: str, years: int) -> str:
    return f"({column} - INTERVAL '{int(years)} years')::date"


# The NPL ratio as the breaker reads it (rounded to six places), so a warning and a suspension agree.
_NPL_RATIO = npl_ratio_sql("t.npl", "t.outstanding")


def _program_rule(condition: str, fact: str) -> str:
    return (
        f"SELECT p.id AS subject_id, p.org_node_id, p.id AS program_id, p.manager_id AS assignee_id, {fact} AS fact "
        f"FROM {PROGRAM} p JOIN {PROGRAM_TOTALS} t ON t.program_id = p.id WHERE {condition}"
    )


def _anchor_manager() -> str:
    """An anchor's warnings go to the manager of its first programme."""
    return f"(SELECT p.manager_id FROM {PROGRAM} p WHERE p.anchor_id = a.id ORDER BY p.id LIMIT 1)"


def _anchor_program() -> str:
    return f"(SELECT p.id FROM {PROGRAM} p WHERE p.anchor_id = a.id ORDER BY p.id LIMIT 1)"


def _since(today: dt.date, days: int) -> dt.date:
    return today - dt.timedelta(days=int(days))


# --- the rules ------------------------------------------------------------------------


def interest_overdue(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    return _loan_rule("l.interest_overdue > 0", "l.interest_overdue", scope), {}


def principal_overdue(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    return _loan_rule("l.principal_overdue > 0", "l.principal_overdue", scope), {}


def disbursement_unconfirmed(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    """Loans whose disbursement instruction the core has not paid out (unconfirmed or rejected) by the close
    after the one of its file's date. Loans no instruction file has named yet are not looked at.

    The close of a day runs the warnings of the next (``today``): the close of the file's own date does
    not fire, the one of the day after does."""
    instruction = DisbursementInstruction._meta.db_table
    instruction_file = InstructionFile._meta.db_table
    unpaid = (
        f"l.id IN (SELECT i.loan_id FROM {instruction} i JOIN {instruction_file} f ON f.id = i.file_id "
        "WHERE i.status <> 'accepted' AND f.business_date < %(last_closed)s)"
    )
    return _loan_rule(unpaid, "l.disbursed_on"), {"last_closed": today - dt.timedelta(days=1)}


def maturity_soon(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    condition = "l.principal_outstanding > 0 AND l.maturity_on BETWEEN %(today)s AND %(until)s"
    until = today + dt.timedelta(days=int(parameters["days"]))
    return _loan_rule(condition, "l.maturity_on", scope), {"today": today, "until": until}


def maturity_soon_changed(since: dt.date, today: dt.date, parameters: RuleParameters) -> Query:
    """Loans whose maturity entered or left the window since the last run, and loans whose principal
    moved (drawn, or paid down to nothing): every loan whose warning may start or clear."""
    days = dt.timedelta(days=int(parameters["days"]))
    sql = (
        f"SELECT l.id FROM {LOAN} l WHERE l.status = 'active' "
        "AND (l.maturity_on BETWEEN %(entered)s AND %(until)s OR l.maturity_on BETWEEN %(left)s AND %(today)s) "
        f"UNION {_moved_loans()}"
    )
    params = {
        "entered": since + days - dt.timedelta(days=1),
        "until": today + days,
        "left": since - dt.timedelta(days=1),
        "today": today,
    }
    return sql, {**params, **_moved_since(since)}


def orders_drop(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    """Last full month's orders below ``ratio`` × the monthly average of the ``months`` before it.

    The orders are summed per (anchor, identity hash) first, in one pass over the trade index in
    its own order (the amount is in the index), and only the farmers whose orders dropped meet
    their loans: a farmer is one identity hash, and a borrower trades with his programme's anchor.
    """
    last_end = today.replace(day=1) - dt.timedelta(days=1)
    last_start = last_end.replace(day=1)
    base_start = add_months(last_start, -int(parameters["months"]))
    named = f"SELECT f.id FROM {FARMER} f JOIN dropped d ON d.id_hash = f.id_hash"
    sql = (
        "WITH dropped AS (SELECT t.anchor_id, t.id_hash, "
        "SUM(CASE WHEN t.order_date >= %(last_start)s THEN t.amount ELSE 0 END) AS last_month "
        f"FROM {TRADE} t WHERE t.order_date BETWEEN %(base_start)s AND %(last_end)s "
        "GROUP BY t.anchor_id, t.id_hash "
        "HAVING SUM(CASE WHEN t.order_date >= %(last_start)s THEN t.amount ELSE 0 END) "
        "< %(ratio)s * SUM(CASE WHEN t.order_date < %(last_start)s THEN t.amount ELSE 0 END) / %(months)s) "
        "SELECT b.farmer_id AS subject_id, b.org_node_id, b.program_id, b.assignee_id, t.last_month AS fact "
        f"FROM ({_watched_farmers(named)}) b JOIN dropped t ON t.anchor_id = b.anchor_id AND t.id_hash = b.id_hash"
    )
    params = {
        "today": today,
        "last_start": last_start,
        "last_end": last_end,
        "base_start": base_start,
        "ratio": Decimal(str(parameters["ratio"])),
        "months": int(parameters["months"]),
    }
    return sql, params


def orders_stopped(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    """Borrowers with no order from their programme's anchor in the window; the fact is the last order.

    Looked at whole (a first run), every order of the window is hashed once to meet the whole book.
    On a daily run the borrowers are few (the changed ones and those of the active warnings): each is
    fetched by its key and his orders read once from the trade index (the date is in it), his last
    order and whether one falls in the window; hashing every farmer and every order of the window to
    meet them took seconds on a book of a million.
    """
    params = {"since": _since(today, parameters["days"]), "today": today}
    if scope.everything:
        sql = (
            "SELECT b.farmer_id AS subject_id, b.org_node_id, b.program_id, b.assignee_id, "
            f"(SELECT MAX(t.order_date) FROM {TRADE} t WHERE t.anchor_id = b.anchor_id AND t.id_hash = b.id_hash) "
            f"AS fact FROM ({_borrowers('1 = 1')}) b "
            f"WHERE NOT EXISTS (SELECT 1 FROM {TRADE} t WHERE t.anchor_id = b.anchor_id AND t.id_hash = b.id_hash "
            "AND t.order_date BETWEEN %(since)s AND %(today)s)"
        )
        return sql, params
    borrowers = (
        "SELECT b.farmer_id, b.org_node_id, b.program_id, b.assignee_id, f.id_hash, pr.anchor_id "
        "FROM (SELECT l.farmer_id, MIN(l.org_node_id) AS org_node_id, MIN(l.program_id) AS program_id, "
        "MIN(l.account_manager_id) AS assignee_id "
        f"FROM {LOAN} l WHERE {ACTIVE_LOAN} AND {scope.of('l.farmer_id')} GROUP BY l.farmer_id) b "
        # OFFSET 0: not flattened into a join, which PostgreSQL would make by hashing every farmer.
        f"CROSS JOIN LATERAL (SELECT f.id_hash FROM {FARMER} f WHERE f.id = b.farmer_id OFFSET 0) f "
        f"LEFT JOIN {PROGRAM} pr ON pr.id = b.program_id"
    )
    sql = (
        "SELECT b.farmer_id AS subject_id, b.org_node_id, b.program_id, b.assignee_id, o.last_order AS fact "
        f"FROM ({borrowers}) b "
        "CROSS JOIN LATERAL (SELECT MAX(t.order_date) AS last_order, "
        "COUNT(*) FILTER (WHERE t.order_date BETWEEN %(since)s AND %(today)s) AS recent "
        f"FROM {TRADE} t WHERE t.anchor_id = b.anchor_id AND t.id_hash = b.id_hash) o "
        "WHERE o.recent = 0"
    )
    return sql, params


def orders_stopped_changed(since: dt.date, today: dt.date, parameters: RuleParameters) -> Query:
    """A farmer's last order can have left the window only if it was placed in the days that left it."""
    days = dt.timedelta(days=int(parameters["days"]))
    sql = (
        f"{_moved_farmers()} UNION SELECT f.id FROM {FARMER} f JOIN {TRADE} t ON t.id_hash = f.id_hash "
        "WHERE t.order_date BETWEEN %(left_from)s AND %(left_to)s"
    )
    return sql, {"left_from": since - days - dt.timedelta(days=1), "left_to": today - days, **_moved_since(since)}


def funds_diverted(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    """Loans whose borrower paid out, within ``days`` of the drawdown (its day included), at least ``ratio`` ×
    the drawdown to accounts other than his programme's anchor's settlement accounts; the fact is that sum.

    Money out of any of his accounts (the core names them by his identity hash) counts: cash taken out
    (no counterparty) and transfers to his own accounts elsewhere included, since neither buys feed from
    the anchor. The partial index of money out holds the amount and the counterparty: the table is not read.

    Looked at whole (a first run), the money out is joined to the whole book at once; on a daily run the
    loans are few (the changed ones and those of the active warnings): each is fetched by its key and its
    borrower's money out of the window read from the index, as ``orders_stopped`` does (the join over every
    money out took seconds on a book of a million).
    """
    params = {"days": int(parameters["days"]), "ratio": Decimal(str(parameters["ratio"]))}
    elsewhere = (
        f"NOT EXISTS (SELECT 1 FROM {ANCHOR_ACCOUNT} a WHERE a.anchor_id = pr.anchor_id "
        "AND a.account_no = t.counterparty_account AND a.removed_on IS NULL)"
    )
    if scope.everything:
        sql = (
            "SELECT l.id AS subject_id, l.org_node_id, l.program_id, l.account_manager_id AS assignee_id, "
            "SUM(t.amount) AS fact "
            f"FROM {LOAN} l JOIN {FARMER} f ON f.id = l.farmer_id LEFT JOIN {PROGRAM} pr ON pr.id = l.program_id "
            f"JOIN {ACCOUNT_TXN} t ON t.id_hash = f.id_hash AND t.direction = 'out' "
            "AND t.txn_date BETWEEN l.disbursed_on AND l.disbursed_on + %(days)s "
            f"WHERE {ACTIVE_LOAN} AND {elsewhere} "
            "GROUP BY l.id, l.org_node_id, l.program_id, l.account_manager_id, l.principal "
            "HAVING SUM(t.amount) >= %(ratio)s * l.principal"
        )
        return sql, params
    sql = (
        "SELECT l.id AS subject_id, l.org_node_id, l.program_id, l.account_manager_id AS assignee_id, "
        f"o.diverted AS fact FROM {LOAN} l "
        # OFFSET 0: not flattened into a join, which PostgreSQL would make by hashing every farmer.
        f"CROSS JOIN LATERAL (SELECT f.id_hash FROM {FARMER} f WHERE f.id = l.farmer_id OFFSET 0) f "
        f"LEFT JOIN {PROGRAM} pr ON pr.id = l.program_id "
        f"CROSS JOIN LATERAL (SELECT SUM(t.amount) AS diverted FROM {ACCOUNT_TXN} t WHERE t.id_hash = f.id_hash "
        "AND t.direction = 'out' AND t.txn_date BETWEEN l.disbursed_on AND l.disbursed_on + %(days)s "
        f"AND {elsewhere}) o "
        f"WHERE {ACTIVE_LOAN} AND {scope.of('l.id')} AND o.diverted >= %(ratio)s * l.principal"
    )
    return sql, params


def funds_diverted_changed(since: dt.date, today: dt.date, parameters: RuleParameters) -> Query:
    """What a loan's money out after its drawdown adds up to changes only when its borrower's money out
    comes in from the core, when its anchor's accounts change, or when it is drawn; and its warning clears
    when its principal is paid down (or compensated) to nothing."""
    # Each recent delivery's rows by their range of ids, then each borrower by his hash (OFFSET 0: not
    # flattened into hash joins over every transaction and every farmer, which took seconds on a million).
    arrived = (
        f"SELECT DISTINCT t.id_hash FROM {ACCOUNT_DELIVERY} d CROSS JOIN LATERAL (SELECT t.id_hash "
        f"FROM {ACCOUNT_TXN} t WHERE t.id BETWEEN d.first_row AND d.last_row AND t.direction = 'out' OFFSET 0) t "
        "WHERE d.kind = 'transactions' AND d.business_date >= %(moved_since)s"
    )
    borrowers = (
        f"SELECT f.id FROM ({arrived}) h "
        f"CROSS JOIN LATERAL (SELECT f.id FROM {FARMER} f WHERE f.id_hash = h.id_hash OFFSET 0) f"
    )
    sql = (
        f"{_moved_loans()} UNION SELECT l.id FROM {LOAN} l "
        f"WHERE l.status = 'active' AND l.farmer_id IN ({borrowers}) "
        f"UNION SELECT l.id FROM {LOAN} l JOIN {PROGRAM} pr ON pr.id = l.program_id "
        f"JOIN {ANCHOR_ACCOUNT} a ON a.anchor_id = pr.anchor_id WHERE l.status = 'active' "
        "AND (a.added_on >= %(moved_since)s OR a.removed_on >= %(moved_since)s)"
    )
    return sql, _moved_since(since)


def settlement_flow_drop(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    """Last full month's money into the farmer's settlement accounts below ``ratio`` × his monthly average
    of the ``months`` before it, as ``orders_drop`` for his orders: summed per identity hash first, in
    one pass over the partial index of money in, then only the farmers whose inflows dropped meet their
    loans and live limits. A farmer with no inflow in the months before has nothing to drop from."""
    last_end = today.replace(day=1) - dt.timedelta(days=1)
    last_start = last_end.replace(day=1)
    base_start = add_months(last_start, -int(parameters["months"]))
    named = f"SELECT f.id FROM {FARMER} f JOIN dropped d ON d.id_hash = f.id_hash"
    last_month = "SUM(CASE WHEN t.txn_date >= %(last_start)s THEN t.amount ELSE 0 END)"
    # On a daily run, only the money in of the farmers in scope, each read from the index by his hash.
    whose = "" if scope.everything else f"AND t.id_hash IN (SELECT f.id_hash FROM {FARMER} f WHERE {scope.of('f.id')}) "
    sql = (
        f"WITH dropped AS (SELECT t.id_hash, {last_month} AS last_month "
        f"FROM {ACCOUNT_TXN} t WHERE t.direction = 'in' AND t.txn_date BETWEEN %(base_start)s AND %(last_end)s "
        f"{whose}"
        f"GROUP BY t.id_hash HAVING {last_month} "
        "< %(ratio)s * SUM(CASE WHEN t.txn_date < %(last_start)s THEN t.amount ELSE 0 END) / %(months)s) "
        "SELECT b.farmer_id AS subject_id, b.org_node_id, b.program_id, b.assignee_id, t.last_month AS fact "
        f"FROM ({_watched_farmers(named)}) b JOIN dropped t ON t.id_hash = b.id_hash"
    )
    params = {
        "today": today,
        "last_start": last_start,
        "last_end": last_end,
        "base_start": base_start,
        "ratio": Decimal(str(parameters["ratio"])),
        "months": int(parameters["months"]),
    }
    return sql, params


def settlement_flow_drop_changed(since: dt.date, today: dt.date, parameters: RuleParameters) -> Query:
    """In a new month every farmer's months change. Within a month, only the farmers whose money in of the
    months compared came in since (a late delivery), and those who started or stopped being watched (money
    out or a live limit: what moves ``LIMIT_HIGH_USAGE``): money in of the running month counts next month."""
    if (since.year, since.month) != (today.year, today.month):
        return f"SELECT f.id FROM {FARMER} f", {}
    last_end = today.replace(day=1) - dt.timedelta(days=1)
    base_start = add_months(last_end.replace(day=1), -int(parameters["months"]))
    arrived = (
        f"SELECT DISTINCT t.id_hash FROM {ACCOUNT_DELIVERY} d CROSS JOIN LATERAL (SELECT t.id_hash "
        f"FROM {ACCOUNT_TXN} t WHERE t.id BETWEEN d.first_row AND d.last_row AND t.direction = 'in' "
        "AND t.txn_date BETWEEN %(base_start)s AND %(last_end)s OFFSET 0) t "
        "WHERE d.kind = 'transactions' AND d.business_date >= %(moved_since)s"
    )
    watched, params = limit_high_usage_changed(since, today, parameters)
    sql = (
        f"{watched} UNION SELECT f.id FROM ({arrived}) h "
        f"CROSS JOIN LATERAL (SELECT f.id FROM {FARMER} f WHERE f.id_hash = h.id_hash OFFSET 0) f"
    )
    return sql, {**params, "base_start": base_start, "last_end": last_end}


def limit_high_usage(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    sql = (
        "SELECT b.farmer_id AS subject_id, b.org_node_id, b.program_id, b.assignee_id, b.outstanding AS fact "
        f"FROM ({_borrowers(scope.of('l.farmer_id'))}) b "
        f"JOIN (SELECT c.farmer_id, SUM(c.amount) AS limits FROM {LIMIT} c "
        f"WHERE {limits_in_force_sql('c', '%(today)s')} "
        f"AND {scope.of('c.farmer_id')} GROUP BY c.farmer_id) m ON m.farmer_id = b.farmer_id "
        "WHERE b.outstanding >= %(ratio)s * m.limits"
    )
    return sql, {"ratio": Decimal(str(parameters["ratio"])), "today": today}


def limit_high_usage_changed(since: dt.date, today: dt.date, parameters: RuleParameters) -> Query:
    """Usage moves only when a farmer's principal moves or his limits change: one expires, a new one is
    approved, or one is reduced or closed (each such change recorded on its date; a freeze changes no
    usage: a frozen limit still counts). Every farmer whose warning may start or clear."""
    sql = (
        f"{_moved_farmers()} UNION SELECT c.farmer_id FROM {LIMIT} c "
        "WHERE (c.status = 'expired' AND c.expires_on BETWEEN %(moved_since)s AND %(expired_by)s) "
        "OR c.approved_on >= %(moved_since)s "
        f"UNION SELECT c.farmer_id FROM {LIMIT} c JOIN {LIMIT_CHANGE} ch ON ch.credit_limit_id = c.id "
        "WHERE ch.business_date >= %(moved_since)s AND ch.kind NOT IN %(no_usage_change)s"
    )
    no_usage_change = (CreditLimitChange.Kind.FROZEN.value, CreditLimitChange.Kind.UNFROZEN.value)
    return sql, {"expired_by": today + dt.timedelta(days=1), "no_usage_change": no_usage_change, **_moved_since(since)}


def _check_missing(kind: str) -> RuleQuery:
    def query(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
        condition = (
            "l.disbursed_on <= %(before)s AND l.principal_outstanding > 0 "
            f"AND NOT EXISTS (SELECT 1 FROM {CHECK} c WHERE c.loan_id = l.id AND c.kind = '{kind}')"
        )
        return _loan_rule(condition, "l.disbursed_on", scope), {"before": _since(today, parameters["days"])}

    return query


def check_missing_changed(since: dt.date, today: dt.date, parameters: RuleParameters) -> Query:
    """Checks are never taken back: a loan starts to miss one only on the day its allowance runs out."""
    days = dt.timedelta(days=int(parameters["days"]))
    sql = _drawn_loans("BETWEEN %(drawn_from)s AND %(drawn_to)s")
    return sql, {"drawn_from": since - days - dt.timedelta(days=1), "drawn_to": today - days}


def litigation(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    return _farmer_event_rule(("litigation",)), {"since": _since(today, parameters["lookback_days"]), "today": today}


def enforcement(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    return _farmer_event_rule(("enforcement", "dishonest")), {
        "since": _since(today, parameters["lookback_days"]),
        "today": today,
    }


def multi_lender(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    sql = _farmer_event_rule(("multi_lender",), "AND e.value >= %(lenders)s")
    return sql, {
        "since": _since(today, parameters["lookback_days"]),
        "today": today,
        "lenders": int(parameters["lenders"]),
    }


def credit_overdue_elsewhere(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    return _farmer_event_rule(("credit_overdue",)), {
        "since": _since(today, parameters["lookback_days"]),
        "today": today,
    }


def region_outbreak(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    declared = "o.declared_on BETWEEN %(since)s AND %(today)s"
    named = f"SELECT f.id FROM {FARMER} f JOIN {OUTBREAK} o ON o.region_code = f.region_code AND {declared}"
    sql = (
        "SELECT b.farmer_id AS subject_id, b.org_node_id, b.program_id, b.assignee_id, "
        "MAX(o.disease || ' ' || o.declared_on) AS fact "
        f"FROM ({_watched_farmers(named)}) b JOIN {OUTBREAK} o ON o.region_code = b.region_code AND {declared} "
        "GROUP BY b.farmer_id, b.org_node_id, b.program_id, b.assignee_id"
    )
    return sql, {"since": _since(today, parameters["days"]), "today": today}


def borrower_age(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    condition = (
        f"l.principal_outstanding > 0 AND EXISTS (SELECT 1 FROM {FARMER} f "
        f"WHERE f.id = l.farmer_id AND f.birth_date < {_years_before('l.maturity_on', int(parameters['max_age']))})"
    )
    return _loan_rule(condition, "l.maturity_on", scope), {}


def borrower_age_changed(since: dt.date, today: dt.date, parameters: RuleParameters) -> Query:
    """A loan's maturity and its borrower's birth date never change: its warning starts when it is
    drawn and clears when its principal is paid (or compensated) down to nothing."""
    return _moved_loans(), _moved_since(since)


def anchor_capacity_drop(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    latest = (
        f"SELECT s.guarantee_capacity FROM {ASSESSMENT} s WHERE s.anchor_id = a.id "
        "ORDER BY s.assessed_on DESC, s.id DESC LIMIT 1"
    )
    before = (
        f"SELECT s.guarantee_capacity FROM {ASSESSMENT} s WHERE s.anchor_id = a.id "
        "ORDER BY s.assessed_on DESC, s.id DESC LIMIT 1 OFFSET 1"
    )
    outstanding = (
        f"SELECT COALESCE(SUM(t.outstanding), 0) FROM {PROGRAM_TOTALS} t JOIN {PROGRAM} p ON p.id = t.program_id "
        "WHERE p.anchor_id = a.id"
    )
    sql = (
        f"SELECT a.id AS subject_id, a.org_node_id, {_anchor_program()} AS program_id, "
        f"{_anchor_manager()} AS assignee_id, ({latest}) AS fact FROM {ANCHOR} a "
        f"WHERE a.status = 'approved' AND (({latest}) < %(ratio)s * ({before}) OR ({latest}) < ({outstanding}))"
    )
    return sql, {"ratio": Decimal(str(parameters["ratio"])), "today": today}


def anchor_abnormal(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    """The provider names an enterprise by its credit code; events keep it hashed like every subject."""
    hashes = [(anchor_id, pii_hash(uscc)) for anchor_id, uscc in Anchor.objects.values_list("id", "uscc")]
    if not hashes:
        return _NOTHING, {}
    values = " UNION ALL ".join(f"SELECT %(a{i})s AS anchor_id, %(h{i})s AS subject_hash" for i in range(len(hashes)))
    params: dict[str, Any] = {"since": _since(today, parameters["lookback_days"]), "today": today}
    for i, (anchor_id, digest) in enumerate(hashes):
        params[f"a{i}"], params[f"h{i}"] = anchor_id, digest
    sql = (
        f"SELECT a.id AS subject_id, a.org_node_id, {_anchor_program()} AS program_id, "
        f"{_anchor_manager()} AS assignee_id, MAX(e.event_type || ' ' || e.event_date) AS fact "
        f"FROM {ANCHOR} a JOIN ({values}) h ON h.anchor_id = a.id JOIN {EVENT} e ON e.subject_hash = h.subject_hash "
        "WHERE e.event_type IN ('litigation', 'enforcement', 'dishonest', 'business_abnormal') "
        "AND e.event_date BETWEEN %(since)s AND %(today)s GROUP BY a.id, a.org_node_id"
    )
    return sql, params


_NOTHING = "SELECT 0 AS subject_id, 0 AS org_node_id, 0 AS program_id, 0 AS assignee_id, '' AS fact WHERE 1 = 0"


def margin_shortfall(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    balance = margin_balance_sql("p.id")  # posted entries only: an announced deposit is not margin yet
    return _program_rule(f"{balance} < {margin_required_sql('p.margin_ratio', 't.outstanding')}", balance), {}


def compensation_unpaid(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    sql = (
        "SELECT p.id AS subject_id, p.org_node_id, p.id AS program_id, p.manager_id AS assignee_id, "
        "SUM(d.unrecovered) AS fact "
        f"FROM {PROGRAM} p JOIN {DEMAND} d ON d.program_id = p.id JOIN {LOAN} l ON l.id = d.loan_id "
        "WHERE d.status = 'claim' AND d.unrecovered > 0 AND l.status = 'active' AND l.oldest_due_date IS NOT NULL "
        "GROUP BY p.id, p.org_node_id, p.manager_id"
    )
    return sql, {}


def program_npl_warning(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    return _program_rule(f"t.outstanding > 0 AND {_NPL_RATIO} >= p.npl_warning_ratio", "t.npl"), {}


def program_suspended(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    return _program_rule(f"t.outstanding > 0 AND {_NPL_RATIO} >= p.npl_suspend_ratio", "t.npl"), {}


def anchor_review_overdue(today: dt.date, parameters: RuleParameters, scope: Scope) -> Query:
    start, end = last_full_quarter(today)
    sql = (
        f"SELECT a.id AS subject_id, a.org_node_id, {_anchor_program()} AS program_id, "
        f"{_anchor_manager()} AS assignee_id, "
        f"(SELECT MAX(s.assessed_on) FROM {ASSESSMENT} s WHERE s.anchor_id = a.id) AS fact FROM {ANCHOR} a "
        f"WHERE a.status = 'approved' AND NOT EXISTS (SELECT 1 FROM {ASSESSMENT} s WHERE s.anchor_id = a.id "
        "AND s.assessed_on BETWEEN %(start)s AND %(end)s)"
    )
    return sql, {"start": start, "end": end}


RULES: tuple[RuleDefinition, ...] = (
    RuleDefinition(
        code="INTEREST_OVERDUE",
        name="欠息",
        description="利息逾期未还",
        severity=Severity.MEDIUM,
        subject_type=SubjectType.LOAN,
        parameters={},
        deadline_days=7,
        query=interest_overdue,
        fact_label=gettext_noop("Interest overdue"),
        fact_unit="yuan",
        split_over_loans=True,
    ),
    RuleDefinition(
        code="PRINCIPAL_OVERDUE",
        name="本金逾期",
        description="到期本金未还",
        severity=Severity.HIGH,
        subject_type=SubjectType.LOAN,
        parameters={},
        deadline_days=3,
        query=principal_overdue,
        fact_label=gettext_noop("Principal overdue"),
        fact_unit="yuan",
        split_over_loans=True,
    ),
    RuleDefinition(
        code="MATURITY_SOON",
        name="贷款临近到期",
        description="本金未还且30天内到期",
        severity=Severity.LOW,
        subject_type=SubjectType.LOAN,
        parameters={"days": 30},
        deadline_days=15,
        query=maturity_soon,
        changed_subjects=maturity_soon_changed,
        changed_subjects_cover_clearing=True,
        fact_label=gettext_noop("Matures on"),
        fact_unit="date",
    ),
    RuleDefinition(
        code="ORDERS_DROP",
        name="订单额骤降",
        description="上月订单额低于此前6个月月均的50%",
        severity=Severity.MEDIUM,
        subject_type=SubjectType.FARMER,
        parameters={"ratio": "0.5", "months": 6},
        deadline_days=7,
        query=orders_drop,
        fact_label=gettext_noop("Orders last month"),
        fact_unit="yuan",
    ),
    RuleDefinition(
        code="ORDERS_STOPPED",
        name="交易中断",
        description="有贷款余额且近60天无订单",
        severity=Severity.HIGH,
        subject_type=SubjectType.FARMER,
        parameters={"days": 60},
        deadline_days=3,
        query=orders_stopped,
        changed_subjects=orders_stopped_changed,
        fact_label=gettext_noop("Last order on"),
        fact_unit="date",
    ),
    # Beyond the contract's table: the borrowers' settlement accounts, as the core system delivers them.
    RuleDefinition(
        code="FUNDS_DIVERTED",
        name="贷款资金挪用",
        description="提款后7天内流向非龙头企业账户的资金达提款额的30%",
        severity=Severity.HIGH,
        subject_type=SubjectType.LOAN,
        parameters={"days": 7, "ratio": "0.3"},
        deadline_days=3,
        query=funds_diverted,
        changed_subjects=funds_diverted_changed,
        fact_label=gettext_noop("Paid out elsewhere"),
        fact_unit="yuan",
    ),
    RuleDefinition(
        code="SETTLEMENT_FLOW_DROP",
        name="结算流水骤降",
        description="上月结算账户流入低于此前6个月月均的50%",
        severity=Severity.MEDIUM,
        subject_type=SubjectType.FARMER,
        parameters={"ratio": "0.5", "months": 6},
        deadline_days=7,
        query=settlement_flow_drop,
        changed_subjects=settlement_flow_drop_changed,
        fact_label=gettext_noop("Inflows last month"),
        fact_unit="yuan",
    ),
    RuleDefinition(
        code="LIMIT_HIGH_USAGE",
        name="额度使用率高",
        description="贷款余额达额度的95%",
        severity=Severity.LOW,
        subject_type=SubjectType.FARMER,
        parameters={"ratio": "0.95"},
        deadline_days=15,
        query=limit_high_usage,
        changed_subjects=limit_high_usage_changed,
        changed_subjects_cover_clearing=True,
        fact_label=gettext_noop("Outstanding"),
        fact_unit="yuan",
    ),
    RuleDefinition(
        code="DRAWDOWN_NOT_VERIFIED",
        name="提款后交易未核实",
        description="提款15天后仍未做交易真实性核实",
        severity=Severity.LOW,
        subject_type=SubjectType.LOAN,
        parameters={"days": 15},
        deadline_days=7,
        query=_check_missing("trade_authenticity"),
        changed_subjects=check_missing_changed,
        fact_label=gettext_noop("Drawn on"),
        fact_unit="date",
    ),
    RuleDefinition(
        code="CALLBACK_MISSING",
        name="电话回访未完成",
        description="提款7天后仍未完成电话回访",
        severity=Severity.LOW,
        subject_type=SubjectType.LOAN,
        parameters={"days": 7},
        deadline_days=7,
        query=_check_missing("phone_callback"),
        changed_subjects=check_missing_changed,
        fact_label=gettext_noop("Drawn on"),
        fact_unit="date",
    ),
    RuleDefinition(
        code="LITIGATION",
        name="涉诉",
        description="借款人涉诉",
        severity=Severity.MEDIUM,
        subject_type=SubjectType.FARMER,
        parameters={"lookback_days": 365},
        deadline_days=7,
        query=litigation,
        fact_label=gettext_noop("Latest event"),
        fact_unit="event",
    ),
    RuleDefinition(
        code="ENFORCEMENT",
        name="被执行/失信",
        description="借款人被执行或失信",
        severity=Severity.HIGH,
        subject_type=SubjectType.FARMER,
        parameters={"lookback_days": 365},
        deadline_days=3,
        query=enforcement,
        fact_label=gettext_noop("Latest event"),
        fact_unit="event",
    ),
    RuleDefinition(
        code="MULTI_LENDER",
        name="多头借贷",
        description="多头借贷机构数不少于3家",
        severity=Severity.MEDIUM,
        subject_type=SubjectType.FARMER,
        parameters={"lenders": 3, "lookback_days": 365},
        deadline_days=7,
        query=multi_lender,
        fact_label=gettext_noop("Latest event"),
        fact_unit="event",
    ),
    RuleDefinition(
        code="CREDIT_OVERDUE_ELSEWHERE",
        name="他行逾期",
        description="征信显示他行逾期",
        severity=Severity.HIGH,
        subject_type=SubjectType.FARMER,
        parameters={"lookback_days": 365},
        deadline_days=3,
        query=credit_overdue_elsewhere,
        fact_label=gettext_noop("Latest event"),
        fact_unit="event",
    ),
    RuleDefinition(
        code="REGION_OUTBREAK",
        name="区域疫情",
        description="借款人所在地区90天内发生疫情",
        severity=Severity.MEDIUM,
        subject_type=SubjectType.FARMER,
        parameters={"days": 90},
        deadline_days=7,
        query=region_outbreak,
        fact_label=gettext_noop("Outbreak"),
    ),
    RuleDefinition(
        code="BORROWER_AGE",
        name="借款人年龄超限",
        description="到期时借款人年满65周岁",
        severity=Severity.LOW,
        subject_type=SubjectType.LOAN,
        parameters={"max_age": 65},
        deadline_days=15,
        query=borrower_age,
        changed_subjects=borrower_age_changed,
        changed_subjects_cover_clearing=True,
        fact_label=gettext_noop("Matures on"),
        fact_unit="date",
    ),
    RuleDefinition(
        code="ANCHOR_CAPACITY_DROP",
        name="龙头企业担保能力下降",
        description="担保能力低于上期的80%或低于在贷余额",
        severity=Severity.HIGH,
        subject_type=SubjectType.ANCHOR,
        parameters={"ratio": "0.8"},
        deadline_days=7,
        query=anchor_capacity_drop,
        reads=(PROGRAM_TOTALS,),
        fact_label=gettext_noop("Guarantee capacity"),
        fact_unit="yuan",
    ),
    RuleDefinition(
        code="ANCHOR_ABNORMAL",
        name="龙头企业涉诉/经营异常",
        description="龙头企业涉诉、被执行、失信或经营异常",
        severity=Severity.HIGH,
        subject_type=SubjectType.ANCHOR,
        parameters={"lookback_days": 365},
        deadline_days=3,
        query=anchor_abnormal,
        fact_label=gettext_noop("Latest event"),
        fact_unit="event",
    ),
    RuleDefinition(
        code="MARGIN_SHORTFALL",
        name="保证金不足",
        description="保证金余额低于应缴金额",
        severity=Severity.HIGH,
        subject_type=SubjectType.PROGRAM,
        parameters={},
        deadline_days=3,
        query=margin_shortfall,
        reads=(PROGRAM_TOTALS,),
        fact_label=gettext_noop("Margin balance"),
        fact_unit="yuan",
    ),
    RuleDefinition(
        code="COMPENSATION_UNPAID",
        name="代偿未履行",
        description="月末扣划保证金后仍有逾期未代偿",
        severity=Severity.HIGH,
        subject_type=SubjectType.PROGRAM,
        parameters={},
        deadline_days=3,
        query=compensation_unpaid,
        fact_label=gettext_noop("Unpaid compensation"),
        fact_unit="yuan",
    ),
    RuleDefinition(
        code="PROGRAM_NPL_WARNING",
        name="项目不良率预警",
        description="不良率达到预警线",
        severity=Severity.MEDIUM,
        subject_type=SubjectType.PROGRAM,
        parameters={},
        deadline_days=7,
        query=program_npl_warning,
        reads=(PROGRAM_TOTALS,),
        fact_label=gettext_noop("Non-performing balance"),
        fact_unit="yuan",
    ),
    RuleDefinition(
        code="PROGRAM_SUSPENDED",
        name="项目暂停",
        description="不良率达到暂停线",
        severity=Severity.HIGH,
        subject_type=SubjectType.PROGRAM,
        parameters={},
        deadline_days=3,
        query=program_suspended,
        reads=(PROGRAM_TOTALS,),
        fact_label=gettext_noop("Non-performing balance"),
        fact_unit="yuan",
    ),
    RuleDefinition(
        code="ANCHOR_REVIEW_OVERDUE",
        name="龙头企业季度评估逾期",
        description="上一完整季度无担保能力评估",
        severity=Severity.LOW,
        subject_type=SubjectType.ANCHOR,
        parameters={},
        deadline_days=15,
        query=anchor_review_overdue,
        fact_label=gettext_noop("Last assessed on"),
        fact_unit="date",
    ),
    RuleDefinition(
        code="DISBURSEMENT_UNCONFIRMED",
        name="放款未获核心确认",
        description="放款指令发出后的下一次日终仍未获核心系统确认放款",
        severity=Severity.HIGH,
        subject_type=SubjectType.LOAN,
        parameters={},
        deadline_days=1,
        query=disbursement_unconfirmed,
        fact_label=gettext_noop("Drawn on"),
        fact_unit="date",
    ),
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}

# Rules whose fact is the data provider's (its trade records and monitoring events; outbreaks are
# public): the verified orders of last month, the last order date, an event. An anchor operator is
# shown the rule and the status of such a warning, never the fact, so that declared figures cannot be
# tuned to what the provider verified (``postloan.services.warning_fact``).
PROVIDER_FACT_RULES = frozenset(
    {
        "ORDERS_DROP",
        "ORDERS_STOPPED",
        "LITIGATION",
        "ENFORCEMENT",
        "MULTI_LENDER",
        "CREDIT_OVERDUE_ELSEWHERE",
        "ANCHOR_ABNORMAL",
        # Not the provider's, but the borrower's bank accounts: no anchor sees them either.
        "FUNDS_DIVERTED",
        "SETTLEMENT_FLOW_DROP",
    }
)
assert set(RULES_BY_CODE) >= PROVIDER_FACT_RULES, PROVIDER_FACT_RULES - set(RULES_BY_CODE)
