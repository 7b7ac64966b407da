"""Screening (准入筛查) in processing: each rule, its evidence, the results API and re-processing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.audit import AuditAction
from core.business_date import business_date_set
from core.masking import pii_hash
from core.models import AuditEvent
from origination.models import Batch, BatchRow
from origination.screening import EventHit, row_screen, screening_window
from risk.models import DataProvider, MonitoringEvent, ProviderDelivery
from tests.conftest import api_as
from tests.factories import make_anchor, make_anchor_operator, make_program, make_trades, resident_id_with_check

TODAY = dt.date(2027, 3, 1)  # the business date of processing: the window is 2026-03-02 … 2027-03-01
HEADER = "姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分\n"

# name → (score, [(event_type, event_date, value, subject_kind)])
FARMERS: dict[str, tuple[str, list[tuple[str, dt.date, str | None, str]]]] = {
    "失信": ("85", [("dishonest", dt.date(2026, 12, 1), None, "person")]),
    "执行": ("85", [("enforcement", dt.date(2027, 2, 1), "120000.00", "person")]),
    "逾期": ("85", [("credit_overdue", dt.date(2026, 6, 1), "5000.00", "person")]),
    "过期": ("85", [("enforcement", dt.date(2026, 3, 1), None, "person")]),  # one day before the window
    "边界": ("85", [("dishonest", dt.date(2026, 3, 2), None, "person")]),  # the window's first day
    "企业": ("85", [("dishonest", dt.date(2026, 12, 1), None, "enterprise")]),  # same hash, not a person
    "将来": ("85", [("dishonest", dt.date(2027, 3, 2), None, "person")]),  # after the business date
    "诉讼": ("85", [("litigation", dt.date(2026, 12, 1), None, "person")]),  # not a screening event
    "低分": ("75.5", []),
    "等分": ("80", []),
    "两家": ("85", [("multi_lender", dt.date(2026, 12, 1), "2", "person")]),
    "三家": ("85", [("multi_lender", dt.date(2026, 12, 1), "3", "person")]),
    "双因": ("70", [("multi_lender", dt.date(2026, 11, 1), "3", "person")]),
}


def id_number(index: int) -> str:
    return resident_id_with_check(f"51012419700101{index:03d}")


def add_event(id_no: str, event_type: str, on: dt.date, value: str | None = None, kind: str = "person"):
    provider, _ = DataProvider.objects.get_or_create(code="test", defaults={"name": "测试数据商", "secret": "s" * 64})
    delivery = ProviderDelivery.objects.create(
        provider=provider, kind="events", channel="file", sha256="1" * 64, business_date=TODAY
    )
    return MonitoringEvent.objects.create(
        provider=provider,
        event_id=f"EV{MonitoringEvent.objects.count() + 1:04d}",
        subject_hash=pii_hash(id_no),
        subject_kind=kind,
        event_type=event_type,
        event_date=on,
        value=None if value is None else Decimal(value),
        delivery=delivery,
    )


@pytest.fixture
def screened(users):
    """A batch of one farmer per rule (every one matched on trade data), with min_score 80, processed."""
    business_date_set(new_date=TODAY, backwards_allowed=True)
    anchor = make_anchor(users["manager"], approver=users["approver"])
    program = make_program(anchor, users["approver"], min_score=Decimal("80"))
    lines = [HEADER]
    for index, (name, (score, events)) in enumerate(FARMERS.items()):
        number = id_number(index)
        make_trades(anchor, number, [(dt.date(2026, 9, 1), "1000000.00")], prefix=f"P{index}-")
        for event_type, on, value, kind in events:
            add_event(number, event_type, on, value, kind)
        lines.append(f"{name},{number},138123456{index:02d},500000,1000000,{score}\n")
    response = api_as(users["manager"]).post(
        f"/api/v1/programs/{program.pk}/batches/",
        {"farmer_list": SimpleUploadedFile("l.csv", "".join(lines).encode())},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    batch = Batch.objects.get(pk=response.json()["id"])
    assert api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/process/").status_code == 200
    return batch


def results(user, batch, query=""):
    response = api_as(user).get(f"/api/v1/batches/{batch.pk}/results/?page_size=100{query}")
    assert response.status_code == 200, response.json()
    return {row["name"]: row for row in response.json()["results"]}


@pytest.mark.parametrize("name,reason", [("失信", "dishonest"), ("执行", "enforcement"), ("逾期", "credit_overdue")])
def test_each_adverse_event_refuses_with_its_evidence(users, screened, name, reason):
    row = results(users["manager"], screened)[name]
    assert row["screening"] == "refused" and row["screening_reasons"] == [reason]
    assert row["limit"] == "0.00" and row["bound_by"] == "screening"
    assert row["validation"] == "matched"  # the cross-validation is kept beside the refusal
    (evidence,) = row["screening_evidence"]
    event = MonitoringEvent.objects.get(event_type=reason, subject_hash=pii_hash(id_number(list(FARMERS).index(name))))
    assert evidence == {
        "reason": reason,
        "event_id": event.event_id,
        "event_type": reason,
        "event_date": event.event_date.isoformat(),
        "value": None if event.value is None else str(event.value),
    }


def test_the_window_ends_on_the_business_date_and_spans_the_look_back(users, screened):
    rows = results(users["manager"], screened)
    assert rows["过期"]["screening"] == "passed"  # 365 days before: outside
    assert rows["边界"]["screening"] == "refused"  # 364 days before: inside
    assert rows["将来"]["screening"] == "passed"
    assert screening_window(TODAY, 365) == (dt.date(2026, 3, 2), TODAY)


def test_an_event_on_an_enterprise_with_the_same_hash_or_of_another_type_does_not_count(users, screened):
    rows = results(users["manager"], screened)
    for name in ("企业", "诉讼"):
        assert rows[name]["screening"] == "passed" and rows[name]["screening_reasons"] == []
        assert rows[name]["screening_evidence"] == [] and rows[name]["limit"] == "300000.00"


def test_a_score_below_the_minimum_refuses_and_the_minimum_itself_passes(users, screened):
    rows = results(users["manager"], screened)
    assert rows["低分"]["screening"] == "refused" and rows["低分"]["screening_reasons"] == ["low_score"]
    assert rows["低分"]["screening_evidence"] == [{"reason": "low_score", "score": "75.50", "min_score": "80.00"}]
    assert rows["低分"]["limit"] == "0.00" and rows["低分"]["bound_by"] == "screening"
    assert rows["等分"]["screening"] == "passed" and rows["等分"]["limit"] == "300000.00"


def test_multi_lender_below_the_count_passes_at_the_count_goes_to_review_with_its_limit(users, screened):
    rows = results(users["manager"], screened)
    assert rows["两家"]["screening"] == "passed"
    review = rows["三家"]
    assert review["screening"] == "review" and review["screening_reasons"] == ["multi_lender"]
    assert review["screening_evidence"][0]["value"] == "3.00"
    assert review["limit"] == "300000.00" and review["bound_by"] == "orders"


def test_refusal_wins_over_review_and_both_reasons_are_kept(users, screened):
    row = results(users["manager"], screened)["双因"]
    assert row["screening"] == "refused"
    assert row["screening_reasons"] == ["low_score", "multi_lender"]
    assert [e["reason"] for e in row["screening_evidence"]] == ["low_score", "multi_lender"]
    assert row["limit"] == "0.00" and row["bound_by"] == "screening"


def test_the_results_filter_by_screening(users, screened):
    refused = results(users["manager"], screened, "&screening=refused")
    assert set(refused) == {"失信", "执行", "逾期", "边界", "低分", "双因"}
    assert set(results(users["manager"], screened, "&screening=review")) == {"三家"}
    response = api_as(users["manager"]).get(f"/api/v1/batches/{screened.pk}/results/?screening=maybe")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_processing_again_after_a_new_event_changes_the_outcome(users, screened):
    assert results(users["manager"], screened)["等分"]["screening"] == "passed"
    add_event(id_number(list(FARMERS).index("等分")), "enforcement", dt.date(2027, 2, 20))
    add_event(id_number(list(FARMERS).index("三家")), "multi_lender", dt.date(2027, 1, 5), "1")
    api_as(users["manager"]).post(f"/api/v1/batches/{screened.pk}/process/")
    rows = results(users["manager"], screened)
    assert rows["等分"]["screening"] == "refused" and rows["等分"]["screening_reasons"] == ["enforcement"]
    assert rows["等分"]["limit"] == "0.00"
    # the latest multi-lender event counted is still the one at the count: a later, smaller one does not clear it
    assert rows["三家"]["screening"] == "review"


def test_processing_again_is_the_same_and_the_audit_row_counts_the_outcomes(users, screened):
    first = results(users["manager"], screened)
    api_as(users["manager"]).post(f"/api/v1/batches/{screened.pk}/process/")
    assert results(users["manager"], screened) == first
    audit = AuditEvent.objects.filter(action=AuditAction.BATCH_PROCESS).latest("id")
    assert audit.data["screening"] == {"passed": 6, "review": 1, "refused": 6}


def test_the_anchor_operator_sees_no_screening(users, screened):
    operator = make_anchor_operator("tq_clerk", screened.program.anchor)
    rows = results(operator, screened, "&screening=refused")
    assert len(rows) == len(FARMERS)  # the filter would tell the outcome: not applied for him
    for item in rows.values():
        assert set(item) == {
            "row",
            "name",
            "id_number",
            "recommended_amount",
            "declared_orders_12m",
            "limit",
            "status",
        }


def test_row_screen_orders_reasons_and_keeps_one_evidence_per_reason():
    hits = [
        EventHit("multi_lender", "M1", dt.date(2027, 1, 1), Decimal("5.00")),
        EventHit("credit_overdue", "C1", dt.date(2026, 5, 1), None),
        EventHit("dishonest", "D1", dt.date(2026, 4, 1), None),
    ]
    outcome = row_screen(score=Decimal("59.99"), min_score=Decimal("60"), hits=hits)
    assert outcome.outcome == "refused"
    assert outcome.reasons == ("dishonest", "credit_overdue", "low_score", "multi_lender")
    assert row_screen(score=Decimal("60"), min_score=Decimal("60"), hits=[]).outcome == "passed"
    assert row_screen(score=Decimal("60"), min_score=Decimal("60"), hits=hits[:1]).outcome == "review"


def test_the_default_programme_screens_with_the_seed_thresholds(users):
    business_date_set(new_date=TODAY, backwards_allowed=True)
    program = make_program(make_anchor(users["manager"], approver=users["approver"]), users["approver"])
    assert (program.min_score, program.screening_lookback_days, program.multi_lender_review_count) == (
        Decimal("60"),
        365,
        3,
    )
    assert BatchRow.BoundBy.SCREENING == "screening"
