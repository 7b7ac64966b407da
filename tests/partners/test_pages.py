"""The partners pages render in Chinese, act through the services and refuse what is out of reach."""

from decimal import Decimal

import pytest
from django.test import Client

from partners.models import Agreement, Anchor, Program
from tests.factories import make_anchor, make_anchor_operator, make_farmer, make_program, uscc_with_check


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_account_manager_registers_an_anchor_through_the_form(users):
    response = client_for(users["manager"]).post(
        "/anchors/new/",
        {"name": "特驱集团", "uscc": uscc_with_check("91510100MA6CX0001"), "guarantee_capacity": "500000000"},
        follow=True,
    )
    assert response.status_code == 200
    anchor = Anchor.objects.get()
    assert anchor.status == "pending"
    assert "待审批" in response.content.decode()


def test_a_bad_code_shows_a_chinese_error_on_the_form(users):
    response = client_for(users["manager"]).post(
        "/anchors/new/", {"name": "x", "uscc": "123", "guarantee_capacity": "1"}
    )
    assert response.status_code == 200
    assert "统一社会信用代码" in response.content.decode()
    assert not Anchor.objects.exists()


def test_the_approver_approves_from_the_anchor_page(users):
    anchor = make_anchor(users["manager"])
    page = client_for(users["approver"]).get(f"/anchors/{anchor.pk}/")
    assert "批准" in page.content.decode()
    client_for(users["approver"]).post(f"/anchors/{anchor.pk}/approve/")
    anchor.refresh_from_db()
    assert anchor.status == "approved"


def test_an_agreement_scan_is_kept_with_its_sha256(users):
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    anchor = make_anchor(users["manager"], approver=users["approver"])
    scan = b"%PDF-1.4 cooperation agreement"
    client_for(users["manager"]).post(
        f"/anchors/{anchor.pk}/agreements/",
        {
            "kind": "cooperation",
            "number": "TQ-2027-001",
            "signed_on": "2027-01-01",
            "expires_on": "2029-12-31",
            "scan": SimpleUploadedFile("agreement.pdf", scan, content_type="application/pdf"),
        },
    )
    agreement = Agreement.objects.get()
    assert agreement.scan.sha256 == hashlib.sha256(scan).hexdigest()
    assert agreement.scan.content.read() == scan


def test_a_programme_is_created_from_the_form_with_defaults(users):
    anchor = make_anchor(users["manager"], approver=users["approver"])
    client = client_for(users["approver"])
    form = client.get(f"/programs/new/?anchor={anchor.pk}")
    assert 'value="0.30"' in form.content.decode() or 'value="0.3' in form.content.decode()
    data = {
        "anchor": anchor.pk,
        "name": "特驱养殖贷",
        "annual_rate": "0.0435",
        "total_cap": "400000000",
        "per_farmer_cap": "2000000",
        "order_ratio": "0.30",
        "lookback_months": 12,
        "margin_ratio": "0.05",
        "max_term_months": 12,
        "limit_validity_months": 12,
        "mismatch_tolerance": "0.10",
        "npl_warning_ratio": "0.02",
        "npl_suspend_ratio": "0.03",
        "penalty_markup": "0.50",
    }
    response = client.post("/programs/new/", data, follow=True)
    assert response.status_code == 200
    program = Program.objects.get()
    assert program.order_ratio == Decimal("0.30")
    assert "保证金台账" in response.content.decode()


def test_a_withdrawal_refused_shows_why(users):
    program = make_program(make_anchor(users["manager"], approver=users["approver"]), users["approver"])
    client = client_for(users["manager"])
    client.post(f"/programs/{program.pk}/margin/", {"kind": "deposit", "amount": "10"})
    response = client.post(f"/programs/{program.pk}/margin/", {"kind": "withdrawal", "amount": "11"}, follow=True)
    assert "保证金" in response.content.decode()
    assert program.margin_entries.count() == 1


@pytest.mark.parametrize("path", ["/anchors/{anchor}/", "/programs/{program}/", "/farmers/{farmer}/"])
def test_pages_outside_the_users_reach_are_404(org, users, path):
    anchor = make_anchor(users["manager_b"], org.sub_b, approver=users["approver"], name="乙企业")
    program = make_program(anchor, users["approver"])
    farmer = make_farmer(org.outlet_b, anchor=anchor)
    url = path.format(anchor=anchor.pk, program=program.pk, farmer=farmer.pk)
    assert client_for(users["manager"]).get(url).status_code == 404
    assert client_for(users["manager_b"]).get(url).status_code == 200


def test_an_anchor_operator_is_taken_to_his_own_enterprise(users):
    anchor = make_anchor(users["manager"], approver=users["approver"])
    clerk = make_anchor_operator("clerk", anchor)
    response = client_for(clerk).get("/anchors/")
    assert response.status_code == 302
    assert response.url == f"/anchors/{anchor.pk}/"


def test_the_farmer_page_masks_until_a_permitted_user_asks(org, users):
    from core.models import AuditEvent

    farmer = make_farmer(org.outlet_a)
    client = client_for(users["manager"])
    page = client.get(f"/farmers/{farmer.pk}/").content.decode()
    assert farmer.id_number not in page and farmer.id_masked in page
    revealed = client.post(f"/farmers/{farmer.pk}/", {"reveal": "1"}).content.decode()
    assert farmer.id_number in revealed
    assert AuditEvent.objects.filter(action="farmer_identity_view").count() == 1
    leader_page = client_for(users["leader"]).post(f"/farmers/{farmer.pk}/", {"reveal": "1"})
    assert leader_page.status_code == 403
    assert farmer.id_number not in leader_page.content.decode()
