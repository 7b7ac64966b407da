"""The book's figures read the same through the ORM and through SQL, for any book.

``origination.figures`` writes each figure twice, in the ORM for pages, the API and the checks, and in SQL
for the warning rules and the dashboards' aggregates. A random book (programmes with limits in force,
expired and revoked, loans drawn, classified worse, repaid, fallen overdue and compensated, margin posted,
deducted and announced) must give every programme the same figures through both, and through the SQL
that the warning run and the dashboards really execute.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.bulk import temp_table_fill
from core.business_date import business_date_get, business_date_set
from core.money import ZERO, money
from origination.figures import ProgramFigures, program_figures, program_figures_sql
from origination.models import CreditLimit, Loan
from origination.services.drawdown import loan_disburse
from partners.models import MarginEntry, Program
from partners.services.margin import margin_balance, margin_deposit, margin_entry_post, margin_program_lock
from postloan.cob import close_business_days
from postloan.dashboards.aggregates import close_figures_write
from postloan.dashboards.selectors.programs import MONEY_SUMS, ProgramHealth
from postloan.models_dashboards import DailyNodeFigures
from postloan.rules import EVERYTHING, PROGRAM_TOTALS, RULES_BY_CODE, SHARED_SETS
from servicing.services.repayments import loan_classify, loan_owed, repayment_record
from tests.factories import make_anchor, make_anchor_operator, make_farmer, make_program

START = dt.date(2027, 3, 5)
NPL = ("substandard", "doubtful", "loss")  # what the test expects the NPL set to be, written out on purpose

programme = st.fixed_dictionaries(
    {
        # Ratios with four places, so that ratio × outstanding has fractions of a fen to round.
        "margin_ratio": st.sampled_from([Decimal("0.05"), Decimal("0.0333"), Decimal("0.0517"), Decimal("0.1")]),
        # A small cap is overrun by the limits made below: its headroom is 0.
        "total_cap": st.sampled_from([Decimal("600000.00"), Decimal("400000000.00")]),
    }
)
loan = st.fixed_dictionaries(
    {
        "fen": st.integers(min_value=100_000, max_value=40_000_000),  # 1,000.00 to 400,000.00 yuan
        "term": st.integers(min_value=1, max_value=6),
        "class": st.sampled_from([None, None, "special_mention", *NPL]),
        "repaid_percent": st.sampled_from([0, 0, 30, 100]),
    }
)


@pytest.mark.slow
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    programmes=st.lists(programme, min_size=2, max_size=3),
    loans=st.lists(loan, min_size=3, max_size=8),
    days=st.sampled_from([0, 16, 27]),  # none, past the 20th (interest overdue), past the month's end
    npl_class=st.sampled_from(NPL),
)
def test_every_programme_has_the_same_figures_through_the_orm_and_through_sql(
    users, programmes, loans, days, npl_class
):
    # Each example runs in its own transaction, rolled back at the end, so examples do not meet.
    with transaction.atomic():
        _example(users, programmes, loans, days, npl_class)
        transaction.set_rollback(True)


def _example(users, programmes, loans, days, npl_class):
    programs = _book(users, programmes, loans, days, npl_class)
    today = business_date_get()
    orm = {program.pk: program_figures(program) for program in programs}

    # given the margin of the first programme a fen short of its requirement, of the second exactly it
    _margin_set(programs[0], orm[programs[0].pk].margin_required - Decimal("0.01"), users)
    _margin_set(programs[1], orm[programs[1].pk].margin_required, users)
    orm = {program.pk: program_figures(program) for program in programs}

    # the book is not trivial: the comparisons below would pass on zeros
    assert all(figures.outstanding_principal > 0 for figures in orm.values())
    assert sum(figures.npl_principal for figures in orm.values()) > 0
    assert orm[programs[0].pk].margin_shortfall == Decimal("0.01")
    assert orm[programs[1].pk].margin_shortfall == 0

    # then the programme figures in one SQL statement are those of the ORM
    sql = _program_figures_by_sql(today)
    for pk, figures in orm.items():
        assert _as_sql_row(figures) == sql[pk], pk

    # and the warning run's programme totals, and its margin rule, agree with them
    totals = _warning_programme_totals()
    for pk, figures in orm.items():
        assert totals[pk] == {"outstanding": figures.outstanding_principal, "npl": figures.npl_principal}, pk
    short = {pk for pk, figures in orm.items() if figures.margin_shortfall > 0}
    assert _margin_shortfall_warned() == short

    # and the dashboards' aggregates give the programme board the same figures
    close_figures_write(today)
    for program in programs:
        board = ProgramHealth(program, _board_figures(program, today), orm[program.pk].margin_balance)
        figures = orm[program.pk]
        assert board.book == figures, program.pk
        assert (board.npl_ratio, board.headroom, board.margin_required, board.margin_shortfall) == (
            figures.npl_ratio,
            figures.headroom,
            figures.margin_required,
            figures.margin_shortfall,
        )


def _book(users, programmes, loans, days, npl_class) -> list[Program]:
    """Programmes with their limits and loans drawn on START, some classified worse, then ``days`` closed
    and some loans repaid."""
    business_date_set(new_date=START, backwards_allowed=True)
    programs = []
    for index, parameters in enumerate(programmes):
        anchor = make_anchor(users["manager"], approver=users["approver"], name=f"龙头{index}")
        program = make_program(anchor, users["approver"], per_farmer_cap=Decimal("500000.00"), **parameters)
        margin_deposit(program=program, amount=Decimal("10000000.00"), actor=users["manager"])
        # an anchor's announced deposit is not margin until the bank confirms it
        operator = make_anchor_operator(f"operator{index}", anchor)
        margin_deposit(program=program, amount=Decimal("777.77"), actor=operator)
        farmer = make_farmer(users["manager"].org_node, body17=f"51152119700819{index:03d}", anchor=anchor)
        # limits that count nowhere: one that expires on the last business date (the close marks it
        # expired when it gets there; without a close only its date says so), one revoked
        _limit(program, farmer, Decimal("30000.00"), START + dt.timedelta(days=days), users)
        _limit(program, farmer, Decimal("40000.00"), START + dt.timedelta(days=400), users, status="revoked")
        programs.append(program)

    drawn = []
    for index, plan in enumerate(loans):
        program = programs[index % len(programs)]
        if index < len(programs):  # every programme keeps a loan
            plan = {**plan, "repaid_percent": min(plan["repaid_percent"], 30)}
        farmer = make_farmer(users["manager"].org_node, body17=f"51152119700820{index:03d}", anchor=program.anchor)
        amount = Decimal(plan["fen"]) / 100
        limit = _limit(program, farmer, amount + Decimal("5000.00"), START + dt.timedelta(days=400), users)
        drawn.append(
            (loan_disburse(credit_limit=limit, amount=amount, term_months=plan["term"], actor=users["manager"]), plan)
        )
    # at least one loan is non-performing, and stays so
    drawn[0] = (drawn[0][0], {**drawn[0][1], "class": npl_class, "repaid_percent": 0})
    for loan, plan in drawn:
        if plan["class"]:
            loan_classify(
                loan=loan, classification=plan["class"], reason="实地走访发现经营困难", actor=users["approver"]
            )

    if days:
        close_business_days(to=START + dt.timedelta(days=days))
    today = business_date_get()
    for loan, plan in drawn:
        loan = Loan.objects.get(pk=loan.pk)
        payment = money(loan_owed(loan, today).total * plan["repaid_percent"] / 100)
        if loan.status == Loan.Status.ACTIVE and payment > 0:
            repayment_record(loan=loan, amount=payment, actor=users["manager"])
    return programs


def _limit(program, farmer, amount, expires_on, users, *, status="active") -> CreditLimit:
    return CreditLimit.objects.create(
        farmer=farmer,
        program=program,
        amount=amount,
        approved_on=START - dt.timedelta(days=30),
        expires_on=expires_on,
        approved_by=users["approver"],
        status=status,
    )


def _margin_set(program: Program, balance: Decimal, users) -> None:
    """Bring the programme's posted margin to ``balance`` with a deduction or a deposit."""
    with transaction.atomic():
        locked = margin_program_lock(program.pk)
        current = margin_balance(locked.pk)
        if current > balance:
            margin_entry_post(program=locked, kind=MarginEntry.Kind.DEDUCTION, amount=current - balance, actor=None)
        elif current < balance:
            margin_deposit(program=locked, amount=balance - current, actor=users["manager"])


