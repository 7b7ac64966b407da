"""Regional outbreaks (区域疫情) recorded by staff: the third-party fact the REGION_OUTBREAK rule reads."""

import datetime as dt

import pytest

from core.business_date import business_date_set
from core.models import AuditEvent
from core.roles import Role
from risk.models import Outbreak
from tests.conftest import api_as
from tests.factories import make_user

OUTBREAKS = "/api/v1/outbreaks/"


@pytest.fixture(autouse=True)
def business_day(db):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)


def declare(user, **fields):
    body = {"region_code": "511521", "disease": "非洲猪瘟", "declared_on": "2027-02-27", **fields}
    return api_as(user).post(OUTBREAKS, body, format="json")


def test_a_risk_approver_records_an_outbreak(users):
    response = declare(users["approver"], note="宜宾市叙州区")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["region_code"], body["disease"], body["declared_on"]) == ("511521", "非洲猪瘟", "2027-02-27")
    outbreak = Outbreak.objects.get(pk=body["id"])
    assert (outbreak.created_by, outbreak.note) == (users["approver"], "宜宾市叙州区")
    assert AuditEvent.objects.filter(action="outbreak_create", object_id=str(outbreak.pk)).exists()


@pytest.mark.parametrize("code", ["51152", "5115211", "51152A", ""])
def test_a_region_code_has_six_digits(users, code):
    response = declare(users["manager"], region_code=code)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_region_code"
    assert not Outbreak.objects.exists()


def test_full_width_digits_in_a_region_code_are_read(users):
    response = declare(users["manager"], region_code="５１１５２１")

    assert response.json()["region_code"] == "511521"


def test_an_outbreak_cannot_be_declared_after_the_business_date(users):
    today = declare(users["manager"], declared_on="2027-03-01")
    tomorrow = declare(users["manager"], declared_on="2027-03-02")

    assert today.status_code == 201
    assert (tomorrow.status_code, tomorrow.json()["code"]) == (400, "date_in_future")


def test_a_disease_must_be_named(users):
    response = declare(users["manager"], disease="  ")

    assert (response.status_code, response.json()["code"]) == (400, "disease_required")


def test_an_anchor_operator_may_not_record_an_outbreak(users):
    operator = make_user("operator", Role.ANCHOR_OPERATOR, None)

    response = declare(operator)

    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


def test_outbreaks_are_listed_newest_first_a_page_at_a_time(users):
    for day in (1, 3, 2):
        declare(users["approver"], declared_on=f"2027-02-0{day}")

    response = api_as(users["manager_b"]).get(OUTBREAKS, {"page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [item["declared_on"] for item in body["results"]] == ["2027-02-03", "2027-02-02"]
    assert body["next"].startswith("http")


def test_outbreaks_are_filtered_by_region(users):
    declare(users["approver"])
    declare(users["approver"], region_code="510122")

    response = api_as(users["manager"]).get(OUTBREAKS, {"region_code": "510122"})

    assert [item["region_code"] for item in response.json()["results"]] == ["510122"]
