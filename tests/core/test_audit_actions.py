"""Each audited change writes exactly one audit row with its action, through the service that makes it.

The dashboards' live figures are cached under the newest audit row's id (``core.audit.AuditAction``): a change
that wrote no row would leave the boards stale. So every ``AuditAction`` has a scenario here that drives its
real service, and a member without one fails ``test_every_audit_action_has_its_scenario``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from core.audit import AuditAction
from core.models import AuditEvent
from tests.core.audit_scenarios import FARMER_LIST, NEW_FARMER, SCENARIOS, Act, World, scenario, scenario_modules_load
from tests.core.audit_scenarios import users as _users
from tests.factories import (
    PASSWORD,
    SOUND_BOOK_DAY,
    make_anchor,
    make_anchor_operator,
    make_program,
)

# --- core ---------------------------------------------------------------------------------------------------


@scenario(AuditAction.API_TOKEN_ISSUE)
def _token_issue(world: World) -> Act:
    from core.api.authentication import token_issue

    return lambda: token_issue(user=_users(world)["manager"])


@scenario(AuditAction.API_TOKEN_REVOKE)
def _token_revoke(world: World) -> Act:
    from core.api.authentication import token_issue, token_revoke

    token_issue(user=_users(world)["manager"])
    return lambda: token_revoke(user=_users(world)["manager"])


# --- partners -----------------------------------------------------------------------------------------------


@scenario(AuditAction.ORG_NODE_CREATE)
def _org_node_create(world: World) -> Act:
    from partners.models import OrgNode
    from partners.services.org import org_node_create

    sub_branch = OrgNode.objects.get(code="SA")
    return lambda: org_node_create(
        code="OD", name="郫都网点", kind=OrgNode.Kind.OUTLET, parent=sub_branch, actor=_users(world)["admin"]
    )


@scenario(AuditAction.FARMER_REGISTER)
def _farmer_register(world: World) -> Act:
    from partners.models import OrgNode
    from partners.services.farmers import farmer_register

    return lambda: farmer_register(
        name="李新户",
        id_number=NEW_FARMER,
        phone="13912345678",
        org_node=OrgNode.objects.get(code="OA"),
        today=SOUND_BOOK_DAY,
        actor=_users(world)["manager"],
    )


@scenario(AuditAction.ORG_TREE_LOAD)
def _org_tree_load(world: World) -> Act:
    from partners.services.org import org_tree_load

    content = "code,name,kind,parent_code,sub_branch_class\nOC,新都网点,outlet,SA,\n".encode()
    return lambda: org_tree_load(content=content, filename="机构.csv", actor=_users(world)["admin"])


@scenario(AuditAction.USER_CREATE)
def _user_create(world: World) -> Act:
    from partners.services.users import user_create_or_update

    return lambda: user_create_or_update(username="newcomer", password=PASSWORD, role="account_manager")


@scenario(AuditAction.USER_UPDATE)
def _user_update(world: World) -> Act:
    from partners.services.users import user_create_or_update

    return lambda: user_create_or_update(username="manager", password=PASSWORD, role="risk_approver")


@scenario(AuditAction.FARMER_IDENTITY_VIEW)
def _identity_view(world: World) -> Act:
    from partners.services.farmers import farmer_identity_reveal

    return lambda: farmer_identity_reveal(farmer=world["farmer"], actor=_users(world)["manager"])


@scenario(AuditAction.FARMER_IDENTITY_SEARCH)
def _identity_search(world: World) -> Act:
    from partners.services.farmers import farmer_identity_search

    number = world["farmer"].id_number
    return lambda: farmer_identity_search(actor=_users(world)["manager"], id_number=number, limit=10)


@scenario(AuditAction.ANCHOR_CREATE)
def _anchor_create(world: World) -> Act:
    return lambda: make_anchor(_users(world)["manager"], name="温氏集团")


@scenario(AuditAction.ANCHOR_STATUS)
def _anchor_status(world: World) -> Act:
    from partners.services.anchors import anchor_approve

    anchor = make_anchor(_users(world)["manager"], name="温氏集团")
    return lambda: anchor_approve(anchor=anchor, actor=_users(world)["approver"])


@scenario(AuditAction.ASSESSMENT_ADD)
def _assessment_add(world: World) -> Act:
    from partners.services.anchors import assessment_add

    return lambda: assessment_add(
        anchor=world["program"].anchor,
        actor=_users(world)["approver"],
        assessed_on=SOUND_BOOK_DAY,
        guarantee_capacity=Decimal("450000000"),
    )


@scenario(AuditAction.AGREEMENT_ADD)
def _agreement_add(world: World) -> Act:
    from partners.services.anchors import agreement_add

    return lambda: agreement_add(
        anchor=world["program"].anchor,
        actor=_users(world)["manager"],
        kind="cooperation",
        number="HZ-2027-001",
        signed_on=SOUND_BOOK_DAY,
        expires_on=SOUND_BOOK_DAY + dt.timedelta(days=365),
    )


@scenario(AuditAction.PROGRAM_CREATE)
def _program_create(world: World) -> Act:
    return lambda: make_program(world["program"].anchor, _users(world)["approver"])


@scenario(AuditAction.PROGRAM_SUSPEND)
def _program_suspend(world: World) -> Act:
    from partners.services.programs import program_suspend

    return lambda: program_suspend(program=world["program"], actor=_users(world)["approver"], reason="龙头企业涉诉")


@scenario(AuditAction.PROGRAM_RESUME)
def _program_resume(world: World) -> Act:
    from partners.services.programs import program_resume, program_suspend

    program_suspend(program=world["program"], actor=_users(world)["approver"], reason="龙头企业涉诉")
    return lambda: program_resume(
        program=world["program"], actor=_users(world)["approver2"], assessment="诉讼已和解，担保能力未受影响。"
    )


@scenario(AuditAction.MARGIN_DEPOSIT)
def _margin_deposit(world: World) -> Act:
    from partners.services.margin import margin_deposit

    return lambda: margin_deposit(program=world["program"], amount=Decimal("1000.00"), actor=_users(world)["manager"])


@scenario(AuditAction.MARGIN_WITHDRAWAL)
def _margin_withdrawal(world: World) -> Act:
    from origination.services.margin import margin_withdraw
    from partners.services.margin import margin_deposit

    margin_deposit(program=world["program"], amount=Decimal("10000.00"), actor=_users(world)["manager"])
    return lambda: margin_withdraw(program=world["program"], amount=Decimal("100.00"), actor=_users(world)["manager"])


@scenario(AuditAction.MARGIN_DEDUCTION)
def _margin_deduction(world: World) -> Act:
    """The month-end compensation takes what a loan has overdue out of the anchor's margin."""
    from core.business_date import business_date_set
    from origination.models import Loan
    from servicing.compensation import compensate_month_end

    month_end = dt.date(2027, 6, 30)
    business_date_set(new_date=month_end, backwards_allowed=True)
    Loan.objects.filter(pk=world["loan"].pk).update(
        interest_overdue=Decimal("120.00"), oldest_due_date=dt.date(2027, 6, 20)
    )
    return lambda: compensate_month_end(month_end)


