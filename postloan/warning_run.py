"""The daily warning run (每日预警): raise, resolve and escalate for all rules in a few statements each.

A warning is raised once per (rule, subject) while the condition holds (two
runs of a rule at once take turns, and a partial unique index makes a second
warning impossible whatever happens), resolved when the condition clears, and re-running a date changes
nothing. Open warnings past their deadline are escalated to the branch
manager of the subject's node.

A rule with ``changed_subjects`` (see ``postloan.rules``) is looked at whole
on its first run, when its parameters changed, when a date is run again or an
earlier one is run, and when asked (``full=True``). Otherwise it looks only
at the subjects of its active warnings and at the subjects whose facts
changed since the date of its last run (with
``changed_subjects_cover_clearing``, at the changed subjects alone, and clears
only among them): the same warnings as a whole run, for the cost of what
changed. (A fact changed outside the application — a loan's maturity
edited in the database — is seen by a whole run: run the date again.)

``warnings_run`` evaluates every rule in one transaction. The close of
business shares the rules out among its workers instead (``warning_chunks``):
each rule commits with its chunk's record, and the escalation is a step of its
own after the last rule. On the days the overdue rules fire for much of the
book, the close runs those in parts beside the others, a range of loan ids
each (``warning_parts_chunk``, decision 34).
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from core.bulk import temp_table_empty, temp_table_fill, temp_table_load
from core.roles import Role
from origination.models import Loan
from partners.models import OrgNode, User
from partners.selectors import org_root
from postloan.models import RiskWarning, WarningRule
from postloan.models_close import DayCloseStepRun
from postloan.rules import (
    EVERYTHING,
    IN_SCOPE,
    RULES,
    RULES_BY_CODE,
    SCOPE_TABLE,
    SHARED_SETS,
    RuleDefinition,
    RuleParameters,
    Scope,
    ids_between,
)

WARNING = RiskWarning._meta.db_table
# From this many active loans the close evaluates its rules side by side, one transaction each.
RULES_SPLIT_FROM_LOANS = 100_000
# The first key of a rule's transaction lock (the rule's id is the second): a constant of its own.
RULE_LOCK_CLASS = zlib.crc32(b"postloan.warning_rule") - 2**31
FIRED_COLUMNS = (
    ("subject_id", "bigint"),
    ("org_node_id", "bigint"),
    ("program_id", "bigint"),
    ("assignee_id", "bigint"),
    ("fact", "varchar(200)"),
)


@dataclass
class RunSummary:
    raised: dict[str, int] = field(default_factory=dict)
    cleared: dict[str, int] = field(default_factory=dict)
    escalated: int = 0
    scoped: list[str] = field(default_factory=list)  # the rules that looked only at what changed


def rules_ensure() -> None:
    """The rule table holds every rule of the contract (parameters as the administrator left them)."""
    existing = set(WarningRule.objects.values_list("code", flat=True))
    WarningRule.objects.bulk_create(
        [
            WarningRule(
                code=rule.code,
                name=rule.name,
                description=rule.description,
                severity=rule.severity,
                subject_type=rule.subject_type,
                parameters=rule.parameters,
                deadline_days=rule.deadline_days,
            )
            for rule in RULES
            if rule.code not in existing
        ],
        # Two first runs at once both find a rule missing: the second's row is the first's.
        ignore_conflicts=True,
    )


def _shared_sets_fill(names: set[str]) -> None:
    """Fill the temporary table of each named set many rules read (``postloan.rules.SHARED_SETS``).

    A set is a few rows (one per programme) summed over the book: they are fetched and written apart,
    because PostgreSQL reads the book in parallel for a plain SELECT, never for the SELECT of an INSERT.
    """
    for shared in SHARED_SETS:
        if shared.name in names:
            with connection.cursor() as cursor:
                cursor.execute(shared.query)
                rows = cursor.fetchall()
            temp_table_load(
                shared.name, _definition(shared.columns), [column for column, _kind in shared.columns], rows
            )
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {shared.name}")


def _definition(columns: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{column} {kind}" for column, kind in columns)


def _shared_sets_empty(names: set[str]) -> None:
    """The run's sets need not stay in the connection's temporary space until the next run."""
    for shared in SHARED_SETS:
        if shared.name in names:
            temp_table_empty(shared.name)


def _comparable(parameters: dict[str, Any]) -> Any:
    return json.loads(json.dumps(parameters, sort_keys=True, default=str))


def _last_run_date(rule: WarningRule, definition: RuleDefinition, parameters: Any, today: dt.date) -> dt.date | None:
    """The date of the rule's last run, when this run may look only at what changed since; else None."""
    if definition.changed_subjects is None or rule.evaluated_on is None or rule.evaluated_on >= today:
        return None
    return rule.evaluated_on if rule.evaluated_parameters == parameters else None


