"""The anchor pays its demands and claims from its own funds: recorded, checked by another, applied oldest first.

Interest of 100,000.00 at 4.35 %: 5–20 March is 193.33, 21 March – 20 April 374.58; a loan drawn on 1 April
owes 241.67 on 20 April (20 days). Overdue interest bears no penalty, so the figures stay put.
"""

import datetime as dt
from decimal import Decimal

import pytest

from core.business_date import business_date_get
from origination.models import AnchorPayment, CompensationDemand, CreditLimit, Loan, LoanEntry, Notification
from origination.services.drawdown import loan_disburse
from partners.services.margin import margin_balance
from postloan.cob import close_business_days
from postloan.models import RiskWarning
from servicing.anchor_payments import anchor_owed_total, anchor_payment_approve, anchor_payment_record
from servicing.reconcile import loans_reconcile
from tests.conftest import api_as
from tests.factories import make_anchor, make_anchor_operator, make_farmer, make_lending_world

D = dt.date
pytestmark = pytest.mark.django_db


def close_to(day):
    close_business_days(to=day)
    assert business_date_get() == day


def second_loan(users, program, on_day):
    farmer = make_farmer(users["manager"].org_node, body17="51152119800101123", name="王二", anchor=program.anchor)
    limit = CreditLimit.objects.create(
        farmer=farmer,
        program=program,
        amount=Decimal("200000.00"),
        approved_on=on_day,
        expires_on=on_day + dt.timedelta(days=400),
        approved_by=users["approver"],
    )
    return loan_disburse(credit_limit=limit, amount=Decimal("100000.00"), term_months=6, actor=users["manager"])


@pytest.fixture
def book(users):
    """Loan A: a claim of 93.33 left by the March deduction and an April demand of 374.58; loan B (drawn
    1 April): an April demand of 241.67. Business date 21 April."""
    program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5), margin="100.00", margin_ratio=Decimal("0"))
    loan_a = loan_disburse(credit_limit=limit, amount=Decimal("100000.00"), term_months=6, actor=users["manager"])
    close_to(D(2027, 4, 1))
    loan_b = second_loan(users, program, D(2027, 4, 1))
    close_to(D(2027, 4, 21))
    return {"program": program, "anchor": program.anchor, "a": loan_a, "b": loan_b}


def record(users, book, amount, reference="HX20270421001", who="manager"):
    return anchor_payment_record(
        anchor=book["anchor"],
        reference=reference,
        amount=Decimal(amount),
        value_date=D(2027, 4, 21),
        actor=users[who],
    )


def statuses(loan):
    return list(
        CompensationDemand.objects.filter(loan=loan)
        .order_by("raised_on")
        .values_list("raised_on", "status", "anchor_paid", "unrecovered")
    )


def test_the_book_owes_a_claim_and_two_demands(book):
    assert statuses(book["a"]) == [
        (D(2027, 3, 20), "claim", Decimal("0.00"), Decimal("93.33")),
        (D(2027, 4, 20), "open", Decimal("0.00"), Decimal("0.00")),
    ]
    assert statuses(book["b"]) == [(D(2027, 4, 20), "open", Decimal("0.00"), Decimal("0.00"))]
    assert anchor_owed_total(book["anchor"].pk, business_date_get()) == Decimal("709.58")  # 93.33+374.58+241.67


def test_a_payment_settles_the_oldest_first_then_part_of_the_next(users, book):
    payment = record(users, book, "500.00")
    # Recorded, nothing moved yet.
    assert Loan.objects.get(pk=book["a"].pk).interest_overdue == Decimal("467.91")
    anchor_payment_approve(payment=payment, actor=users["approver"])
    a, b = Loan.objects.get(pk=book["a"].pk), Loan.objects.get(pk=book["b"].pk)
    # Loan A's claim is the oldest: the loan's whole overdue (467.91) is settled there.
    assert a.interest_overdue == 0 and a.oldest_due_date is None
    assert a.compensated == Decimal("100.00") + Decimal("467.91")  # the margin's 100.00, then the anchor's own
    assert statuses(a) == [
        (D(2027, 3, 20), "anchor_paid", Decimal("467.91"), Decimal("0.00")),
        (D(2027, 4, 20), "anchor_paid", Decimal("0.00"), Decimal("0.00")),
    ]
    # What is left (32.09) goes to loan B, in part: its demand stays open with what was paid.
    assert b.interest_overdue == Decimal("209.58")
    assert statuses(b) == [(D(2027, 4, 20), "open", Decimal("32.09"), Decimal("0.00"))]
    payment.refresh_from_db()
    assert (payment.status, payment.checked_by_id) == ("applied", users["approver"].pk)
    assert [(line.loan_id, line.amount, line.interest) for line in payment.lines.order_by("id")] == [
        (a.pk, Decimal("467.91"), Decimal("467.91")),
        (b.pk, Decimal("32.09"), Decimal("32.09")),
    ]
    # Booked as compensation, from the anchor's own funds: the margin does not move.
    assert margin_balance(book["program"].pk) == Decimal("0.00")
    assert LoanEntry.objects.filter(loan=a, kind="compensated_interest").count() == 2
    assert loans_reconcile() == []
    # The rest of B, to the fen, in a second payment.
    second = record(users, book, "209.58", reference="HX20270421002")
    anchor_payment_approve(payment=second, actor=users["approver"])
    assert statuses(Loan.objects.get(pk=b.pk)) == [(D(2027, 4, 20), "anchor_paid", Decimal("241.67"), Decimal("0"))]
    assert anchor_owed_total(book["anchor"].pk, business_date_get()) == 0
    assert loans_reconcile() == []