@scenario(AuditAction.MARGIN_DEPOSIT_ANNOUNCE)
def _margin_announce(world: World) -> Act:
    from partners.services.margin import margin_deposit

    operator = make_anchor_operator("operator", world["program"].anchor)
    return lambda: margin_deposit(program=world["program"], amount=Decimal("1000.00"), actor=operator)


@scenario(AuditAction.MARGIN_DEPOSIT_CONFIRM)
def _margin_confirm(world: World) -> Act:
    from partners.services.margin import margin_deposit, margin_entry_confirm

    operator = make_anchor_operator("operator", world["program"].anchor)
    entry = margin_deposit(program=world["program"], amount=Decimal("1000.00"), actor=operator)
    return lambda: margin_entry_confirm(entry=entry, actor=_users(world)["manager"])


# --- risk ---------------------------------------------------------------------------------------------------


@scenario(AuditAction.PROVIDER_CREATE)
def _provider_create(world: World) -> Act:
    from risk.services.providers import provider_create

    return lambda: provider_create(name="天眼数据", code="tianyan", actor=_users(world)["admin"])


@scenario(AuditAction.PROVIDER_SECRET_ROTATE)
def _provider_rotate(world: World) -> Act:
    from risk.services.providers import provider_create, provider_secret_rotate

    provider = provider_create(name="天眼数据", code="tianyan", actor=_users(world)["admin"])
    return lambda: provider_secret_rotate(provider=provider, actor=_users(world)["admin"])


@scenario(AuditAction.TRADE_RECORDS_IMPORT)
def _trades_import(world: World) -> Act:
    from risk.services.deliveries import trade_records_import

    content = f"身份证号,订单号,订单日期,订单金额\n{world['farmer'].id_number},NEW-1,2027-06-01,12000\n".encode()
    return lambda: trade_records_import(
        anchor=world["program"].anchor, content=content, filename="订单.csv", actor=_users(world)["manager"]
    )