def _scope_fill(
    rule: WarningRule, definition: RuleDefinition, parameters: RuleParameters, since: dt.date, today: dt.date
) -> None:
    """The subjects whose facts changed since ``since`` and, unless they include every warning that may clear,
    the subjects of the rule's active warnings."""
    assert definition.changed_subjects is not None
    sql, params = definition.changed_subjects(since, today, parameters)
    if not definition.changed_subjects_cover_clearing:
        active = (
            f"SELECT w.subject_id FROM {WARNING} w "
            "WHERE w.rule_id = %(scope_rule)s AND w.subject_type = %(scope_type)s AND w.active"
        )
        sql = f"{active} UNION ALL {sql}"
        params = {**params, "scope_rule": rule.pk, "scope_type": rule.subject_type}
    temp_table_fill(SCOPE_TABLE, (("subject_id", "bigint"),), sql, params)


def _rule_evaluate(
    rule: WarningRule, today: dt.date, summary: RunSummary, *, full: bool, part: Scope | None = None
) -> None:
    definition = RULES_BY_CODE[rule.code]
    parameters = {**definition.parameters, **rule.parameters}
    if part is not None:
        # A part of a rule split over the loans leaves the rule's last run as it is: the rule looks at
        # every loan each day, so that date serves it nothing, and parts running side by side would queue
        # on the rule's row, each until the other's commit, to write it.
        _run_rule(rule, definition, parameters, today, summary, part)
        return
    comparable = _comparable(parameters)
    since = None if full else _last_run_date(rule, definition, comparable, today)
    scope: Scope = EVERYTHING
    if since is not None:
        _scope_fill(rule, definition, parameters, since, today)
        scope = IN_SCOPE
        summary.scoped.append(rule.code)
    _run_rule(rule, definition, parameters, today, summary, scope)
    WarningRule.objects.filter(pk=rule.pk).update(evaluated_on=today, evaluated_parameters=comparable)