def test_settling_the_claim_clears_compensation_unpaid_on_the_next_run(users, book):
    def unpaid():
        return RiskWarning.objects.filter(rule__code="COMPENSATION_UNPAID", active=True, subject_id=book["program"].pk)

    assert unpaid().exists()  # raised by the close after the March deduction
    anchor_payment_approve(payment=record(users, book, "467.91"), actor=users["approver"])
    close_to(D(2027, 4, 22))
    assert not unpaid().exists()


def test_the_checker_must_be_another_person(users, book):
    payment = record(users, book, "100.00")
    response = api_as(users["manager"]).post(f"/api/v1/anchor-payments/{payment.pk}/approve/")
    assert response.status_code == 403 and response.json()["code"] == "maker_checker"
    assert response.json()["detail"]
    response = api_as(users["manager"]).post(f"/api/v1/anchor-payments/{payment.pk}/reject/", {"note": "错"})
    assert response.json()["code"] == "maker_checker"
    assert AnchorPayment.objects.get(pk=payment.pk).status == "pending"
    # A branch manager is no checker of money.
    response = api_as(users["leader"]).post(f"/api/v1/anchor-payments/{payment.pk}/approve/")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    response = api_as(users["approver"]).post(f"/api/v1/anchor-payments/{payment.pk}/approve/")
    assert response.status_code == 200 and response.json()["status"] == "applied"
    assert response.json()["lines"][0]["amount"] == "100.00"
    # Checked once only.
    response = api_as(users["approver2"]).post(f"/api/v1/anchor-payments/{payment.pk}/approve/")
    assert response.status_code == 400 and response.json()["code"] == "invalid_status"


