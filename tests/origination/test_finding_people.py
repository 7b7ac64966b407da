"""Finding people (issue 18): one search box for a farmer's name, phone tail or ID tail, on the farmer list,
the loan list and the whitelist; the farmer list's limits in force and available; the whitelist page's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.business_date import business_date_set
from origination.models import CreditLimit, Loan, WhitelistEntry
from origination.services.drawdown import loan_disburse
from partners.models import Farmer, Program, User
from partners.selectors import farmer_search_q
from partners.services.farmers import farmer_link_anchor, farmer_register
from partners.services.margin import margin_deposit
from tests.factories import make_anchor, make_anchor_operator, make_program, resident_id_with_check

TODAY = dt.date(2027, 3, 5)

# Identity numbers whose tails tell them apart: …0819196x, …0819018X (a final X), …0820457x.
ZHANG_ID = resident_id_with_check("51152119700819196")
LI_ID = resident_id_with_check("51152119700819018")
WANG_ID = resident_id_with_check("51152119800820457")


@dataclass
class People:
    program: Program
    other_program: Program
    zhang: Farmer  # outlet A, programme
    li: Farmer  # outlet B, programme
    wang: Farmer  # outlet A, the other anchor's programme
    operator: User  # the anchor operator of ``program``'s anchor
    users: dict[str, Any]


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def register(name: str, id_number: str, phone: str, node: object, anchor: object) -> Farmer:
    farmer = farmer_register(name=name, id_number=id_number, phone=phone, org_node=node, today=TODAY)  # type: ignore[arg-type]
    farmer_link_anchor(farmer=farmer, anchor=anchor, on=TODAY)  # type: ignore[arg-type]
    return farmer


def grant(farmer: Farmer, program: Program, approver: User, amount: str, *, on: dt.date = TODAY) -> CreditLimit:
    limit = CreditLimit.objects.create(
        farmer=farmer,
        program=program,
        amount=Decimal(amount),
        approved_on=on,
        expires_on=on + dt.timedelta(days=365),
        approved_by=approver,
    )
    WhitelistEntry.objects.create(program=program, farmer=farmer, credit_limit=limit, added_on=on)
    return limit


@pytest.fixture
def people(users: dict[str, Any], org: Any) -> People:
    business_date_set(new_date=TODAY, backwards_allowed=True)
    # managed at the branch, so that both outlets' managers see the programmes
    anchor = make_anchor(users["manager"], org.branch, approver=users["approver"])
    other_anchor = make_anchor(users["manager"], org.branch, approver=users["approver"], name="新希望")
    program = make_program(anchor, users["approver"])
    other_program = make_program(other_anchor, users["approver"])
    for p in (program, other_program):
        margin_deposit(program=p, amount=Decimal("10000000"), actor=users["manager"])
    zhang = register("张建国", ZHANG_ID, "13800001234", org.outlet_a, anchor)
    li = register("李秀英", LI_ID, "13900005678", org.outlet_b, anchor)
    wang = register("王建军", WANG_ID, "13700009012", org.outlet_a, other_anchor)
    return People(
        program=program,
        other_program=other_program,
        zhang=zhang,
        li=li,
        wang=wang,
        operator=make_anchor_operator("anchor_op", anchor),
        users=users,
    )


def found(query: str, prefix: str = "") -> set[str]:
    return set(Farmer.objects.filter(farmer_search_q(query, prefix)).values_list("name", flat=True))


def listed(user: object, url: str) -> list[Any]:
    response = client_for(user).get(url)
    assert response.status_code == 200
    return list(response.context["page"])


# --- the search ------------------------------------------------------------------------------------------


def test_each_kind_of_search_finds_the_right_farmer(people: People) -> None:
    assert found("建") == {"张建国", "王建军"}  # any part of the name
    assert found("秀英") == {"李秀英"}
    assert found("1234") == {"张建国"}  # the phone's last 4 digits
    assert found(ZHANG_ID[-4:]) == {"张建国"}  # the ID's last 4, 5 and 6 characters
    assert found(WANG_ID[-5:]) == {"王建军"}
    assert found(WANG_ID[-6:]) == {"王建军"}
    assert found(LI_ID[-4:].lower()) == {"李秀英"}  # a final x typed in lower case
    assert found("") == {"张建国", "李秀英", "王建军"}


def test_a_tail_matches_only_at_the_end(people: People) -> None:
    assert found("0000") == set()  # inside both phones, at the end of neither
    assert found(ZHANG_ID[-7:]) == set()  # more than 6 characters is no ID tail
    assert found(ZHANG_ID[:4]) == set()  # the start of the number is no tail
    assert found("138") == set()  # 3 digits are no phone tail


def test_the_farmer_list_searches_within_the_users_scope(people: People) -> None:
    manager = people.users["manager"]  # outlet A
    assert [f.name for f in listed(manager, "/farmers/?q=1234")] == ["张建国"]
    assert listed(manager, "/farmers/?q=5678") == []  # 李秀英's phone, but she is outlet B's
    assert listed(manager, f"/farmers/?q={LI_ID[-6:]}") == []
    assert listed(manager, "/farmers/?q=李") == []
    assert [f.name for f in listed(people.users["manager_b"], "/farmers/?q=5678")] == ["李秀英"]
    # the anchor operator sees his enterprise's farmers, whatever their outlet, and no other's
    assert {f.name for f in listed(people.operator, "/farmers/?q=建")} == {"张建国"}
    assert [f.name for f in listed(people.operator, "/farmers/?q=5678")] == ["李秀英"]
    assert listed(people.operator, "/farmers/?q=9012") == []


# --- the farmer list's limits ----------------------------------------------------------------------------


def test_the_farmer_list_shows_limits_in_force_and_available(people: People) -> None:
    users = people.users
    limit = grant(people.zhang, people.program, users["approver"], "100000.00")
    grant(people.zhang, people.other_program, users["approver"], "50000.00")
    # neither an expired nor a revoked limit counts
    old = grant(people.zhang, people.program, users["approver"], "70000.00", on=TODAY - dt.timedelta(days=400))
    revoked = grant(people.zhang, people.program, users["approver"], "20000.00")
    CreditLimit.objects.filter(pk=revoked.pk).update(status=CreditLimit.Status.REVOKED)
    assert old.expires_on < TODAY
    loan_disburse(credit_limit=limit, amount=Decimal("30000.00"), term_months=6, actor=users["manager"])
    closed = loan_disburse(credit_limit=limit, amount=Decimal("5000.00"), term_months=6, actor=users["manager"])
    Loan.objects.filter(pk=closed.pk).update(status=Loan.Status.CLOSED, principal_outstanding=Decimal("0"))

    response = client_for(users["manager"]).get("/farmers/?q=张建国")
    (zhang,) = response.context["page"]
    assert (zhang.limit_in_force, zhang.limit_available) == (Decimal("150000.00"), Decimal("120000.00"))
    page = response.content.decode()
    assert 'data-testid="limit-in-force">150,000.00<' in page
    assert 'data-testid="limit-available">120,000.00<' in page
    assert "138****1234" in page and "13800001234" not in page

    # the anchor operator counts only his own programme's limits
    (zhang,) = listed(people.operator, "/farmers/?q=张建国")
    assert (zhang.limit_in_force, zhang.limit_available) == (Decimal("100000.00"), Decimal("70000.00"))
    # a farmer without a limit shows zeros
    (li,) = listed(people.users["manager_b"], "/farmers/?q=李秀英")
    assert (li.limit_in_force, li.limit_available) == (Decimal("0"), Decimal("0"))


def queries_for(user: object, url: str) -> int:
    client = client_for(user)
    client.get(url)  # the session and the business date are read once warm
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def add_farmers(people: People, count: int, start: int) -> None:
    for i in range(start, start + count):
        farmer = register(
            f"赵{i:03d}",
            resident_id_with_check(f"51152119900101{i:03d}"),
            f"1360000{i:04d}",
            people.users["manager"].org_node,
            people.program.anchor,
        )
        limit = grant(farmer, people.program, people.users["approver"], "10000.00")
        loan_disburse(credit_limit=limit, amount=Decimal("1000.00"), term_months=6, actor=people.users["manager"])


@pytest.mark.parametrize("url", ["/farmers/?q=赵", "/whitelist/?q=赵", "/loans/?q=赵"])
def test_the_number_of_queries_does_not_grow_with_the_farmers(people: People, url: str) -> None:
    add_farmers(people, 2, 0)
    with_two = queries_for(people.users["manager"], url)
    add_farmers(people, 18, 2)
    assert len(listed(people.users["manager"], url)) == 20
    assert queries_for(people.users["manager"], url) == with_two


# --- loans ------------------------------------------------------------------------------------------------


def test_loans_are_found_by_their_farmer(people: People) -> None:
    users = people.users
    zhang_loan = loan_disburse(
        credit_limit=grant(people.zhang, people.program, users["approver"], "100000.00"),
        amount=Decimal("10000.00"),
        term_months=6,
        actor=users["manager"],
    )
    li_loan = loan_disburse(
        credit_limit=grant(people.li, people.program, users["approver"], "100000.00"),
        amount=Decimal("10000.00"),
        term_months=6,
        actor=users["manager_b"],
    )
    leader = users["leader"]  # the branch: both
    assert {loan.pk for loan in listed(leader, "/loans/")} == {zhang_loan.pk, li_loan.pk}
    assert [loan.pk for loan in listed(leader, "/loans/?q=张建国")] == [zhang_loan.pk]
    assert [loan.pk for loan in listed(leader, "/loans/?q=5678")] == [li_loan.pk]
    assert [loan.pk for loan in listed(leader, f"/loans/?q={ZHANG_ID[-6:]}")] == [zhang_loan.pk]
    assert listed(users["manager"], "/loans/?q=5678") == []  # 李秀英's loan is outlet B's
    page = client_for(leader).get("/loans/?q=5678").content.decode()
    assert 'value="5678"' in page


# --- the whitelist page -----------------------------------------------------------------------------------


def test_the_whitelist_page_is_scoped_filtered_and_searched(people: People) -> None:
    users = people.users
    grant(people.zhang, people.program, users["approver"], "100000.00", on=TODAY - dt.timedelta(days=30))
    grant(people.li, people.program, users["approver"], "80000.00")
    grant(people.wang, people.other_program, users["approver"], "60000.00")

    def names(user: object, query: str = "") -> list[str]:
        return [entry.farmer.name for entry in listed(user, f"/whitelist/{query}")]

    assert set(names(users["leader"])) == {"张建国", "李秀英", "王建军"}
    assert names(users["leader"]) == ["王建军", "李秀英", "张建国"]  # newest first
    # a manager of another subtree sees only his own outlet's farmers
    assert set(names(users["manager"])) == {"张建国", "王建军"}
    assert names(users["manager_b"]) == ["李秀英"]
    assert names(users["manager_b"], "?q=1234") == []
    # the anchor operator sees his own programme's whitelist only
    assert set(names(people.operator)) == {"张建国", "李秀英"}
    assert names(people.operator, "?q=9012") == []
    assert names(people.operator, f"?program={people.other_program.pk}") == []

    leader = users["leader"]
    assert names(leader, "?q=5678") == ["李秀英"]
    assert names(leader, f"?q={WANG_ID[-4:]}") == ["王建军"]
    assert names(leader, f"?program={people.other_program.pk}") == ["王建军"]
    assert set(names(leader, f"?added_from={TODAY.isoformat()}")) == {"李秀英", "王建军"}
    assert names(leader, f"?added_to={(TODAY - dt.timedelta(days=1)).isoformat()}") == ["张建国"]
    assert len(names(leader, "?added_from=not-a-date&program=x")) == 3  # a bad filter is no filter

    page = client_for(people.operator).get("/whitelist/").content.decode()
    assert "139****5678" in page and "13900005678" not in page
    assert "新希望" not in page  # the other anchor's programme is not among the choices


def test_the_whitelist_is_in_the_menu(people: People) -> None:
    for user in (people.users["manager"], people.operator):
        assert 'href="/whitelist/"' in client_for(user).get("/farmers/").content.decode()
