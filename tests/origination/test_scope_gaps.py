"""What lies outside a user's scope is not found, in lists, rows of a batch, filters and writes alike."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.business_date import business_date_set
from core.roles import Role
from origination.models import Batch, BatchRow, CreditLimit
from tests.conftest import api_as
from tests.factories import make_anchor, make_anchor_operator, make_farmer, make_program, make_user
from tests.origination.test_batch_processing import batch  # noqa: F401 - the fixture

HEADER = "姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分\n"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _not_found(response) -> bool:
    return response.status_code == 404 and response.json()["code"] == "not_found"


# -- the rows of a batch: staff see the farmers of their subtree ------------------------------------


@pytest.fixture
def mixed_batch(org, users):
    """A programme managed at the branch whose list brings a farmer of each sub-branch."""
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    program = make_program(make_anchor(users["approver"], org.branch, approver=users["approver2"]), users["approver"])
    mine = make_farmer(org.outlet_a, name="胡磊涛")
    theirs = make_farmer(org.outlet_b, body17="51018119680413303", name="马丽军")
    content = HEADER + "".join(
        f"{farmer.name},{farmer.id_number},13812345678,100000,300000,80\n" for farmer in (mine, theirs)
    )
    response = api_as(users["manager"]).post(
        f"/api/v1/programs/{program.pk}/batches/",
        {"farmer_list": SimpleUploadedFile("l.csv", content.encode())},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    return Batch.objects.get(pk=response.json()["id"])


def _names(user, of_batch) -> set[str]:
    body = api_as(user).get(f"/api/v1/batches/{of_batch.pk}/results/").json()
    return {row["name"] for row in body["results"]}


def test_an_outlet_managers_batch_results_show_only_the_farmers_of_his_subtree(users, mixed_batch):
    assert _names(users["manager"], mixed_batch) == {"胡磊涛"}
    assert _names(users["manager_b"], mixed_batch) == {"马丽军"}
    assert _names(users["leader"], mixed_batch) == {"胡磊涛", "马丽军"}


def test_an_outlet_managers_review_page_shows_only_the_farmers_of_his_subtree(users, mixed_batch):
    client = _client(users["manager"])
    page = client.get(f"/batches/{mixed_batch.pk}/review/").content.decode()
    assert "胡磊涛" in page and "马丽军" not in page
    theirs = BatchRow.objects.get(batch=mixed_batch, name="马丽军").row
    assert client.get(f"/batches/{mixed_batch.pk}/rows/{theirs}/").status_code == 404
    decided = client.post(f"/batches/{mixed_batch.pk}/rows/{theirs}/decide/", {"approve": "0", "reason": "x"})
    assert decided.status_code == 404
    assert BatchRow.objects.get(batch=mixed_batch, row=theirs).decision == "pending"


def test_an_approval_deciding_a_row_out_of_the_approvers_subtree_answers_404(org, users, mixed_batch):
    api_as(users["manager"]).post(f"/api/v1/batches/{mixed_batch.pk}/process/")
    assert api_as(users["approver"]).post(f"/api/v1/batches/{mixed_batch.pk}/submit/").status_code == 200
    approver_a = make_user("approver_a", Role.RISK_APPROVER, org.sub_a)
    theirs = BatchRow.objects.get(batch=mixed_batch, name="马丽军").row
    for row in (theirs, 99):
        response = api_as(approver_a).post(
            f"/api/v1/batches/{mixed_batch.pk}/approve/",
            {"decisions": [{"row": row, "approve": False, "reason": "x"}]},
            format="json",
        )
        assert _not_found(response), response.json()
    assert Batch.objects.get(pk=mixed_batch.pk).status == "submitted"


# -- an anchor operator: his own declared figures and the decision only ----------------------------


@pytest.fixture
def operator(users, batch):  # noqa: F811
    clerk = make_anchor_operator("clerk", batch.program.anchor)
    api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/process/")
    return clerk


def test_an_anchor_operator_sees_his_declared_figures_and_the_decision_only(users, batch, operator):  # noqa: F811
    rows = api_as(operator).get(f"/api/v1/batches/{batch.pk}/results/").json()["results"]
    assert len(rows) == 3
    for row in rows:
        assert set(row) == {"row", "name", "id_number", "recommended_amount", "declared_orders_12m", "limit", "status"}
        assert (row["status"], row["limit"]) == ("pending", None)
    assert {row["declared_orders_12m"] for row in rows} == {"1050000.00", "300000.00"}


def test_an_anchor_operators_review_page_shows_no_verified_figure_nor_match(users, batch, operator):  # noqa: F811
    client = _client(operator)
    page = client.get(f"/batches/{batch.pk}/review/").content.decode()
    assert "1,050,000.00" in page  # his declared orders
    assert "1,000,000.00" not in page and "100,000.00" not in page  # the provider's
    assert "一致" not in page and "无交易数据" not in page
    assert "300,000.00" in page  # declared by him for 乙 and 丙, not a limit
    filtered = client.get(f"/batches/{batch.pk}/review/?validation=mismatch").content.decode()
    assert all(name in filtered for name in ("甲", "乙", "丙"))  # the filter would tell the match
    panel = client.get(f"/batches/{batch.pk}/rows/2/").content.decode()
    assert "1,050,000.00" in panel
    assert "1,000,000.00" not in panel and "row-chart-data" not in panel and "600,000.00" not in panel


def test_an_anchor_operator_sees_the_decision_once_the_batch_is_approved(users, batch, operator):  # noqa: F811
    client = api_as(operator)
    api_as(users["manager"]).post(f"/api/v1/batches/{batch.pk}/submit/")
    assert api_as(users["approver"]).post(f"/api/v1/batches/{batch.pk}/approve/", {}, format="json").status_code == 200
    rows = {row["name"]: row for row in client.get(f"/api/v1/batches/{batch.pk}/results/").json()["results"]}
    assert (rows["甲"]["status"], rows["甲"]["limit"]) == ("approved", "300000.00")
    assert (rows["丙"]["status"], rows["丙"]["limit"]) == ("refused", None)
    assert CreditLimit.objects.count() == 1


# -- ids in writes and filters: out of scope and unknown answer alike, 404 not_found -------------------


@pytest.fixture
def two_worlds(org, users):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    anchor_a = make_anchor(users["manager"], org.sub_a, approver=users["approver"], name="甲企业")
    anchor_b = make_anchor(users["manager_b"], org.sub_b, approver=users["approver"], name="乙企业")
    program_a = make_program(anchor_a, users["approver"])
    program_b = make_program(anchor_b, users["approver"])
    farmer_b = make_farmer(org.outlet_b, body17="51018119680413303", name="马丽军", anchor=anchor_b)
    limit_b = CreditLimit.objects.create(
        farmer=farmer_b,
        program=program_b,
        amount=Decimal("100000.00"),
        approved_on=dt.date(2027, 3, 1),
        expires_on=dt.date(2028, 3, 1),
        approved_by=users["approver"],
    )
    return {
        "anchor_b": anchor_b,
        "program_a": program_a,
        "program_b": program_b,
        "farmer_b": farmer_b,
        "limit_b": limit_b,
    }


def test_a_write_naming_an_out_of_scope_limit_answers_404(users, two_worlds):
    client = api_as(users["manager"])
    for limit in (two_worlds["limit_b"].pk, 999_999):
        response = client.post("/api/v1/loans/", {"credit_limit": limit, "amount": "1000.00", "term_months": 6})
        assert _not_found(response), response.json()
    assert not two_worlds["limit_b"].loans.exists()


def test_a_programme_for_an_anchor_out_of_scope_answers_404(org, users, two_worlds):
    approver_a = make_user("approver_a", Role.RISK_APPROVER, org.sub_a)
    for anchor in (two_worlds["anchor_b"].pk, 999_999):
        body = {"anchor": anchor, "name": "x", "annual_rate": "0.05"}
        response = api_as(approver_a).post("/api/v1/programs/", body, format="json")
        assert _not_found(response), response.json()


def test_a_post_drawdown_check_on_an_unknown_loan_answers_404(users, two_worlds):
    response = api_as(users["manager"]).post(
        "/api/v1/post-drawdown-checks/", {"loan": 999_999, "kind": "phone_callback", "result": "ok"}
    )
    assert _not_found(response), response.json()


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("/api/v1/credit-limits/", "program"),
        ("/api/v1/loans/", "program"),
        ("/api/v1/batches/", "program"),
        ("/api/v1/credit-limits/", "farmer"),
        ("/api/v1/loans/", "farmer"),
        ("/api/v1/programs/", "anchor"),
    ],
)
def test_a_filter_naming_an_out_of_scope_row_answers_404(users, two_worlds, url, key):
    client = api_as(users["manager"])
    theirs = {"program": "program_b", "farmer": "farmer_b", "anchor": "anchor_b"}[key]
    for value in (two_worlds[theirs].pk, 999_999, "x"):
        assert _not_found(client.get(url, {key: value})), (url, key, value)


def test_a_filter_naming_a_row_in_scope_still_lists(users, two_worlds):
    response = api_as(users["manager"]).get("/api/v1/credit-limits/", {"program": two_worlds["program_a"].pk})
    assert response.status_code == 200 and response.json()["count"] == 0


def test_a_trade_import_for_an_anchor_out_of_scope_answers_404(users, two_worlds):
    for anchor in (two_worlds["anchor_b"].pk, 999_999):
        response = api_as(users["manager"]).post(
            "/api/v1/trade-records/import/",
            {"anchor": anchor, "file": SimpleUploadedFile("t.csv", b"id_number,order_no,order_date,amount\n")},
            format="multipart",
        )
        assert _not_found(response), response.json()


# -- a whole-batch action needs every row in reach (decision 21) ------------------------------------


def _outside_reach(response, rows: int) -> bool:
    body = response.json()
    return (
        response.status_code == 403
        and body["code"] == "permission_denied"
        and body["rows_outside"] == rows
        and str(rows) in body["detail"]
    )


def test_an_outlet_manager_may_not_submit_a_batch_with_farmers_outside_his_reach(users, mixed_batch):
    api_as(users["manager"]).post(f"/api/v1/batches/{mixed_batch.pk}/process/")
    response = api_as(users["manager"]).post(f"/api/v1/batches/{mixed_batch.pk}/submit/")
    assert _outside_reach(response, 1), response.json()
    assert Batch.objects.get(pk=mixed_batch.pk).status == "processed"
    # someone who sees every row submits it
    assert api_as(users["approver"]).post(f"/api/v1/batches/{mixed_batch.pk}/submit/").status_code == 200


def test_an_approver_who_sees_part_of_a_batch_may_neither_approve_nor_reject_it(org, users, mixed_batch):
    api_as(users["manager"]).post(f"/api/v1/batches/{mixed_batch.pk}/process/")
    assert api_as(users["approver"]).post(f"/api/v1/batches/{mixed_batch.pk}/submit/").status_code == 200
    approver_a = make_user("approver_a", Role.RISK_APPROVER, org.sub_a)
    client = api_as(approver_a)
    assert _outside_reach(client.post(f"/api/v1/batches/{mixed_batch.pk}/approve/", {}, format="json"), 1)
    rejected = client.post(f"/api/v1/batches/{mixed_batch.pk}/reject/", {"reason": "x"}, format="json")
    assert _outside_reach(rejected, 1)
    assert Batch.objects.get(pk=mixed_batch.pk).status == "submitted"
    assert not CreditLimit.objects.filter(batch_row__batch=mixed_batch).exists()
    # an approver who sees every row approves it
    assert (
        api_as(users["approver2"]).post(f"/api/v1/batches/{mixed_batch.pk}/approve/", {}, format="json").status_code
        == 200
    )


def test_the_review_page_refuses_a_partial_submission_with_the_reason(users, mixed_batch):
    api_as(users["manager"]).post(f"/api/v1/batches/{mixed_batch.pk}/process/")
    page = _client(users["manager"]).post(f"/batches/{mixed_batch.pk}/submit/", follow=True)
    said = [str(message) for message in page.context["messages"]]
    assert len(said) == 1 and "1" in said[0], said
    assert Batch.objects.get(pk=mixed_batch.pk).status == "processed"