def test_recording_through_the_api_and_its_refusals(users, book):
    client = api_as(users["manager"])
    body = {"anchor": book["anchor"].pk, "reference": "HX1", "amount": "10.00", "value_date": "2027-04-21"}
    response = client.post("/api/v1/anchor-payments/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "pending" and response.json()["recorded_by"] == "manager"
    again = client.post("/api/v1/anchor-payments/", body, format="json")
    assert again.status_code == 409 and again.json()["code"] == "duplicate_reference"
    # More than is owed, counting what waits for its check (709.58 − 10.00 pending).
    too_much = {**body, "reference": "HX2", "amount": "699.59"}
    response = client.post("/api/v1/anchor-payments/", too_much, format="json")
    assert response.status_code == 400 and response.json()["code"] == "payment_exceeds_owed"
    assert response.json()["owed"] == "699.58"
    response = client.post("/api/v1/anchor-payments/", {**too_much, "amount": "699.58"}, format="json")
    assert response.status_code == 201
    later = client.post("/api/v1/anchor-payments/", {**body, "reference": "HX3", "value_date": "2027-04-22"})
    assert later.status_code == 400 and later.json()["code"] == "future_date"
    zero = client.post("/api/v1/anchor-payments/", {**body, "reference": "HX4", "amount": "0.00"})
    assert zero.status_code == 400 and zero.json()["code"] == "invalid_amount"
    owed = client.get(f"/api/v1/anchor-payments/owed/?anchor={book['anchor'].pk}").json()
    assert owed == {"anchor": book["anchor"].pk, "owed": "709.58"}


def test_a_rejected_transfer_may_be_recorded_again(users, book):
    payment = record(users, book, "100.00")
    response = api_as(users["approver"]).post(f"/api/v1/anchor-payments/{payment.pk}/reject/", {"note": "未到账"})
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert Loan.objects.get(pk=book["a"].pk).interest_overdue == Decimal("467.91")
    assert record(users, book, "100.00").status == "pending"


def test_approval_refuses_a_payment_the_book_no_longer_owes(users, book):
    from servicing.services.repayments import repayment_record

    payment = record(users, book, "709.58")
    repayment_record(loan=book["b"], amount=Decimal("241.67"), actor=users["manager"])  # farmer B paid himself
    response = api_as(users["approver"]).post(f"/api/v1/anchor-payments/{payment.pk}/approve/")
    assert response.status_code == 400 and response.json()["code"] == "payment_exceeds_owed"
    assert AnchorPayment.objects.get(pk=payment.pk).status == "pending"
    assert Loan.objects.get(pk=book["a"].pk).compensated == Decimal("100.00")


def test_the_anchor_operator_sees_his_own_demands_and_payments_only(users, book):
    operator = make_anchor_operator("te_qu", book["anchor"])
    other_anchor = make_anchor(users["manager"], approver=users["approver"], name="温氏集团")
    stranger = make_anchor_operator("wen_shi", other_anchor)
    payment = record(users, book, "50.00")
    client = api_as(operator)
    demands = client.get("/api/v1/compensation-demands/").json()
    assert demands["count"] == 3
    first = demands["results"][-1]
    assert (first["raised_on"], first["status"], first["deadline"]) == ("2027-03-20", "claim", "2027-03-31")
    assert first["unrecovered"] == "93.33" and first["loan_overdue_now"] == "467.91"
    detail = client.get(f"/api/v1/compensation-demands/{first['id']}/").json()
    assert detail["loan_detail"]["interest_overdue"] == "467.91"
    assert client.get(f"/api/v1/anchor-payments/{payment.pk}/").json()["status"] == "pending"
    refused = client.post(
        "/api/v1/anchor-payments/",
        {"anchor": book["anchor"].pk, "reference": "X", "amount": "1.00", "value_date": "2027-04-21"},
    )
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert client.post(f"/api/v1/anchor-payments/{payment.pk}/approve/").json()["code"] == "permission_denied"
    outsider = api_as(stranger)
    assert outsider.get("/api/v1/compensation-demands/").json()["count"] == 0
    assert outsider.get(f"/api/v1/compensation-demands/{first['id']}/").status_code == 404
    assert outsider.get(f"/api/v1/anchor-payments/{payment.pk}/").status_code == 404
    assert outsider.get(f"/api/v1/anchor-payments/owed/?anchor={book['anchor'].pk}").json()["code"] == "not_found"


def test_one_notice_per_anchor_and_day_with_the_count_and_total(users):
    program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5), margin="0.01", margin_ratio=Decimal("0"))
    program.anchor.contact_phone = "13800001111"
    program.anchor.save()
    loan_disburse(credit_limit=limit, amount=Decimal("100000.00"), term_months=6, actor=users["manager"])
    second_loan(users, program, D(2027, 3, 5))
    close_to(D(2027, 3, 22))
    notices = list(Notification.objects.filter(template="compensation_demand"))
    assert len(notices) == 1  # two demands raised on the 20th, one notice
    notice = notices[0]
    assert notice.recipient == "13800001111"
    assert notice.idempotency_key == f"demand-notice:{program.anchor_id}:2027-03-20"
    assert "2" in notice.text and "386.66" in notice.text and "2027-03-31" in notice.text


def test_the_pages_record_check_and_show_a_payment(users, book, client):
    operator = make_anchor_operator("te_qu", book["anchor"])
    other_anchor = make_anchor(users["manager"], approver=users["approver"], name="温氏集团")
    stranger = make_anchor_operator("wen_shi", other_anchor)
    client.force_login(users["manager"])
    response = client.post(
        "/compensation/payments/new/",
        {"anchor": book["anchor"].pk, "reference": "HX9", "amount": "1,000.00", "value_date": "2027-04-21"},
    )
    assert response.status_code == 200 and "709.58" in response.content.decode()  # refused: more than owed
    response = client.post(
        "/compensation/payments/new/",
        {"anchor": book["anchor"].pk, "reference": "HX9", "amount": "93.33", "value_date": "2027-04-21"},
    )
    payment = AnchorPayment.objects.get(reference="HX9")
    assert response.status_code == 302 and response.url == f"/compensation/payments/{payment.pk}/"
    client.post(f"/compensation/payments/{payment.pk}/approve/")  # the maker: refused
    assert AnchorPayment.objects.get(pk=payment.pk).status == "pending"
    client.force_login(users["approver"])
    page = client.get(f"/compensation/payments/{payment.pk}/").content.decode()
    assert f"/compensation/payments/{payment.pk}/approve/" in page
    client.post(f"/compensation/payments/{payment.pk}/approve/")
    assert AnchorPayment.objects.get(pk=payment.pk).status == "applied"
    demand = CompensationDemand.objects.get(loan=book["a"], raised_on=D(2027, 3, 20))
    client.force_login(operator)
    home = client.get("/compensation/?status=all")
    assert home.status_code == 200 and "HX9" in home.content.decode()
    detail = client.get(f"/compensation/demands/{demand.pk}/")
    assert detail.status_code == 200 and "2027-03-31" in detail.content.decode()
    client.force_login(stranger)
    assert client.get(f"/compensation/demands/{demand.pk}/").status_code == 404
    assert client.get(f"/compensation/payments/{payment.pk}/").status_code == 404
    assert "HX9" not in client.get("/compensation/?status=all").content.decode()
