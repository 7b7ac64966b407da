"""The dashboards' daily aggregates: right on a small hand-made book, idempotent, written by the close."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db.models import Sum

from core.roles import Role
from origination.services.drawdown import loan_disburse
from partners.models import Product
from partners.services.margin import margin_deposit
from partners.services.programs import program_create
from postloan import cob
from postloan.dashboards.aggregates import (
    aggregates_rebuild,
    aggregates_write,
    cross_selling_write,
    warning_figures_write,
)
from postloan.dashboards.selectors import warning_dashboard
from postloan.models_dashboards import (
    AggregateDay,
    DailyCrossSelling,
    DailyNodeFigures,
    DailyWarningCloseTimes,
    DailyWarningFigures,
)
from postloan.services import warning_action_add, warning_close
from tests.factories import make_user
from tests.postloan.dashboard_book import DAY, _limit, hold, make_book, on, warning

NEXT = DAY + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The dashboards keep derived figures in the cache; every test starts from its own database."""
    cache.clear()


def _rows(model, **filters):
    return list(model.objects.filter(**filters).order_by("org_node__code", "id"))


def test_lending_figures_sum_the_active_book_per_node_and_program(users, org):
    # given two active loans in two outlets and a third loan already paid off
    book = make_book(users, org)

    # when the figures of the next business date are written
    aggregates_write(NEXT)

    # then each outlet has its balances, classification mix, delinquency and limits
    a, b = _rows(DailyNodeFigures, day=NEXT)
    assert (a.org_node_id, a.program_id, a.loans, a.customers) == (org.outlet_a.pk, book.program.pk, 1, 1)
    assert (a.outstanding, a.normal, a.npl) == (Decimal("50000.00"), Decimal("50000.00"), Decimal("0.00"))
    assert (a.limits_approved, a.limits_count) == (Decimal("140000.00"), 2)  # the paid-off farmer keeps his limit
    assert (b.org_node_id, b.loans, b.outstanding, b.npl, b.substandard) == (
        org.outlet_b.pk,
        1,
        Decimal("30000.00"),
        Decimal("30000.00"),
        Decimal("30000.00"),
    )
    assert (b.principal_overdue, b.interest_overdue, b.compensated, b.shadow_delinquent) == (
        Decimal("30000.00"),
        Decimal("120.50"),
        Decimal("80.00"),
        Decimal("30000.00"),
    )
    assert AggregateDay.objects.get(day=NEXT).rows > 0


def test_a_farmer_with_two_active_loans_is_one_customer(users, org):
    # given farmer A draws a second loan from the rest of his limit
    book = make_book(users, org)
    loan_disburse(
        credit_limit=book.loan_a.credit_limit, amount=Decimal("20000.00"), term_months=3, actor=users["manager"]
    )

    aggregates_write(NEXT)

    a = _rows(DailyNodeFigures, day=NEXT, org_node=org.outlet_a)[0]
    assert (a.loans, a.customers, a.outstanding) == (2, 1, Decimal("70000.00"))
    assert DailyNodeFigures.objects.filter(day=NEXT).aggregate(total=Sum("customers"))["total"] == 2


def test_writing_a_day_twice_leaves_the_same_rows(users, org):
    book = make_book(users, org)
    hold(book.farmer_a, "DEBIT_CARD", DAY - dt.timedelta(days=30))
    warning(org.outlet_a, raised_on=DAY)
    aggregates_write(NEXT)
    first = [
        list(model.objects.order_by("id").values_list(*[f.attname for f in model._meta.fields if f.name != "id"]))
        for model in (DailyNodeFigures, DailyCrossSelling, DailyWarningFigures, DailyWarningCloseTimes)
    ]
    aggregates_write(NEXT)
    second = [
        list(model.objects.order_by("id").values_list(*[f.attname for f in model._meta.fields if f.name != "id"]))
        for model in (DailyNodeFigures, DailyCrossSelling, DailyWarningFigures, DailyWarningCloseTimes)
    ]
    assert first == second
    assert AggregateDay.objects.count() == 1


