"""核销: a loss-class loan, proposed by one person, approved by two others; what comes in later is a recovery."""

import datetime as dt
from decimal import Decimal

import pytest

from core.errors import DomainError
from origination.models import Loan, LoanEntry, WriteOff
from origination.services.drawdown import loan_disburse
from postloan.cob import close_business_days
from servicing.reconcile import loans_reconcile
from servicing.services.repayments import loan_classify, repayment_record
from servicing.write_off import write_off_approve, write_off_propose, write_off_reject
from tests.conftest import api_as
from tests.factories import make_lending_world

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def loss_loan(users):
    """A loan whose 20 March interest (193.33) is unpaid, classified loss by hand on 22 March."""
    _program, _farmer, limit = make_lending_world(users, on=D(2027, 3, 5), margin=None, margin_ratio=Decimal("0"))
    loan = loan_disburse(credit_limit=limit, amount=Decimal("100000.00"), term_months=6, actor=users["manager"])
    close_business_days(to=D(2027, 3, 22))
    return loan_classify(loan=loan, classification="loss", reason="养殖场倒闭，借款人失联", actor=users["approver"])


def refused(call, code):
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code
    return caught.value


def test_two_approvals_by_two_people_neither_the_proposer(users, loss_loan):
    proposal = write_off_propose(loan=loss_loan, reason="失联，担保代偿不足", actor=users["approver"])
    refused(lambda: write_off_approve(write_off=proposal, actor=users["approver"]), "maker_checker")
    refused(lambda: write_off_approve(write_off=proposal, actor=users["manager"]), "permission_denied")
    write_off_approve(write_off=proposal, actor=users["approver2"])
    assert Loan.objects.get(pk=loss_loan.pk).status == "active"  # one approval moves nothing
    refused(lambda: write_off_approve(write_off=proposal, actor=users["approver2"]), "maker_checker")
    write_off_approve(write_off=proposal, actor=users["leader"])
    proposal.refresh_from_db()
    loan = Loan.objects.get(pk=loss_loan.pk)
    assert proposal.status == "approved" and proposal.second_approver_id == users["leader"].pk
    assert loan.status == "written_off" and loan.principal_outstanding == 0 and loan.interest_overdue == 0
    # 100,000.00 principal; 193.33 interest charged on the 20th plus 21–21 March accrued (12.08).
    assert (proposal.principal, proposal.interest, proposal.penalty) == (
        Decimal("100000.00"),
        Decimal("205.41"),
        Decimal("0.00"),
    )
    assert loan.written_off == Decimal("100205.41")
    assert LoanEntry.objects.filter(loan=loan, kind__startswith="written_off").count() == 2
    assert loans_reconcile() == []
    # Off the active book: the close no longer touches it.
    close_business_days(to=D(2027, 3, 24))
    assert Loan.objects.get(pk=loan.pk).interest_due == 0


def test_refusals(users, loss_loan):
    other = Loan.objects.filter(pk=loss_loan.pk)
    other.update(classification="doubtful")
    refused(lambda: write_off_propose(loan=loss_loan, reason="x", actor=users["manager"]), "not_loss_class")
    other.update(classification="loss")
    refused(lambda: write_off_propose(loan=loss_loan, reason=" ", actor=users["manager"]), "reason_required")
    proposal = write_off_propose(loan=loss_loan, reason="失联", actor=users["manager"])
    refused(lambda: write_off_propose(loan=loss_loan, reason="失联", actor=users["manager"]), "write_off_open")
    write_off_reject(write_off=proposal, actor=users["approver"], note="仍在清收")
    assert WriteOff.objects.get(pk=proposal.pk).status == "rejected"
    assert write_off_propose(loan=loss_loan, reason="再次申请", actor=users["manager"]).status == "proposed"


def test_money_after_the_write_off_is_a_recovery(users, loss_loan):
    proposal = write_off_propose(loan=loss_loan, reason="失联", actor=users["manager"])
    write_off_approve(write_off=proposal, actor=users["approver"])
    write_off_approve(write_off=proposal, actor=users["approver2"])
    repayment = repayment_record(loan=loss_loan, amount=Decimal("5000.00"), actor=users["manager"])
    assert repayment.after_write_off == Decimal("5000.00") and repayment.principal == 0
    loan = Loan.objects.get(pk=loss_loan.pk)
    assert loan.recovered_after_write_off == Decimal("5000.00") and loan.status == "written_off"
    assert loans_reconcile() == []
    response = api_as(users["manager"]).post(
        f"/api/v1/loans/{loan.pk}/repayments/", {"amount": "95205.42"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "overpayment"


def test_the_api_proposes_and_approves_with_its_refusals(users, loss_loan):
    response = api_as(users["manager"]).post("/api/v1/write-offs/", {"loan": loss_loan.pk, "reason": "失联"})
    assert response.status_code == 201 and response.json()["status"] == "proposed"
    pk = response.json()["id"]
    again = api_as(users["manager"]).post("/api/v1/write-offs/", {"loan": loss_loan.pk, "reason": "失联"})
    assert again.status_code == 409 and again.json()["code"] == "write_off_open"
    assert api_as(users["manager"]).post(f"/api/v1/write-offs/{pk}/approve/").json()["code"] == "permission_denied"
    assert api_as(users["approver"]).post(f"/api/v1/write-offs/{pk}/approve/").status_code == 200
    second = api_as(users["approver"]).post(f"/api/v1/write-offs/{pk}/approve/")
    assert second.status_code == 403 and second.json()["code"] == "maker_checker"
    done = api_as(users["leader"]).post(f"/api/v1/write-offs/{pk}/approve/")
    assert done.status_code == 200 and done.json()["status"] == "approved"
    assert done.json()["principal"] == "100000.00"
    assert api_as(users["manager_b"]).get(f"/api/v1/write-offs/{pk}/").status_code == 404


def test_the_page_proposes_and_two_people_approve(users, loss_loan, client):
    client.force_login(users["manager"])
    assert str(loss_loan.pk) in client.get("/write-offs/").content.decode()
    client.post("/write-offs/propose/", {"loan": loss_loan.pk, "reason": "失联"})
    proposal = WriteOff.objects.get(loan=loss_loan)
    client.force_login(users["approver"])
    client.post(f"/write-offs/{proposal.pk}/approve/")
    client.post(f"/write-offs/{proposal.pk}/approve/")  # the same approver again: refused
    assert WriteOff.objects.get(pk=proposal.pk).status == "proposed"
    client.force_login(users["leader"])
    assert client.post(f"/write-offs/{proposal.pk}/approve/").status_code == 302
    assert Loan.objects.get(pk=loss_loan.pk).status == "written_off"


def test_the_programme_board_counts_write_offs_and_recoveries(users, loss_loan):
    from core.business_date import business_date_get
    from postloan.dashboards.selectors.programs import program_dashboard

    proposal = write_off_propose(loan=loss_loan, reason="失联", actor=users["manager"])
    write_off_approve(write_off=proposal, actor=users["approver"])
    write_off_approve(write_off=proposal, actor=users["approver2"])
    repayment_record(loan=loss_loan, amount=Decimal("300.00"), actor=users["manager"])
    close_business_days(to=D(2027, 3, 23))  # the close writes the day's figures the board reads
    row = next(
        r for r in program_dashboard(users["leader"], business_date_get()).rows if r.program.pk == loss_loan.program_id
    )
    assert (row.figures["write_offs"], row.figures["written_off"]) == (1, Decimal("100205.41"))
    assert (row.figures["recoveries"], row.figures["recovered"]) == (1, Decimal("300.00"))
