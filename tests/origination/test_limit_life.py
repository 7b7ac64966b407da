"""The credit limit's life after its grant: frozen and unfrozen with four eyes, reduced, closed, expired, and
frozen by the close when an adverse record arrives; through the services, the API and the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from core.error_codes import ErrorCode
from core.errors import DomainError
from core.masking import pii_hash
from core.models import AuditEvent
from origination.models import CreditLimit, CreditLimitChange, Notification
from origination.services.drawdown import loan_disburse
from origination.services.limit_life import (
    adverse_event_freezes,
    credit_limit_close,
    credit_limit_freeze,
    credit_limit_reduce,
    credit_limit_unfreeze,
)
from partners.models import Farmer
from risk.models import DataProvider, MonitoringEvent, ProviderDelivery
from servicing.settlement import expire_limits
from tests.conftest import api_as
from tests.factories import make_anchor_operator, make_lending_world

TODAY = dt.date(2027, 3, 5)
A_MONTH_AGO = TODAY - dt.timedelta(days=30)
Status = CreditLimit.Status


@pytest.fixture
def lent(users):
    """A programme and a farmer of outlet A (looked after by ``manager``, who has a phone) with a limit."""
    program, farmer, limit = make_lending_world(users, on=TODAY, amount="100000.00")
    manager = users["manager"]
    manager.phone = "13900000001"
    manager.save()
    Farmer.objects.filter(pk=farmer.pk).update(account_manager=manager)
    return {"program": program, "farmer": farmer, "limit": limit}


def reloaded(limit: CreditLimit) -> CreditLimit:
    return CreditLimit.objects.get(pk=limit.pk)


def delivered_event(farmer: Farmer, event_type: str, *, event_date: dt.date, delivered_on: dt.date) -> MonitoringEvent:
    provider, _ = DataProvider.objects.get_or_create(code="test", defaults={"name": "测试", "secret": "s" * 64})
    delivery = ProviderDelivery.objects.create(
        provider=provider, kind="events", channel="file", sha256="1" * 64, business_date=delivered_on
    )
    return MonitoringEvent.objects.create(
        provider=provider,
        event_id=f"E{MonitoringEvent.objects.count()}",
        subject_hash=pii_hash(farmer.id_number),
        subject_kind="person",
        event_type=event_type,
        event_date=event_date,
        delivery=delivery,
    )


def refused(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


# --- freeze and unfreeze, four eyes -------------------------------------------------------------------------


def test_freeze_then_unfreeze_by_another_approver_through_the_api(users, lent):
    limit = lent["limit"]
    frozen = api_as(users["manager"]).post(
        f"/api/v1/credit-limits/{limit.pk}/freeze/", {"reason": "客户经营异常，暂停用信"}, format="json"
    )
    assert frozen.status_code == 200, frozen.content
    assert frozen.json()["status"] == "frozen"
    assert reloaded(limit).frozen_by == users["manager"]
    lifted = api_as(users["approver"]).post(
        f"/api/v1/credit-limits/{limit.pk}/unfreeze/", {"reason": "核实无误"}, format="json"
    )
    assert lifted.status_code == 200, lifted.content
    assert lifted.json()["status"] == "active"
    history = list(CreditLimitChange.objects.filter(credit_limit=limit).values_list("kind", "actor__username"))
    assert history == [("frozen", "manager"), ("unfrozen", "approver")]
    change = CreditLimitChange.objects.filter(credit_limit=limit).first()
    assert change is not None and change.reason == "客户经营异常，暂停用信" and change.business_date == TODAY
    assert AuditEvent.objects.filter(action__in=["limit_freeze", "limit_unfreeze"]).count() == 2


def test_the_person_who_froze_a_limit_cannot_lift_the_freeze(users, lent):
    limit = lent["limit"]
    credit_limit_freeze(credit_limit=limit, actor=users["approver"], reason="风险排查")
    response = api_as(users["approver"]).post(
        f"/api/v1/credit-limits/{limit.pk}/unfreeze/", {"reason": "自己解冻"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "maker_checker"
    assert reloaded(limit).status == Status.FROZEN


def test_an_account_manager_cannot_lift_a_freeze(users, lent):
    limit = lent["limit"]
    credit_limit_freeze(credit_limit=limit, actor=users["approver"], reason="风险排查")
    response = api_as(users["manager"]).post(
        f"/api/v1/credit-limits/{limit.pk}/unfreeze/", {"reason": "解冻"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_branch_manager_takes_no_credit_action(users, lent):
    error = refused(lambda: credit_limit_freeze(credit_limit=lent["limit"], actor=users["leader"], reason="x"))
    assert (error.code, error.status) == (ErrorCode.PERMISSION_DENIED, 403)


def test_a_reason_is_required(users, lent):
    limit = lent["limit"]
    for body in ({}, {"reason": "   "}):
        response = api_as(users["manager"]).post(f"/api/v1/credit-limits/{limit.pk}/freeze/", body, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "reason_required"
    assert reloaded(limit).status == Status.ACTIVE
    credit_limit_freeze(credit_limit=limit, actor=users["manager"], reason="暂停")
    error = refused(lambda: credit_limit_unfreeze(credit_limit=limit, actor=users["approver"], reason=""))
    assert error.code == ErrorCode.REASON_REQUIRED


def test_freezing_a_frozen_or_expired_limit_is_refused(users, lent):
    limit = lent["limit"]
    credit_limit_freeze(credit_limit=limit, actor=users["manager"], reason="暂停")
    response = api_as(users["approver"]).post(
        f"/api/v1/credit-limits/{limit.pk}/freeze/", {"reason": "再冻结"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_status"
    CreditLimit.objects.filter(pk=limit.pk).update(
        status=Status.ACTIVE, approved_on=A_MONTH_AGO, expires_on=TODAY
    )  # past its expiry
    error = refused(lambda: credit_limit_freeze(credit_limit=limit, actor=users["manager"], reason="暂停"))
    assert error.code == ErrorCode.INVALID_STATUS
    CreditLimit.objects.filter(pk=limit.pk).update(status=Status.EXPIRED)
    error = refused(lambda: credit_limit_freeze(credit_limit=limit, actor=users["manager"], reason="暂停"))
    assert error.code == ErrorCode.INVALID_STATUS
    error = refused(lambda: credit_limit_unfreeze(credit_limit=limit, actor=users["approver"], reason="解冻"))
    assert error.code == ErrorCode.INVALID_STATUS


def test_a_frozen_limit_lends_nothing_and_frozen_comes_before_expired(users, lent):
    limit, manager = lent["limit"], users["manager"]
    credit_limit_freeze(credit_limit=limit, actor=manager, reason="暂停")
    body = {"credit_limit": limit.pk, "amount": "1000.00", "term_months": 6}
    response = api_as(manager).post("/api/v1/loans/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "limit_frozen")
    CreditLimit.objects.filter(pk=limit.pk).update(
        approved_on=A_MONTH_AGO, expires_on=TODAY
    )  # frozen and past its expiry
    response = api_as(manager).post("/api/v1/loans/", body, format="json")
    assert response.json()["code"] == "limit_frozen"


# --- reduce and close ---------------------------------------------------------------------------------------


def test_a_limit_is_reduced_but_never_below_what_is_drawn(users, lent):
    limit = lent["limit"]
    loan_disburse(credit_limit=limit, amount=Decimal("40000.00"), term_months=6, actor=users["manager"])
    error = refused(
        lambda: credit_limit_reduce(
            credit_limit=limit, actor=users["approver"], amount=Decimal("39999.99"), reason="调减"
        )
    )
    assert (error.code, error.extra["drawn"]) == (ErrorCode.BELOW_DRAWN, "40000.00")
    error = refused(
        lambda: credit_limit_reduce(
            credit_limit=limit, actor=users["approver"], amount=Decimal("100000.00"), reason="调减"
        )
    )
    assert error.code == ErrorCode.INVALID_AMOUNT
    error = refused(
        lambda: credit_limit_reduce(credit_limit=limit, actor=users["manager"], amount=Decimal("50000"), reason="x")
    )
    assert error.code == ErrorCode.PERMISSION_DENIED
    response = api_as(users["approver"]).post(
        f"/api/v1/credit-limits/{limit.pk}/reduce/",
        {"amount": "40000.00", "reason": "订单下滑，调减额度"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["amount"], response.json()["available"]) == ("40000.00", "0.00")
    change = CreditLimitChange.objects.get(credit_limit=limit)
    assert (change.kind, change.from_amount, change.to_amount) == ("reduced", Decimal("100000.00"), Decimal("40000.00"))


def test_a_closed_limit_reads_expired_with_its_state_and_lends_nothing(users, lent):
    limit = lent["limit"]
    response = api_as(users["approver"]).post(
        f"/api/v1/credit-limits/{limit.pk}/close/", {"reason": "龙头企业退出合作"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["state"]) == ("expired", "closed")
    assert CreditLimitChange.objects.get(credit_limit=limit).kind == "closed"
    body = {"credit_limit": limit.pk, "amount": "1000.00", "term_months": 6}
    assert api_as(users["manager"]).post("/api/v1/loans/", body, format="json").json()["code"] == "limit_expired"
    error = refused(lambda: credit_limit_close(credit_limit=limit, actor=users["approver"], reason="再关闭"))
    assert error.code == ErrorCode.INVALID_STATUS


def test_the_list_reads_and_filters_the_contracts_three_statuses(users, lent):
    limit = lent["limit"]
    client = api_as(users["manager"])
    program = lent["program"].pk
    assert client.get(f"/api/v1/credit-limits/?program={program}").json()["results"][0]["status"] == "active"
    credit_limit_freeze(credit_limit=limit, actor=users["manager"], reason="暂停")
    assert [item["id"] for item in client.get("/api/v1/credit-limits/?status=frozen").json()["results"]] == [limit.pk]
    assert client.get("/api/v1/credit-limits/?status=active").json()["results"] == []
    credit_limit_close(credit_limit=limit, actor=users["approver"], reason="退出")
    assert [item["id"] for item in client.get("/api/v1/credit-limits/?status=expired").json()["results"]] == [limit.pk]
    assert client.get("/api/v1/credit-limits/?status=closed").status_code == 400


# --- scope --------------------------------------------------------------------------------------------------


def test_a_limit_outside_the_users_reach_is_not_found(users, lent):
    response = api_as(users["manager_b"]).post(
        f"/api/v1/credit-limits/{lent['limit'].pk}/freeze/", {"reason": "暂停"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_an_anchor_operator_sees_his_limits_but_cannot_freeze_them(users, lent):
    operator = make_anchor_operator("anchor_op", lent["program"].anchor)
    client = api_as(operator)
    assert client.get(f"/api/v1/credit-limits/{lent['limit'].pk}/").status_code == 200
    response = client.post(f"/api/v1/credit-limits/{lent['limit'].pk}/freeze/", {"reason": "暂停"}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert reloaded(lent["limit"]).status == Status.ACTIVE


# --- the close: adverse events and expiry -------------------------------------------------------------------


def test_the_close_freezes_on_a_newly_delivered_enforcement_record_and_tells_the_manager(users, lent):
    farmer, limit = lent["farmer"], lent["limit"]
    event = delivered_event(farmer, "enforcement", event_date=TODAY - dt.timedelta(days=20), delivered_on=TODAY)
    assert adverse_event_freezes(TODAY) == 1
    limit = reloaded(limit)
    assert (limit.status, limit.frozen_by) == (Status.FROZEN, None)
    change = CreditLimitChange.objects.get(credit_limit=limit)
    assert (change.kind, change.actor, change.event, change.business_date) == ("frozen", None, event, TODAY)
    message = Notification.objects.get(template="limit_frozen_manager")
    assert (message.recipient, message.farmer_id) == ("13900000001", farmer.pk)
    assert farmer.id_masked in message.text
    # run again (a resumed close): nothing more
    assert adverse_event_freezes(TODAY) == 0
    assert Notification.objects.filter(template="limit_frozen_manager").count() == 1
    # and any risk approver lifts it
    credit_limit_unfreeze(credit_limit=limit, actor=users["approver"], reason="已核实，执行已结案")
    assert reloaded(limit).status == Status.ACTIVE


@pytest.mark.parametrize(
    ("event_type", "event_days_ago", "delivered_days_ago"),
    [
        ("enforcement", 400, 0),  # an old record, outside the programme's screening look-back
        ("enforcement", 20, 1),  # delivered the day before: that day's close looked at it
        ("litigation", 5, 0),  # not an adverse record that freezes
        ("multi_lender", 5, 0),
    ],
)
def test_the_close_leaves_a_limit_alone_when_the_record_is_not_new_or_not_adverse(
    users, lent, event_type, event_days_ago, delivered_days_ago
):
    delivered_event(
        lent["farmer"],
        event_type,
        event_date=TODAY - dt.timedelta(days=event_days_ago),
        delivered_on=TODAY - dt.timedelta(days=delivered_days_ago),
    )
    assert adverse_event_freezes(TODAY) == 0
    assert reloaded(lent["limit"]).status == Status.ACTIVE
    assert not Notification.objects.filter(template="limit_frozen_manager").exists()


def test_the_close_keeps_a_frozen_limit_as_it_is_and_skips_one_at_its_end(users, lent):
    limit = lent["limit"]
    credit_limit_freeze(credit_limit=limit, actor=users["manager"], reason="暂停")
    delivered_event(lent["farmer"], "dishonest", event_date=TODAY, delivered_on=TODAY)
    assert adverse_event_freezes(TODAY) == 0
    assert reloaded(limit).frozen_by == users["manager"]  # still the manager's freeze: four eyes hold
    credit_limit_unfreeze(credit_limit=limit, actor=users["approver"], reason="解冻")
    CreditLimit.objects.filter(pk=limit.pk).update(expires_on=TODAY + dt.timedelta(days=1))  # ends tonight
    assert adverse_event_freezes(TODAY) == 0


def test_expiry_is_recorded_for_active_and_frozen_limits_in_one_statement(users, lent):
    limit = lent["limit"]
    frozen = CreditLimit.objects.create(
        farmer=lent["farmer"],
        program=lent["program"],
        amount=Decimal("5000.00"),
        approved_on=TODAY,
        expires_on=TODAY + dt.timedelta(days=30),
        approved_by=users["approver"],
    )
    credit_limit_freeze(credit_limit=frozen, actor=users["manager"], reason="暂停")
    CreditLimit.objects.filter(pk__in=[limit.pk, frozen.pk]).update(expires_on=TODAY + dt.timedelta(days=1))
    assert expire_limits(TODAY) == 2
    assert set(CreditLimit.objects.values_list("status", flat=True)) == {Status.EXPIRED}
    expiries = CreditLimitChange.objects.filter(kind="expired")
    assert set(expiries.values_list("credit_limit_id", "from_status", "to_status", "actor", "business_date")) == {
        (limit.pk, "active", "expired", None, TODAY),
        (frozen.pk, "frozen", "expired", None, TODAY),
    }
    assert expire_limits(TODAY) == 0


# --- the pages ----------------------------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_pages_list_a_limit_and_show_its_history_and_forms(users, lent):
    limit = lent["limit"]
    manager = client_for(users["manager"])
    listing = manager.get("/limits/?status=active").content.decode()
    assert f'href="/limits/{limit.pk}/"' in listing
    assert f'href="/limits/{limit.pk}/"' not in manager.get("/limits/?status=frozen").content.decode()
    page = manager.get(f"/limits/{limit.pk}/").content.decode()
    assert 'data-testid="freeze-form"' in page and 'data-testid="reduce-form"' not in page
    response = manager.post(f"/limits/{limit.pk}/freeze/", {"reason": "走访发现停养"})
    assert response.status_code == 302
    assert reloaded(limit).status == Status.FROZEN
    page = manager.get(f"/limits/{limit.pk}/").content.decode()
    assert 'data-state="frozen"' in page and 'data-kind="frozen"' in page and "走访发现停养" in page
    assert 'data-testid="unfreeze-form"' not in page  # an account manager does not lift it
    approver = client_for(users["approver"])
    assert 'data-testid="unfreeze-form"' in approver.get(f"/limits/{limit.pk}/").content.decode()
    approver.post(f"/limits/{limit.pk}/unfreeze/", {"reason": "复核通过"})
    assert reloaded(limit).status == Status.ACTIVE
    approver.post(f"/limits/{limit.pk}/reduce/", {"amount": "60000", "reason": "调减"})
    assert reloaded(limit).amount == Decimal("60000.00")


def test_the_pages_refuse_without_a_reason_and_keep_the_four_eyes(users, lent):
    limit = lent["limit"]
    approver = client_for(users["approver"])
    approver.post(f"/limits/{limit.pk}/freeze/", {"reason": ""})
    assert reloaded(limit).status == Status.ACTIVE
    approver.post(f"/limits/{limit.pk}/freeze/", {"reason": "排查"})
    page = approver.get(f"/limits/{limit.pk}/").content.decode()
    assert 'data-testid="unfreeze-form"' not in page  # he froze it himself
    response = approver.post(f"/limits/{limit.pk}/unfreeze/", {"reason": "自己解冻"}, follow=True)
    assert response.status_code == 200
    assert reloaded(limit).status == Status.FROZEN


def test_the_pages_keep_their_scope_and_roles(users, lent):
    limit = lent["limit"]
    assert client_for(users["manager_b"]).get(f"/limits/{limit.pk}/").status_code == 404
    assert client_for(users["manager_b"]).post(f"/limits/{limit.pk}/freeze/", {"reason": "x"}).status_code == 404
    operator = client_for(make_anchor_operator("anchor_op", lent["program"].anchor))
    page = operator.get(f"/limits/{limit.pk}/").content.decode()
    assert 'data-testid="freeze-form"' not in page
    assert operator.post(f"/limits/{limit.pk}/freeze/", {"reason": "x"}).status_code == 403
    assert client_for(users["approver"]).post(f"/limits/{limit.pk}/unknown/", {"reason": "x"}).status_code == 404
    assert reloaded(limit).status == Status.ACTIVE


def test_the_farmer_and_programme_pages_link_to_the_limits(users, lent):
    limit, program = lent["limit"], lent["program"]
    manager = client_for(users["manager"])
    assert f'href="/limits/{limit.pk}/"' in manager.get(f"/farmers/{lent['farmer'].pk}/").content.decode()
    assert f"/limits/?program={program.pk}" in manager.get(f"/programs/{program.pk}/").content.decode()


def test_the_page_refuses_a_reduction_below_what_is_drawn_and_says_why(users, lent):
    limit = lent["limit"]
    loan_disburse(credit_limit=limit, amount=Decimal("40000.00"), term_months=6, actor=users["manager"])
    page = client_for(users["approver"]).post(
        f"/limits/{limit.pk}/reduce/", {"amount": "30000", "reason": "调减"}, follow=True
    )
    assert page.status_code == 200
    assert reloaded(limit).amount == Decimal("100000.00")
    assert "40,000.00" in page.content.decode()  # the message names what is drawn