def test_cross_selling_counts_borrowers_and_the_holders_among_them(users, org):
    # given: A holds a debit card and mobile banking, B a debit card opened only on the day itself,
    # and C (paid off) holds a debit card but is no longer a borrower
    book = make_book(users, org)
    hold(book.farmer_a, "DEBIT_CARD", DAY - dt.timedelta(days=300))
    hold(book.farmer_a, "MOBILE_BANKING", DAY)
    hold(book.farmer_b, "DEBIT_CARD", NEXT)
    hold(book.farmer_c, "DEBIT_CARD", DAY - dt.timedelta(days=10))

    cross_selling_write(NEXT)

    def count(**filters):
        return DailyCrossSelling.objects.filter(day=NEXT, **filters).aggregate(n=Sum("borrowers"))["n"] or 0

    assert count(program__isnull=True, product__isnull=True) == 2
    assert count(program__isnull=True, product__code="DEBIT_CARD") == 1  # B's card opens after the day's start
    assert count(program__isnull=True, product__code="MOBILE_BANKING") == 1
    assert count(program=book.program, product__isnull=True) == 2
    assert count(org_node=org.outlet_a, program__isnull=True, product__isnull=True) == 1
    # the day before A's loan was drawn there were no borrowers at all
    cross_selling_write(DAY)
    assert not DailyCrossSelling.objects.filter(day=DAY).exists()


def test_the_close_counts_cross_selling_as_the_dates_say_without_sorting_the_book(users, org):
    # given holders, a paid-off holder, and farmer A with a second loan in the same outlet and a loan
    # in a second programme there
    book = make_book(users, org)
    hold(book.farmer_a, "DEBIT_CARD", DAY - dt.timedelta(days=300))
    hold(book.farmer_b, "MOBILE_BANKING", DAY - dt.timedelta(days=3))
    hold(book.farmer_c, "DEBIT_CARD", DAY - dt.timedelta(days=10))
    loan_disburse(
        credit_limit=book.loan_a.credit_limit, amount=Decimal("20000.00"), term_months=3, actor=users["manager"]
    )
    second = program_create(
        actor=users["approver"], anchor=book.program.anchor, name="第二期", annual_rate=Decimal("0.0435")
    )
    margin_deposit(program=second, amount=Decimal("50000.00"), actor=users["manager"])
    limit = _limit(second, book.farmer_a, users["approver"], "30000.00")
    loan_disburse(credit_limit=limit, amount=Decimal("10000.00"), term_months=3, actor=users["manager"])

    def rows():
        return sorted(
            DailyCrossSelling.objects.filter(day=NEXT).values_list(
                "org_node_id", "program_id", "product_id", "borrowers"
            ),
            key=str,
        )

    # when the close writes the figures, and then the same day is rebuilt from the dates
    aggregates_write(NEXT)
    at_close = rows()
    cross_selling_write(NEXT)

    # then both agree, and farmer A is one borrower of outlet A, of each programme and of the debit card
    assert at_close == rows()
    assert (org.outlet_a.pk, None, None, 1) in at_close
    assert (org.outlet_a.pk, book.program.pk, None, 1) in at_close
    assert (org.outlet_a.pk, second.pk, None, 1) in at_close
    card = Product.objects.get(code="DEBIT_CARD").pk
    assert (org.outlet_a.pk, None, card, 1) in at_close


