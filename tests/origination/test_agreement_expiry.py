"""A cooperation agreement or guarantee contract past its end date blocks new batches and drawdowns on the
programme until a current one is recorded; an anchor with no agreement on file is not held up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.business_date import business_date_set
from core.errors import DomainError
from origination.models import Batch, Loan
from origination.services.drawdown import loan_disburse
from origination.services.intake import Upload
from origination.services.uploads import upload_job_create
from partners.services.agreements import agreements_state
from partners.services.anchors import agreement_add
from partners.services.programs import program_suspend
from tests.conftest import api_as
from tests.factories import make_lending_world, resident_id_with_check

TODAY = dt.date(2027, 6, 15)
FARMER_LIST = (
    "姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分\n"
    f"甲,{resident_id_with_check('51018119680413303')},13812345678,100000,500000,80\n"
).encode()


@pytest.fixture
def lending(users):
    program, _farmer, limit = make_lending_world(users, on=TODAY, amount="100000.00")
    return program, limit


def record(program, users, kind, number, signed_on, expires_on):
    return agreement_add(
        anchor=program.anchor,
        actor=users["manager"],
        kind=kind,
        number=number,
        signed_on=signed_on,
        expires_on=expires_on,
    )


def upload(user, program, content=FARMER_LIST):
    files = {"farmer_list": SimpleUploadedFile("farmers.csv", content)}
    return api_as(user).post(f"/api/v1/programs/{program.pk}/batches/", files, format="multipart")


def draw(user, limit):
    return api_as(user).post(
        "/api/v1/loans/", {"credit_limit": limit.pk, "amount": "1000.00", "term_months": 6}, format="json"
    )


def test_without_any_agreement_on_file_nothing_is_held_up(users, lending):
    program, limit = lending
    assert agreements_state(program.anchor_id, TODAY) == []
    assert upload(users["manager"], program).status_code == 201
    assert draw(users["manager"], limit).status_code == 201


def test_a_lapsed_cooperation_agreement_refuses_batches_and_drawdowns(users, lending):
    program, limit = lending
    record(program, users, "cooperation", "HZ-2026-001", dt.date(2026, 6, 1), dt.date(2027, 6, 14))
    record(program, users, "guarantee", "DB-2026-001", dt.date(2026, 6, 1), dt.date(2028, 5, 31))

    refused = upload(users["manager"], program)
    assert refused.status_code == 400
    assert refused.json()["code"] == "agreement_expired"
    assert "HZ-2026-001" in refused.json()["detail"] and "2027-06-14" in refused.json()["detail"]
    assert not Batch.objects.exists()

    drawn = draw(users["manager"], limit)
    assert drawn.status_code == 400
    assert drawn.json()["code"] == "agreement_expired"
    assert not Loan.objects.exists()

    # the page's upload job is refused before it keeps the file
    with pytest.raises(DomainError) as caught:
        upload_job_create(
            program=program, actor=users["manager"], farmer_list=Upload(content=FARMER_LIST, name="farmers.csv")
        )
    assert caught.value.code == "agreement_expired"


def test_the_end_date_is_the_last_day_in_force(users, lending):
    program, limit = lending
    record(program, users, "guarantee", "DB-2026-002", dt.date(2026, 6, 16), TODAY)
    assert draw(users["manager"], limit).status_code == 201

    business_date_set(new_date=TODAY + dt.timedelta(days=1), backwards_allowed=True)
    assert draw(users["manager"], limit).json()["code"] == "agreement_expired"


def test_a_current_agreement_recorded_lifts_the_block(users, lending):
    program, limit = lending
    record(program, users, "guarantee", "DB-2026-003", dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    assert draw(users["manager"], limit).json()["code"] == "agreement_expired"

    record(program, users, "guarantee", "DB-2027-003", dt.date(2027, 6, 1), dt.date(2030, 5, 31))

    assert draw(users["manager"], limit).status_code == 201
    assert upload(users["manager"], program).status_code == 201


def test_an_agreement_signed_to_start_later_is_not_yet_in_force(users, lending):
    program, limit = lending
    record(program, users, "cooperation", "HZ-2027-009", dt.date(2027, 7, 1), dt.date(2030, 6, 30))
    drawn = draw(users["manager"], limit)
    assert drawn.json()["code"] == "agreement_expired"
    assert "2027-07-01" in drawn.json()["detail"]


def test_a_suspended_programme_is_refused_as_suspended_first(users, lending):
    program, limit = lending
    record(program, users, "cooperation", "HZ-2026-004", dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    program_suspend(program=program, actor=users["approver"], reason="风险排查")
    assert draw(users["manager"], limit).json()["code"] == "program_suspended"
    assert upload(users["manager"], program).json()["code"] == "program_suspended"


def test_the_programme_page_warns_of_a_lapsed_agreement(users, lending):
    program, _limit = lending
    client = Client()
    client.force_login(users["manager"])
    assert 'data-testid="agreement-lapsed"' not in client.get(f"/programs/{program.pk}/").content.decode()

    record(program, users, "cooperation", "HZ-2026-005", dt.date(2026, 1, 1), dt.date(2027, 1, 1))

    page = client.get(f"/programs/{program.pk}/").content.decode()
    assert 'data-testid="agreement-lapsed"' in page
    assert "HZ-2026-005" in page


def test_the_service_refuses_as_the_api_does(users, lending):
    program, limit = lending
    record(program, users, "cooperation", "HZ-2026-006", dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    with pytest.raises(DomainError) as caught:
        loan_disburse(credit_limit=limit, amount=Decimal("1000.00"), term_months=6, actor=users["manager"])
    assert caught.value.code == "agreement_expired"