@scenario(AuditAction.MONITORING_EVENTS_IMPORT)
def _events_import(world: World) -> Act:
    from risk.services.deliveries import monitoring_events_import

    content = (
        f"主体证件号,事件类型,事件日期,数值,详情,事件编号\n{world['farmer'].id_number},litigation,2027-06-01,,,EV-1\n"
    ).encode()
    return lambda: monitoring_events_import(content=content, filename="监测.csv", actor=_users(world)["manager"])


@scenario(AuditAction.OUTBREAK_CREATE)
def _outbreak_create(world: World) -> Act:
    from risk.services.outbreaks import outbreak_create

    return lambda: outbreak_create(
        actor=_users(world)["approver"], region_code="511521", disease="非洲猪瘟", declared_on=SOUND_BOOK_DAY
    )


# --- origination --------------------------------------------------------------------------------------------


def _batch_upload(world: World) -> Any:
    from origination.services.intake import Upload, batch_upload

    content = (FARMER_LIST + f"乙,{NEW_FARMER},13812345679,50000,300000,80\n").encode()
    return batch_upload(
        program=world["program"], actor=_users(world)["manager"], farmer_list=Upload(content=content, name="名单.csv")
    )


def _batch_process(world: World, batch: Any) -> Any:
    from origination.services.processing import batch_chunk_process, batch_process_finish, batch_process_start

    for chunk in batch_process_start(batch=batch, actor=_users(world)["manager"]):
        batch_chunk_process(chunk)
    return batch_process_finish(batch_id=batch.pk, actor=_users(world)["manager"])


def _batch_submitted(world: World) -> Any:
    from origination.services.approval import batch_submit

    batch = _batch_process(world, _batch_upload(world))
    return batch_submit(batch=batch, actor=_users(world)["manager"])


@scenario(AuditAction.BATCH_UPLOAD)
def _upload(world: World) -> Act:
    return lambda: _batch_upload(world)


@scenario(AuditAction.BATCH_PROCESS)
def _process(world: World) -> Act:
    batch = _batch_upload(world)
    return lambda: _batch_process(world, batch)


@scenario(AuditAction.BATCH_ROW_DECIDE)
def _row_decide(world: World) -> Act:
    from origination.services.approval import Decision, batch_row_decide

    batch = _batch_process(world, _batch_upload(world))
    decision = Decision(row=2, approve=False, reason="订单无法核实")
    return lambda: batch_row_decide(batch=batch, actor=_users(world)["approver"], decision=decision)


@scenario(AuditAction.BATCH_SUBMIT)
def _submit(world: World) -> Act:
    from origination.services.approval import batch_submit

    batch = _batch_process(world, _batch_upload(world))
    return lambda: batch_submit(batch=batch, actor=_users(world)["manager"])


@scenario(AuditAction.BATCH_APPROVE)
def _approve(world: World) -> Act:
    from origination.services.approval import batch_approve

    batch = _batch_submitted(world)
    return lambda: batch_approve(batch=batch, actor=_users(world)["approver"])


@scenario(AuditAction.BATCH_REJECT)
def _reject(world: World) -> Act:
    from origination.services.approval import batch_reject

    batch = _batch_submitted(world)
    return lambda: batch_reject(batch=batch, actor=_users(world)["approver"], reason="名单需补充材料")


@scenario(AuditAction.IDENTITY_EXPORT)
def _identity_export(world: World) -> Act:
    from origination.exports import row_errors_xlsx

    farmer = world["farmer"]
    errors = [
        {
            "row": 2,
            "column": "phone",
            "code": "invalid_phone",
            "detail": "不是手机号",
            "original": {"name": farmer.name, "id_number": farmer.id_number, "phone": "12345"},
        }
    ]
    return lambda: row_errors_xlsx("错误.xlsx", errors, actor=_users(world)["approver"], subject=world["program"])


@scenario(AuditAction.LOAN_DISBURSE)
def _disburse(world: World) -> Act:
    from origination.services.drawdown import loan_disburse
    from partners.services.margin import margin_deposit

    margin_deposit(program=world["program"], amount=Decimal("10000.00"), actor=_users(world)["manager"])
    return lambda: loan_disburse(
        credit_limit=world["limit"], amount=Decimal("1000.00"), term_months=3, actor=_users(world)["manager"]
    )


# --- servicing ----------------------------------------------------------------------------------------------


@scenario(AuditAction.REPAYMENT_RECORD)
def _repayment(world: World) -> Act:
    from servicing.services.repayments import repayment_record

    return lambda: repayment_record(loan=world["loan"], amount=Decimal("100.00"), actor=_users(world)["manager"])