def _run_rule(
    rule: WarningRule,
    definition: RuleDefinition,
    parameters: RuleParameters,
    today: dt.date,
    summary: RunSummary,
    scope: Scope,
) -> None:
    sql, params = definition.query(today, parameters, scope)
    with connection.cursor() as cursor:
        # Two runs of one rule at once (the close and a run by hand) take turns, until the first commits:
        # the second's insert then sees the first's warnings in its NOT EXISTS. So the insert needs no
        # ON CONFLICT, whose speculative insertion cost each of the 20th's 948,000 warnings a quarter of
        # its buffer accesses and a sixth of its time; the unique index still stands behind it. The parts
        # of a rule split over the loans share the lock: their subjects never meet (the same part twice
        # takes turns on its chunk's lock).
        lock = "pg_advisory_xact_lock_shared" if scope.ids is not None else "pg_advisory_xact_lock"
        cursor.execute(f"SELECT {lock}(%s, %s)", [RULE_LOCK_CLASS, rule.pk])
    # One temporary table for the whole run, emptied between rules: creating and dropping a table
    # per rule would pile up locks when many days are closed in one transaction.
    temp_table_fill(
        "warning_fired",
        FIRED_COLUMNS,
        f"SELECT subject_id, org_node_id, program_id, assignee_id, CAST(fact AS VARCHAR(200)) FROM ({sql}) q",
        params,
        analyze=False,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {WARNING} (rule_id, subject_type, subject_id, severity, org_node_id, program_id, "
            "assignee_id, raised_on, deadline, fact, active, status, resolution, close_reason, escalated) "
            "SELECT %(rule)s, %(type)s, f.subject_id, %(severity)s, f.org_node_id, f.program_id, f.assignee_id, "
            "%(today)s, %(deadline)s, COALESCE(f.fact, ''), TRUE, 'open', '', '', FALSE FROM warning_fired f "
            f"WHERE NOT EXISTS (SELECT 1 FROM {WARNING} w WHERE w.rule_id = %(rule)s "
            "AND w.subject_type = %(type)s AND w.subject_id = f.subject_id AND w.active)",
            {
                "rule": rule.pk,
                "type": rule.subject_type,
                "severity": rule.severity,
                "today": today,
                "deadline": today + dt.timedelta(days=rule.deadline_days),
            },
        )
        summary.raised[rule.code] = int(cursor.rowcount)
        with _hash_joins():
            cursor.execute(
                f"UPDATE {WARNING} SET active = FALSE, cleared_on = %(today)s, "
                "resolution = CASE WHEN status = 'open' THEN 'cleared' ELSE resolution END, "
                "closed_on = CASE WHEN status = 'open' THEN %(today)s ELSE closed_on END, "
                "status = 'closed' "
                f"WHERE rule_id = %(rule)s AND subject_type = %(type)s AND active "
                f"AND {scope.of(f'{WARNING}.subject_id')} "
                f"AND NOT EXISTS (SELECT 1 FROM warning_fired f WHERE f.subject_id = {WARNING}.subject_id)",
                {"rule": rule.pk, "type": rule.subject_type, "today": today},
            )
        summary.cleared[rule.code] = int(cursor.rowcount)


@contextmanager
def _hash_joins() -> Iterator[None]:
    """For one statement: join by hashing, never by a nested loop nor by merging.

    The clearing joins the rule's active warnings to the temporary tables of the subjects looked at
    and of those that fired. With statistics from before a rule's warnings were raised, the planner
    guesses it has one and loops over both tables once per warning: 1.1 s for 2,158 warnings of an
    ordinary day, against 4 ms hashed. Hashing costs one pass over each side whatever the numbers.
    Without loops, the same guesses made it merge on the 20th: both sides of a million rows sorted,
    on disk, to clear nothing. The settings are put back as they were, for the rest of the transaction.
    """
    settings = ("enable_nestloop", "enable_mergejoin")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_nestloop'), current_setting('enable_mergejoin')")
        before = cursor.fetchone()
        for setting in settings:
            cursor.execute(f"SET LOCAL {setting} = off")
        try:
            yield
        finally:
            for setting, value in zip(settings, before, strict=True):
                cursor.execute("SELECT set_config(%s, %s, true)", [setting, value])


def branch_managers() -> dict[int, int]:
    """For every node, the branch manager nearest above (or at) it: who receives its escalations."""
    root = org_root()
    managers: dict[int, int] = {}
    for user_id, node_id in (
        User.objects.filter(role=Role.BRANCH_MANAGER, is_active=True).order_by("id").values_list("id", "org_node_id")
    ):
        # A branch manager without a node acts at the branch root.
        home = node_id if node_id is not None else (root.pk if root else None)
        if home is not None:
            managers[home] = user_id
    paths = dict(OrgNode.objects.values_list("path", "id"))
    result: dict[int, int] = {}
    for path, node_id in paths.items():
        parts = path.rstrip("/").split("/")
        for depth in range(len(parts), 0, -1):
            ancestor = paths.get("/".join(parts[:depth]) + "/")
            if ancestor in managers:
                result[node_id] = managers[ancestor]
                break
    return result


def escalate(today: dt.date) -> int:
    """Open warnings past their deadline go to the branch manager (one statement per manager)."""
    by_manager: dict[int, list[int]] = {}
    for node_id, manager_id in branch_managers().items():
        by_manager.setdefault(manager_id, []).append(node_id)
    count = 0
    for manager_id, node_ids in by_manager.items():
        count += RiskWarning.objects.filter(
            status=RiskWarning.Status.OPEN, escalated=False, deadline__lt=today, org_node_id__in=node_ids
        ).update(escalated=True, escalated_to_id=manager_id)
    return count


def _rules_evaluate(
    rules: list[WarningRule], today: dt.date, summary: RunSummary, *, full: bool, part: Scope | None = None
) -> None:
    """Evaluate ``rules`` as of ``today`` in the transaction the caller holds (``part``: among those subjects)."""
    # One batch of large queries, each run once: compiling them (JIT) costs seconds that
    # a single execution never earns back.
    # Most rules now look at a few subjects of a large book that the server holds in memory:
    # an index probe there costs little more than a page read in order.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL random_page_cost = 1.1")
    reads = {name for rule in rules for name in RULES_BY_CODE[rule.code].reads}
    _shared_sets_fill(reads)
    for rule in rules:
        _rule_evaluate(rule, today, summary, full=full, part=part)
    _shared_sets_empty(reads)


def warnings_run(today: dt.date, *, full: bool = False) -> RunSummary:
    """Evaluate every enabled rule as of business date ``today`` (``full``: every subject of every rule)."""
    rules_ensure()
    summary = RunSummary()
    with transaction.atomic():
        _rules_evaluate(list(WarningRule.objects.filter(enabled=True).order_by("code")), today, summary, full=full)
        summary.escalated = escalate(today)
    return summary


# --- in the close of business: the rules shared out among the workers, then the escalation ----------------


def warning_chunks() -> list[tuple[int, int, int]]:
    """The close's warning step in chunks: (chunk, first rule id, last rule id), like the loans' id ranges.

    On a large book each rule is a chunk: the workers evaluate rules side by side, each rule in a
    transaction of its own recorded with it (its ``evaluated_on`` moves with its warnings, so a stopped
    close resumes at the next rule). The rules that read a shared set go in one chunk, from the first of
    them to the last, so that the set is computed once. A book under ``RULES_SPLIT_FROM_LOANS`` active
    loans has every rule in one chunk: there, a transaction per rule would cost more than the rules.
    """
    rules_ensure()
    enabled = list(WarningRule.objects.filter(enabled=True).order_by("pk").values_list("pk", "code"))
    if not enabled:
        return []
    if not Loan.objects.filter(status=Loan.Status.ACTIVE)[RULES_SPLIT_FROM_LOANS - 1 :].exists():
        return [(0, enabled[0][0], enabled[-1][0])]
    readers = [pk for pk, code in enabled if RULES_BY_CODE[code].reads]
    low, high = (min(readers), max(readers)) if readers else (0, -1)  # (0, -1): no id lies within
    ranges = [(pk, pk) for pk, _code in enabled if not low <= pk <= high]
    if readers:
        ranges.append((low, high))
    return [(number, first, last) for number, (first, last) in enumerate(sorted(ranges))]


def warnings_chunk(day: dt.date, first_id: int, last_id: int) -> int:
    """The enabled rules with ids in [first_id, last_id], for the next business date: the close of ``day``
    prepares that date, so the warnings are those of that date. The rules split over the loans are left
    to their parts when the close planned parts (``warning_parts_chunk``)."""
    rules = WarningRule.objects.filter(enabled=True, pk__range=(first_id, last_id)).order_by("code")
    if _parts_planned(day):
        rules = rules.exclude(code__in=SPLIT_RULE_CODES)
    summary = RunSummary()
    _rules_evaluate(list(rules), day + dt.timedelta(days=1), summary, full=False)
    return sum(summary.raised.values())


# --- the rules split over the loans: a part per range of loan ids, beside the other rules ----------------

SPLIT_RULE_CODES = tuple(rule.code for rule in RULES if rule.split_over_loans)
# The close's step that runs them (``postloan.cob``): its chunks are ranges of loan ids.
WARNING_PARTS_STEP = "warning_parts"
# The share of the book (one loan in this many) the split rules' work must reach for the close to run them in
# parts: the 20th and the day after it, whatever the book's size.
PARTS_FROM_SHARE = 10


def warning_parts_wanted(*, settled: int, book: int) -> bool:
    """Whether the close runs the split rules in parts: when some is enabled and they have much to do, the
    loans its settlement moved (``settled``: on the 20th nearly every loan falls overdue) and their active
    warnings (the day after, each is kept or cleared) numbering ``RULES_SPLIT_FROM_LOANS`` or more, and one
    in ``PARTS_FROM_SHARE`` of the ``book`` (the loans accruing today) or more. Parts were measured faster on
    those days only: on every day, they made each of four ordinary days of a million loans 0.08-0.26 s
    longer (decision 34), and at five million loans the overdue loans' warnings alone pass the fixed number."""
    rules = list(WarningRule.objects.filter(enabled=True, code__in=SPLIT_RULE_CODES).values_list("pk", flat=True))
    if not rules:
        return False
    enough = max(RULES_SPLIT_FROM_LOANS, book // PARTS_FROM_SHARE)
    if settled >= enough:
        return True
    active = RiskWarning.objects.filter(rule_id__in=rules, active=True)
    return active[enough - settled - 1 :].exists()


def _parts_planned(day: dt.date) -> bool:
    """The close of ``day`` fixed a plan of parts: the plans, not the book's size now, decide who evaluates
    the split rules, so that a resumed close never runs them twice or not at all."""
    return DayCloseStepRun.objects.filter(close__day=day, step=WARNING_PARTS_STEP, chunks_planned__gt=0).exists()


def warning_parts_chunk(day: dt.date, first_id: int, last_id: int) -> int:
    """The enabled split rules for the next business date, among the loans with ids in [first_id, last_id];
    the warnings of other loans stay as they are."""
    rules = WarningRule.objects.filter(enabled=True, code__in=SPLIT_RULE_CODES).order_by("code")
    summary = RunSummary()
    _rules_evaluate(list(rules), day + dt.timedelta(days=1), summary, full=False, part=ids_between(first_id, last_id))
    return sum(summary.raised.values())


def escalation_step(day: dt.date) -> int:
    """After every rule of the close: open warnings past their deadline on the next business date go up."""
    return escalate(day + dt.timedelta(days=1))
