"""A masked identity number cannot be rebuilt from what lists, pages and downloads carry beside it.

A resident ID is region (6) + birth date (8) + sequence (3) + check digit; the mask keeps the first four
and the last four, so the region code and the birth date are exactly the hidden digits.
"""

import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.business_date import business_date_set
from core.models import AuditEvent
from postloan.models import RiskWarning
from postloan.warning_run import rules_ensure
from tests.conftest import api_as
from tests.factories import make_anchor, make_farmer, make_program, resident_id_with_check

REGION, BORN = "511521", "19700819"  # of the factory's farmer, 51152119700819196X


def hidden_parts(text: str) -> list[str]:
    """The hidden digits in any of the shapes a page or an answer could carry them."""
    shapes = [REGION, BORN, "1970-08-19", "1970-08", "1970年8月", "1970/08", "197008"]
    return [shape for shape in shapes if shape in text]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def farmer(org, users):
    anchor = make_anchor(users["manager"], org.sub_a, approver=users["approver"])
    return make_farmer(org.outlet_a, anchor=anchor)


def test_the_farmer_list_carries_nothing_that_rebuilds_a_masked_id(users, farmer):
    body = api_as(users["leader"]).get("/api/v1/farmers/").json()
    row = body["results"][0]
    assert row["id_number"] == farmer.id_masked
    assert hidden_parts(json.dumps(body, ensure_ascii=False)) == []


def test_a_farmer_record_without_a_reveal_carries_nothing_that_rebuilds_the_masked_id(users, farmer):
    for user in (users["leader"], users["manager"]):
        record = api_as(user).get(f"/api/v1/farmers/{farmer.pk}/").json()
        assert hidden_parts(json.dumps(record, ensure_ascii=False)) == []
    assert not AuditEvent.objects.filter(action="farmer_identity_view").exists()


def test_a_logged_reveal_gives_the_whole_record(users, farmer):
    record = api_as(users["manager"]).get(f"/api/v1/farmers/{farmer.pk}/?reveal=1").json()
    assert (record["id_number"], record["region_code"], record["birth_date"]) == (
        farmer.id_number,
        REGION,
        "1970-08-19",
    )
    assert AuditEvent.objects.filter(action="farmer_identity_view").count() == 1


def test_the_farmer_list_cannot_be_filtered_by_region_code(users, farmer):
    client = api_as(users["leader"])
    same = client.get("/api/v1/farmers/", {"region_code": REGION}).json()["count"]
    other = client.get("/api/v1/farmers/", {"region_code": "110101"}).json()["count"]
    assert same == other == 1


def test_the_farmer_list_page_carries_nothing_that_rebuilds_a_masked_id(users, farmer):
    page = _client(users["leader"]).get("/farmers/").content.decode()
    assert farmer.id_masked in page
    assert hidden_parts(page) == []


def test_the_farmer_page_of_a_user_who_may_not_reveal_carries_no_hidden_digit(users, farmer):
    page = _client(users["leader"]).get(f"/farmers/{farmer.pk}/").content.decode()
    assert farmer.id_masked in page
    assert hidden_parts(page) == []


def test_the_farmer_page_of_a_user_who_may_reveal_stays_as_it_was(users, farmer):
    page = _client(users["manager"]).get(f"/farmers/{farmer.pk}/").content.decode()
    assert "1970-08" in page and REGION in page


def test_a_warning_page_names_the_farmers_region_only_to_a_user_who_may_reveal(users, org, farmer):
    rules_ensure()
    warning = RiskWarning.objects.create(
        rule_id=_rule_id("REGION_OUTBREAK"),
        subject_type="farmer",
        subject_id=farmer.pk,
        severity="high",
        org_node=org.outlet_a,
        raised_on=dt.date(2027, 3, 1),
        deadline=dt.date(2027, 3, 4),
        fact="非洲猪瘟 2027-02-20",
    )
    assert hidden_parts(_client(users["leader"]).get(f"/warnings/{warning.pk}/").content.decode()) == []
    assert REGION in _client(users["manager"]).get(f"/warnings/{warning.pk}/").content.decode()


def _rule_id(code: str) -> int:
    from postloan.models import WarningRule

    return WarningRule.objects.get(code=code).pk


def test_the_masked_copy_of_the_row_errors_hides_the_region_code_too(users):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    program = make_program(make_anchor(users["manager"], approver=users["approver"]), users["approver"])
    good = resident_id_with_check("51018119680413303")
    content = (
        "姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分,地区代码\n"
        f"甲,{good},13812345678,100000,300000,80,510181\n"
        f"乙,{resident_id_with_check('51152119700819196')},12345,1,1,1,{REGION}\n"
    )
    upload = api_as(users["manager"]).post(
        f"/api/v1/programs/{program.pk}/batches/",
        {"farmer_list": SimpleUploadedFile("l.csv", content.encode())},
        format="multipart",
    )
    assert upload.status_code == 201, upload.json()
    download = _client(users["leader"]).get(f"/batches/{upload.json()['id']}/errors.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(download.content)).active
    cells = " ".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell)
    assert "5115**" in cells
    assert hidden_parts(cells) == []