def test_warning_figures_count_open_overdue_raised_handled_and_cleared(users, org):
    manager = users["manager"]
    day = dt.date(2027, 6, 20)
    # open since the 10th, deadline the 13th: open and overdue on the 20th
    warning(org.outlet_a, raised_on=dt.date(2027, 6, 10), assignee=manager, subject_id=1)
    # raised on the 20th by the run that opened it
    warning(org.outlet_a, raised_on=day, assignee=manager, subject_id=2)
    # closed by the manager during the 19th, 4 days after raising, by its deadline
    warning(
        org.outlet_a,
        raised_on=dt.date(2027, 6, 15),
        deadline_days=7,
        closed_on=dt.date(2027, 6, 19),
        resolution="false_alarm",
        assignee=manager,
        subject_id=3,
    )
    # closed by the manager during the 20th: still open at the day's start
    warning(
        org.outlet_b,
        raised_on=dt.date(2027, 6, 18),
        closed_on=day,
        resolution="confirmed_risk",
        assignee=users["manager_b"],
        subject_id=4,
    )
    # cleared by the run of the 20th: no longer open at the day's start
    warning(org.outlet_b, raised_on=dt.date(2027, 6, 1), closed_on=day, resolution="cleared", subject_id=5)
    # long closed: not in the day's figures at all
    warning(org.outlet_b, raised_on=dt.date(2027, 5, 1), closed_on=dt.date(2027, 5, 3), resolution="false_alarm")

    warning_figures_write(day)

    totals = DailyWarningFigures.objects.filter(day=day).aggregate(
        open=Sum("open"),
        overdue=Sum("overdue"),
        raised=Sum("raised"),
        handled=Sum("handled"),
        in_time=Sum("handled_in_time"),
        cleared=Sum("cleared"),
    )
    assert totals == {"open": 3, "overdue": 1, "raised": 1, "handled": 1, "in_time": 1, "cleared": 1}
    a = DailyWarningFigures.objects.get(day=day, org_node=org.outlet_a)
    assert (a.assignee_id, a.open, a.overdue, a.handled) == (manager.pk, 2, 1, 1)
    assert list(DailyWarningCloseTimes.objects.filter(day=day).values_list("org_node_id", "days", "handled")) == [
        (org.outlet_a.pk, 4, 1)
    ]


def test_the_close_of_business_writes_the_figures_of_the_date_it_opens(users, org):
    make_book(users, org)
    on(DAY)
    cob.close_business_days(to=NEXT)
    assert AggregateDay.objects.filter(day=NEXT).exists()
    assert DailyNodeFigures.objects.filter(day=NEXT).aggregate(total=Sum("outstanding"))["total"] == Decimal("80000.00")
    # The lending figures are written beside the warning run; the warnings' figures wait for its end.
    assert [[step.name for step in stage] for stage in cob.stages(cob.STEPS)][-3:] == [
        ["warnings", "warning_parts", "lending_figures", "whitelists"],
        ["escalation"],
        ["aggregates"],
    ]


def test_a_rebuild_writes_cross_selling_and_warnings_again_but_keeps_the_lending_snapshot(users, org):
    book = make_book(users, org)
    aggregates_write(NEXT)
    snapshot = list(DailyNodeFigures.objects.values_list("org_node_id", "outstanding"))
    hold(book.farmer_b, "WEALTH", DAY - dt.timedelta(days=5))  # a file with a past opening date comes in
    aggregates_rebuild([NEXT])
    assert DailyCrossSelling.objects.get(day=NEXT, program__isnull=True, product__code="WEALTH").borrowers == 1
    assert list(DailyNodeFigures.objects.values_list("org_node_id", "outstanding")) == snapshot