@scenario(AuditAction.LOAN_CLASSIFY)
def _classify(world: World) -> Act:
    from servicing.services.repayments import loan_classify

    return lambda: loan_classify(
        loan=world["loan"], classification="special_mention", reason="养殖场受灾", actor=_users(world)["approver"]
    )


# --- postloan -----------------------------------------------------------------------------------------------


def _open_warning(world: World) -> Any:
    from postloan.models import RiskWarning, WarningRule
    from postloan.warning_run import rules_ensure

    rules_ensure()
    rule = WarningRule.objects.get(code="INTEREST_OVERDUE")
    return RiskWarning.objects.create(
        rule=rule,
        subject_type=rule.subject_type,
        subject_id=world["loan"].pk,
        severity=rule.severity,
        org_node=world["farmer"].org_node,
        assignee=_users(world)["manager"],
        raised_on=SOUND_BOOK_DAY,
        deadline=SOUND_BOOK_DAY + dt.timedelta(days=3),
    )


@scenario(AuditAction.WARNING_ACTION)
def _warning_action(world: World) -> Act:
    from postloan.services import warning_action_add

    warning = _open_warning(world)
    return lambda: warning_action_add(warning=warning, actor=_users(world)["manager"], kind="callback", note="已回访")


@scenario(AuditAction.WARNING_CLOSE)
def _warning_close(world: World) -> Act:
    from postloan.services import warning_action_add, warning_close

    warning = _open_warning(world)
    warning_action_add(warning=warning, actor=_users(world)["manager"], kind="callback", note="已回访")
    return lambda: warning_close(
        warning=warning, actor=_users(world)["manager"], resolution="false_alarm", reason="利息已补缴"
    )


@scenario(AuditAction.POSTDRAWDOWN_CHECK)
def _postdrawdown_check(world: World) -> Act:
    from postloan.services import postdrawdown_check_record

    return lambda: postdrawdown_check_record(
        loan=world["loan"], actor=_users(world)["manager"], kind="phone_callback", result="ok"
    )


@scenario(AuditAction.WARNING_RULE_PARAMETERS_SET)
def _rule_parameters_set(world: World) -> Act:
    from postloan.models import WarningRule
    from postloan.services import warning_rule_parameters_set
    from postloan.warning_run import rules_ensure

    rules_ensure()
    rule = WarningRule.objects.get(code="MATURITY_SOON")
    return lambda: warning_rule_parameters_set(rule=rule, actor=_users(world)["admin"], parameters={"days": 45})


@scenario(AuditAction.WARNING_RULE_SETTINGS_SET)
def _rule_settings_set(world: World) -> Act:
    from postloan.models import WarningRule
    from postloan.services import warning_rule_settings_set
    from postloan.warning_run import rules_ensure

    rules_ensure()
    rule = WarningRule.objects.get(code="MATURITY_SOON")
    return lambda: warning_rule_settings_set(rule=rule, actor=_users(world)["admin"], enabled=False, deadline_days=5)


@scenario(AuditAction.HOLDINGS_IMPORT)
def _holdings_import(world: World) -> Act:
    from postloan.dashboards.services import holdings_import

    content = f"身份证号,产品代码,开通日期\n{world['farmer'].id_number},DEBIT_CARD,2027-05-05\n".encode()
    return lambda: holdings_import(actor=_users(world)["manager"], content=content, filename="开通.csv")


@scenario(AuditAction.HOLDING_RECORD)
def _holding_record(world: World) -> Act:
    from partners.models import Product
    from postloan.dashboards.services import holding_record

    product = Product.objects.get(code="DEBIT_CARD")
    return lambda: holding_record(
        actor=_users(world)["manager"], farmer=world["farmer"], product=product, opened_on=dt.date(2027, 5, 5)
    )


scenario_modules_load()


# --- the checks ---------------------------------------------------------------------------------------------


def test_every_audit_action_has_its_scenario():
    """A new action needs its scenario below: without it nothing shows that its service writes the row."""
    assert set(AuditAction) - set(SCENARIOS) == set()


@pytest.mark.parametrize("action", list(AuditAction), ids=str)
def test_the_service_of_each_action_writes_exactly_one_audit_row_with_it(world, action):
    act = SCENARIOS[action](world)
    newest_before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    act()

    written = AuditEvent.objects.filter(id__gt=newest_before)
    assert list(written.filter(action=action).values_list("action", flat=True)) == [action.value]
    row = written.get(action=action)
    assert row.object_type and row.object_id
    assert row.business_date is not None
