"""The farmer warning rules watch every farmer with a loan outstanding or a live (active or frozen) limit; the
rules that speak of money out (orders stopped, limit usage) keep to borrowers; and the close freezes, warns
and tells the account manager when an adverse record arrives on a farmer who only holds a limit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.business_date import business_date_set
from core.masking import pii_hash
from origination.models import CreditLimit, Notification
from origination.services.limit_life import credit_limit_close, credit_limit_freeze, credit_limit_reduce
from partners.models import Farmer
from postloan import cob
from postloan.models import RiskWarning
from postloan.warning_run import warnings_run
from risk.models import DataProvider, MonitoringEvent, Outbreak, ProviderDelivery
from tests.factories import SOUND_BOOK_DAY as TODAY
from tests.factories import make_farmer
from tests.postloan.test_warning_incremental import run_and_compare

FARMER_RULES = ("LITIGATION", "ENFORCEMENT", "MULTI_LENDER", "CREDIT_OVERDUE_ELSEWHERE")


def event(farmer: Farmer, event_type: str, on: dt.date, *, value: str | None = None, delivered_on=None) -> None:
    provider, _ = DataProvider.objects.get_or_create(code="test", defaults={"name": "测试", "secret": "s" * 64})
    delivery = ProviderDelivery.objects.create(
        provider=provider, kind="events", channel="file", sha256="1" * 64, business_date=delivered_on or on
    )
    MonitoringEvent.objects.create(
        provider=provider,
        event_id=f"E{MonitoringEvent.objects.count()}",
        subject_hash=pii_hash(farmer.id_number),
        subject_kind="person",
        event_type=event_type,
        event_date=on,
        value=Decimal(value) if value else None,
        delivery=delivery,
    )


def active(code: str) -> dict[int, RiskWarning]:
    return {w.subject_id: w for w in RiskWarning.objects.filter(rule__code=code, active=True)}


@pytest.fixture
def holder(world, users):
    """Beside the world's borrower: a farmer of outlet A with a live limit and no loan, looked after by manager."""
    farmer = make_farmer(users["manager"].org_node, body17="51152119800101123", name="只有额度", anchor=None)
    Farmer.objects.filter(pk=farmer.pk).update(account_manager=users["manager"], region_code="511521")
    farmer.refresh_from_db()
    limit = CreditLimit.objects.create(
        farmer=farmer,
        program=world["program"],
        amount=Decimal("80000.00"),
        approved_on=TODAY,
        expires_on=TODAY + dt.timedelta(days=300),
        approved_by=users["approver"],
    )
    return {**world, "holder": farmer, "holder_limit": limit}


def test_a_farmer_with_only_a_live_limit_gets_the_enforcement_warning(holder, users):
    farmer = holder["holder"]
    event(farmer, "enforcement", TODAY - dt.timedelta(days=10))
    warnings_run(TODAY)
    warning = active("ENFORCEMENT")[farmer.pk]
    assert (warning.assignee_id, warning.org_node_id, warning.program_id) == (
        users["manager"].pk,
        farmer.org_node_id,
        holder["program"].pk,
    )
    assert warning.fact.startswith("enforcement")


@pytest.mark.parametrize(
    ("code", "event_type", "value"),
    [
        ("LITIGATION", "litigation", None),
        ("MULTI_LENDER", "multi_lender", "3"),
        ("CREDIT_OVERDUE_ELSEWHERE", "credit_overdue", None),
        ("ENFORCEMENT", "dishonest", None),
    ],
)
def test_each_farmer_event_rule_watches_the_limit_holder_while_his_limit_lives(holder, users, code, event_type, value):
    farmer, limit = holder["holder"], holder["holder_limit"]
    event(farmer, event_type, TODAY - dt.timedelta(days=3), value=value)
    warnings_run(TODAY)
    assert farmer.pk in active(code)
    credit_limit_freeze(credit_limit=limit, actor=users["manager"], reason="暂停")
    warnings_run(TODAY + dt.timedelta(days=1))
    assert farmer.pk in active(code)  # a frozen limit is live: still watched
    credit_limit_close(credit_limit=limit, actor=users["approver"], reason="退出合作")
    warnings_run(TODAY + dt.timedelta(days=2))
    assert farmer.pk not in active(code)  # nothing live, nothing out: no longer watched


