"""Audit scenarios of the settlement accounts (结算账户): the core's files imported, the anchor's accounts kept."""

from __future__ import annotations

from core.audit import AuditAction
from tests.core.audit_scenarios import Act, World, scenario, users


@scenario(AuditAction.SETTLEMENT_ACCOUNTS_IMPORT)
def _accounts_import(world: World) -> Act:
    from risk.services.accounts import settlement_accounts_import

    content = f"账号,身份证号,余额日期,余额\n6228480001,{world['farmer'].id_number},2027-06-01,1200\n".encode()
    return lambda: settlement_accounts_import(
        kind="balances", content=content, filename="余额.csv", actor=users(world)["manager"]
    )


@scenario(AuditAction.ANCHOR_ACCOUNT_ADD)
def _anchor_account_add(world: World) -> Act:
    from risk.services.accounts import anchor_account_add

    anchor = world["program"].anchor
    return lambda: anchor_account_add(anchor=anchor, account_no="4402 0000 1111", actor=users(world)["approver"])


@scenario(AuditAction.ANCHOR_ACCOUNT_REMOVE)
def _anchor_account_remove(world: World) -> Act:
    from risk.services.accounts import anchor_account_add, anchor_account_remove

    approver = users(world)["approver"]
    account = anchor_account_add(anchor=world["program"].anchor, account_no="440200001111", actor=approver)
    return lambda: anchor_account_remove(account=account, actor=approver)
