"""Post-loan data: the provider's monitoring events (三方监测数据) on farmers and enterprises."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.business_date import business_date_set
from core.masking import pii_hash
from risk.models import EventType, MonitoringEvent, ProviderDelivery
from risk.services.deliveries import monitoring_events_import
from risk.services.providers import provider_create
from tests.conftest import api_as
from tests.factories import resident_id_with_check, uscc_with_check

HEADER = "主体证件号,事件类型,事件日期,数值,详情,事件编号\n"
PERSON = resident_id_with_check("51152119700819196")
ENTERPRISE = uscc_with_check("91510100MA6CX0001")


@pytest.fixture(autouse=True)
def business_day(db):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)


def upload(user, content: bytes, name="events.csv"):
    return api_as(user).post(
        "/api/v1/monitoring-events/import/", {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )


def test_the_sample_event_file_is_imported(users, sample_files):
    response = upload(users["approver"], sample_files.read("provider_events.csv"))

    assert response.status_code == 200, response.json()
    assert (response.json()["created"], response.json()["duplicates"], response.json()["errors"]) == (
        sample_files.events,
        0,
        [],
    )
    delivery = ProviderDelivery.objects.get(pk=response.json()["delivery"])
    assert (delivery.kind, delivery.anchor) == ("events", None)
    assert MonitoringEvent.objects.filter(delivery=delivery).count() == sample_files.events
    # the samples hold events on farmers and one on an enterprise
    assert set(MonitoringEvent.objects.values_list("subject_kind", flat=True)) == {"person", "enterprise"}


def test_every_event_type_of_the_contract_is_imported_for_people_and_enterprises(users):
    lines = [
        f"{PERSON if i % 2 else ENTERPRISE},{kind},2027-02-0{i + 1},,,EV{i}\n"
        for i, kind in enumerate(EventType.values)
    ]

    response = upload(users["manager"], (HEADER + "".join(lines)).encode())

    assert response.json()["created"] == 6
    events = {event.event_type: event for event in MonitoringEvent.objects.all()}
    assert set(events) == {
        "litigation",
        "enforcement",
        "dishonest",
        "multi_lender",
        "credit_overdue",
        "business_abnormal",
    }
    assert events["enforcement"].subject_kind == "person"
    assert events["enforcement"].subject_hash == pii_hash(PERSON)
    assert events["litigation"].subject_kind == "enterprise"
    assert events["litigation"].subject_hash == pii_hash(ENTERPRISE)


def test_an_unknown_event_type_is_refused_for_that_row_only(users):
    content = (HEADER + f"{PERSON},Litigation,2027-02-01,,,EV1\n" + f"{PERSON},bankruptcy,2027-02-01,,,EV2\n").encode()

    response = upload(users["manager"], content)

    assert response.json()["created"] == 1
    assert [(e["row"], e["column"], e["code"]) for e in response.json()["errors"]] == [
        (3, "event_type", "unknown_event_type")
    ]
    assert MonitoringEvent.objects.get().event_type == "litigation"


def test_a_subject_that_is_neither_a_resident_id_nor_a_credit_code_is_refused(users):
    content = (HEADER + f"{PERSON[:-1]}Z,dishonest,2027-02-01,,,EV1\n,dishonest,2027-02-01,,,EV2\n").encode()

    response = upload(users["manager"], content)

    assert response.status_code == 400
    assert [(e["row"], e["column"], e["code"]) for e in response.json()["errors"]] == [
        (2, "subject_id", "invalid_subject_id"),
        (3, "subject_id", "required"),
    ]


def test_values_are_optional_and_exact(users):
    content = (
        HEADER
        + f"{PERSON},multi_lender,2027-02-01,3,四家机构,EV1\n"
        + f"{PERSON},credit_overdue,2027-02-01,1234.565,,EV2\n"
        + f"{PERSON},dishonest,2027-02-01,,,EV3\n"
        + f"{PERSON},multi_lender,2027-02-01,-1,,EV4\n"
    ).encode()

    response = upload(users["manager"], content)

    assert [(e["row"], e["code"]) for e in response.json()["errors"]] == [(5, "invalid_value")]
    values = dict(MonitoringEvent.objects.values_list("event_id", "value"))
    assert values == {"EV1": Decimal("3.00"), "EV2": Decimal("1234.57"), "EV3": None}
    assert MonitoringEvent.objects.get(event_id="EV1").detail == "四家机构"


def test_events_delivered_again_are_duplicates_of_the_same_provider(users):
    content = (HEADER + f"{PERSON},litigation,2027-02-01,,,EV1\n{PERSON},litigation,2027-02-02,,,EV1\n").encode()

    first = upload(users["manager"], content)
    second = upload(users["manager"], content)

    assert (first.json()["created"], first.json()["duplicates"]) == (1, 1)
    assert (second.json()["created"], second.json()["duplicates"]) == (0, 2)
    assert MonitoringEvent.objects.get().event_date == dt.date(2027, 2, 1)


def test_the_same_event_number_from_another_provider_is_another_event(users):
    content = (HEADER + f"{PERSON},litigation,2027-02-01,,,EV1\n").encode()
    other = provider_create(name="天眼数据", code="tianyan", actor=users["admin"])

    monitoring_events_import(content=content, filename="a.csv")
    result = monitoring_events_import(content=content, filename="a.csv", provider=other)

    assert result.created == 1
    assert MonitoringEvent.objects.count() == 2


def test_a_detail_with_tabs_backslashes_and_line_breaks_is_kept_as_written(users):
    detail = "案号\t(2027)川01民初1号\\第一审\n第二行"
    content = (HEADER + f'{PERSON},litigation,2027-02-01,,"{detail}",EV1\n').encode()

    response = upload(users["manager"], content)

    assert response.json()["created"] == 1, response.json()
    assert MonitoringEvent.objects.get().detail == detail


def test_a_branch_manager_may_not_import_events(users):
    response = upload(users["leader"], (HEADER + f"{PERSON},litigation,2027-02-01,,,EV1\n").encode())

    assert response.status_code == 403