def test_the_warning_dashboard_joins_live_open_warnings_todays_closes_and_the_period(users, org):
    manager, manager_b = users["manager"], users["manager_b"]
    today = dt.date(2027, 6, 20)
    warning(org.outlet_a, raised_on=dt.date(2027, 6, 10), assignee=manager, subject_id=1)  # open, overdue
    warning(org.outlet_b, raised_on=dt.date(2027, 6, 19), assignee=manager_b, subject_id=2)  # open
    for subject, raised, closed in ((3, 15, 19), (4, 15, 17)):  # closed by a person in 4 and 2 days
        warning(
            org.outlet_a,
            raised_on=dt.date(2027, 6, raised),
            closed_on=dt.date(2027, 6, closed),
            resolution="confirmed_risk",
            assignee=manager,
            subject_id=subject,
            deadline_days=3,
        )
    # closed by manager B today, 6 days after it was raised and past its deadline: no aggregate holds the close
    warning(
        org.outlet_b,
        raised_on=dt.date(2027, 6, 14),
        closed_on=today,
        resolution="false_alarm",
        assignee=manager_b,
        subject_id=5,
    )
    for day in range(11, 21):  # the figures the closes wrote (today's: the state at the day's start)
        warning_figures_write(dt.date(2027, 6, day))
    AggregateDay.objects.create(day=today)

    board = warning_dashboard(users["leader"], today)

    t = board.total
    assert (t.open, t.overdue, t.handled, t.handled_in_time, board.handled_today) == (2, 1, 3, 1, 1)
    assert (t.median_days, t.handling_rate, t.on_time_rate) == (Decimal(4), Decimal("0.6"), Decimal("0.333333"))
    assert [(r.key, r.query, r.counts.open, r.counts.handled) for r in board.by_sub_branch] == [
        ("branch-SA", "branch=SA", 1, 2),
        ("branch-SB", "branch=SB", 1, 1),
    ]
    assert {r.query: r.counts.median_days for r in board.by_assignee} == {
        f"assignee={manager.pk}": Decimal(3),
        f"assignee={manager_b.pk}": Decimal(6),
    }
    assert [r.key for r in board.by_severity] == ["severity-medium"]
    assert [(row["day"], row["open"]) for row in board.trend][-2:] == [(dt.date(2027, 6, 19), 4), (today, 3)]

    # a leader of sub-branch A sees only A's warnings
    leader_a = make_user("leader_a", Role.BRANCH_MANAGER, org.sub_a)
    mine = warning_dashboard(leader_a, today)
    assert (mine.total.open, mine.total.handled, [r.key for r in mine.by_sub_branch]) == (1, 2, ["branch-SA"])
    assert [(row["day"], row["open"]) for row in mine.trend][-2:] == [(dt.date(2027, 6, 19), 2), (today, 1)]


def test_the_dashboards_read_new_figures_as_soon_as_a_day_is_written_again(users, org):
    # given a dashboard read once (its period figures are now cached)
    day = dt.date(2027, 6, 20)
    warning(org.outlet_a, raised_on=day, assignee=users["manager"], subject_id=1)
    aggregates_write(day)
    assert warning_dashboard(users["leader"], day).total.raised == 1

    # when a second warning of the day is written into the figures
    warning(org.outlet_b, raised_on=day, assignee=users["manager_b"], subject_id=2)
    aggregates_write(day)

    # then the next read sees it (and the live open count never waited for the close)
    board = warning_dashboard(users["leader"], day)
    assert (board.total.raised, board.total.open) == (2, 2)


def test_a_warning_closed_by_a_person_shows_on_the_next_read_of_the_dashboard(users, org):
    day = dt.date(2027, 6, 20)
    on(day)
    first = warning(org.outlet_a, raised_on=day, assignee=users["manager"], subject_id=1)
    warning(org.outlet_a, raised_on=day, assignee=users["manager"], subject_id=2)
    aggregates_write(day)
    before = warning_dashboard(users["leader"], day)
    assert (before.total.open, before.handled_today) == (2, 0)

    warning_action_add(warning=first, actor=users["manager"], kind="callback", note="电话回访")
    warning_close(warning=first, actor=users["manager"], resolution="false_alarm", reason="误报")

    board = warning_dashboard(users["leader"], day)
    assert (board.total.open, board.handled_today, board.total.handled) == (1, 1, 1)


def test_without_todays_figures_the_open_warnings_are_counted_live(users, org):
    # the close of the day before has not written today's figures (yesterday's are the latest)
    today = dt.date(2027, 6, 20)
    warning(org.outlet_a, raised_on=dt.date(2027, 6, 18), assignee=users["manager"], subject_id=1)
    aggregates_write(today - dt.timedelta(days=1))
    warning(org.outlet_b, raised_on=today, assignee=users["manager_b"], subject_id=2)

    board = warning_dashboard(users["leader"], today)

    assert (board.latest, board.total.open, board.total.overdue) == (today - dt.timedelta(days=1), 2, 0)