def test_an_expired_limit_is_not_watched(holder):
    farmer = holder["holder"]
    ended = {"approved_on": TODAY - dt.timedelta(days=300), "expires_on": TODAY}
    CreditLimit.objects.filter(pk=holder["holder_limit"].pk).update(**ended)
    event(farmer, "enforcement", TODAY - dt.timedelta(days=3))
    warnings_run(TODAY)
    assert farmer.pk not in active("ENFORCEMENT")


def test_a_limit_just_granted_brings_the_farmers_older_record_to_the_next_run(world, users):
    farmer = make_farmer(users["manager"].org_node, body17="51152119800101123", name="新授信")
    event(farmer, "credit_overdue", TODAY - dt.timedelta(days=100))
    warnings_run(TODAY)
    assert farmer.pk not in active("CREDIT_OVERDUE_ELSEWHERE")  # neither a borrower nor a limit holder
    CreditLimit.objects.create(
        farmer=farmer,
        program=world["program"],
        amount=Decimal("10000.00"),
        approved_on=TODAY,
        expires_on=TODAY + dt.timedelta(days=300),
        approved_by=users["approver"],
    )
    warnings_run(TODAY + dt.timedelta(days=1))
    warning = active("CREDIT_OVERDUE_ELSEWHERE")[farmer.pk]
    assert warning.assignee_id == world["program"].manager_id  # no account manager of his: the programme's


def test_a_region_outbreak_reaches_the_limit_holder(holder, users):
    Outbreak.objects.create(
        region_code="511521", disease="非洲猪瘟", declared_on=TODAY - dt.timedelta(days=5), created_by=users["manager"]
    )
    warnings_run(TODAY)
    assert holder["holder"].pk in active("REGION_OUTBREAK")


def test_the_borrower_rules_of_money_out_leave_the_limit_holder_alone(holder):
    # he has no orders at all and a limit: ORDERS_STOPPED and LIMIT_HIGH_USAGE speak of a loan outstanding
    warnings_run(TODAY)
    assert holder["holder"].pk not in active("ORDERS_STOPPED")
    assert holder["holder"].pk not in active("LIMIT_HIGH_USAGE")


def test_a_borrowers_warning_goes_where_it_went(world, users):
    """A farmer with a loan and a limit: the warning keeps the loan's node, programme and manager."""
    event(world["farmer"], "enforcement", TODAY - dt.timedelta(days=2))
    warnings_run(TODAY)
    loan = world["loan"]
    warning = active("ENFORCEMENT")[world["farmer"].pk]
    assert (warning.org_node_id, warning.program_id, warning.assignee_id) == (
        loan.org_node_id,
        loan.program_id,
        loan.account_manager_id,
    )


def test_a_reduced_or_closed_limit_is_seen_by_the_daily_run_of_limit_usage(world, users):
    """LIMIT_HIGH_USAGE looks only at what changed: a limit reduced or closed is such a change."""
    day = lambda n: TODAY + dt.timedelta(days=n)  # noqa: E731
    second = CreditLimit.objects.create(
        farmer=world["farmer"],
        program=world["program"],
        amount=Decimal("100000.00"),
        approved_on=TODAY,
        expires_on=day(300),
        approved_by=users["approver"],
    )
    warnings_run(day(0))  # 50,000 drawn on 200,000 of limits
    business_date_set(new_date=day(0), backwards_allowed=True)
    credit_limit_close(credit_limit=second, actor=users["approver"], reason="退出")
    run_and_compare(day(1))  # 50,000 on 100,000: below 95 %
    assert world["farmer"].pk not in active("LIMIT_HIGH_USAGE")
    business_date_set(new_date=day(1), backwards_allowed=True)
    credit_limit_reduce(credit_limit=world["limit"], actor=users["approver"], amount=Decimal("52000"), reason="调减")
    run_and_compare(day(2))
    assert world["farmer"].pk in active("LIMIT_HIGH_USAGE")


def test_the_close_freezes_warns_and_tells_the_manager(holder, users):
    manager = users["manager"]
    manager.phone = "13900000001"
    manager.save()
    farmer, limit = holder["holder"], holder["holder_limit"]
    event(farmer, "enforcement", TODAY - dt.timedelta(days=30), delivered_on=TODAY)
    cob.close_day(TODAY)
    limit.refresh_from_db()
    assert (limit.status, limit.frozen_by_id) == (CreditLimit.Status.FROZEN, None)
    assert limit.changes.get().event is not None
    warning = active("ENFORCEMENT")[farmer.pk]
    assert (warning.raised_on, warning.assignee_id) == (TODAY + dt.timedelta(days=1), manager.pk)
    assert Notification.objects.get(template="limit_frozen_manager").recipient == "13900000001"