def _as_sql_row(figures: ProgramFigures) -> dict[str, Any]:
    return {
        "loans": figures.loans,
        "outstanding": figures.outstanding_principal,
        "npl": figures.npl_principal,
        **figures.classification_mix,
        "principal_overdue": figures.overdue_principal,
        "interest_overdue": figures.overdue_interest,
        "compensated": figures.compensated,
        "shadow_delinquent": figures.shadow_delinquent_principal,
        "limits_approved": figures.approved_limits,
        "margin_balance": figures.margin_balance,
        "margin_required": figures.margin_required,
        "headroom": figures.headroom,
        "npl_ratio": figures.npl_ratio,
    }


def _rows(sql: str, params: Any = None) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _program_figures_by_sql(today: dt.date) -> dict[int, dict[str, Any]]:
    rows = {}
    for row in _rows(program_figures_sql(), {"day": today}):
        pk = row.pop("program_id")
        # Decimal equality ignores the scale: 0 equals 0.00, and a rounding left out would not.
        rows[pk] = {name: value if name == "loans" else Decimal(value) for name, value in row.items()}
    return rows


def _warning_programme_totals() -> dict[int, dict[str, Decimal]]:
    totals = next(shared for shared in SHARED_SETS if shared.name == PROGRAM_TOTALS)
    temp_table_fill(totals.name, totals.columns, totals.query)
    return {row.pop("program_id"): row for row in _rows(f"SELECT * FROM {totals.name}")}


def _margin_shortfall_warned() -> set[int]:
    rule = RULES_BY_CODE["MARGIN_SHORTFALL"]
    sql, params = rule.query(business_date_get(), rule.parameters, EVERYTHING)
    return {row["subject_id"] for row in _rows(sql, params)}


def _board_figures(program: Program, day: dt.date) -> dict[str, Any]:
    """The programme's row of the day's aggregates, summed over its nodes as the programme board sums it."""
    rows = DailyNodeFigures.objects.filter(day=day, program=program)
    sums = rows.aggregate(loans=Sum("loans"), **{name: Sum(name) for name in MONEY_SUMS})
    return {name: value or (0 if name == "loans" else ZERO) for name, value in sums.items()}
