"""An anchor operator sees his own enterprise's warnings, and no other's (the contract's scope)."""

import datetime as dt

from postloan.models import RiskWarning, WarningRule
from postloan.warning_run import rules_ensure
from tests.conftest import api_as
from tests.factories import make_anchor, make_anchor_operator


def _warning(code: str, subject_type: str, subject_id: int, **extra: object) -> RiskWarning:
    return RiskWarning.objects.create(
        rule=WarningRule.objects.get(code=code),
        subject_type=subject_type,
        subject_id=subject_id,
        severity="high",
        raised_on=dt.date(2027, 3, 1),
        deadline=dt.date(2027, 3, 4),
        fact="2027-01 订单 1000.00",
        **extra,
    )


def test_an_anchor_operator_lists_his_enterprises_warnings_and_no_others(world, users, org):
    # given: a warning on a borrower of his programme, one on his anchor, one on another anchor
    rules_ensure()
    program, loan = world["program"], world["loan"]
    other = make_anchor(users["approver"], org.branch, approver=users["approver2"], name="另一集团")
    mine_on_loan = _warning("ORDERS_DROP", "loan", loan.pk, program=program, org_node=loan.org_node)
    mine_on_anchor = _warning("ANCHOR_ABNORMAL", "anchor", program.anchor_id, org_node=org.branch)
    _warning("ANCHOR_ABNORMAL", "anchor", other.pk, org_node=org.branch)
    clerk = make_anchor_operator("clerk_w", program.anchor)
    # when: he lists the warnings
    body = api_as(clerk).get("/api/v1/warnings/").json()
    # then: his own two, and what fired the provider-fed rule is not shown to him
    assert {row["id"] for row in body["results"]} == {mine_on_loan.pk, mine_on_anchor.pk}
    detail = api_as(clerk).get(f"/api/v1/warnings/{mine_on_loan.pk}/").json()
    assert "1000.00" not in str(detail)
