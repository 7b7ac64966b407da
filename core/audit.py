"""Writing audit rows. Services call ``audit_record`` inside their transaction, with an ``AuditAction``."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db import models

from core.business_date import business_date_get
from core.models import AuditEvent


class AuditAction(StrEnum):
    """What an audit row records (``AuditEvent.action``): every kind of change, and every read of personal data
    the contract says is logged, in one place. The comment says which service writes it.

    Every change a user or the close makes writes exactly one row, in the transaction of the change. Besides
    the trail the bank keeps, the dashboards depend on it: their live figures (open warnings and those closed
    today, margin balances, programme status) are cached under a stamp that holds the newest audit row's id
    (``postloan.dashboards.selectors.common.figures_of``), and nothing else tells the cache that such a
    figure changed during the day. A change that wrote no row would leave every board showing the figures
    from before it for up to an hour (``CACHE_SECONDS``), until some other audited change or the next close.
    ``tests/core/test_audit_actions.py`` drives each member's service and counts its row; a new member
    without that test fails there.
    """

    # core
    # core.api.authentication: token_issue (a new API token) and token_revoke (DELETE /auth/token/)
    API_TOKEN_ISSUE = "api_token_issue"  # noqa: S105 - an action, not a secret
    API_TOKEN_REVOKE = "api_token_revoke"  # noqa: S105 - an action, not a secret
    # partners
    ORG_NODE_CREATE = "org_node_create"  # org_node_create: one node (the branch root, the demo's tree)
    ORG_TREE_LOAD = "org_tree_load"  # org_tree_load: nodes added or renamed from a file
    USER_CREATE = "user_create"  # user_create, user_create_or_update (a new user)
    USER_UPDATE = "user_update"  # user_create_or_update: an existing user's role, node, anchor or password
    FARMER_REGISTER = "farmer_register"  # farmer_register: a farmer first seen one at a time (lists: intake)
    FARMER_IDENTITY_VIEW = "farmer_identity_view"  # farmer_identity_reveal: a full identity number shown
    FARMER_IDENTITY_SEARCH = "farmer_identity_search"  # farmer_identity_search: a search by a full number
    ANCHOR_CREATE = "anchor_create"  # anchor_create
    ANCHOR_STATUS = "anchor_status"  # anchor_approve, anchor_status_set
    ASSESSMENT_ADD = "assessment_add"  # assessment_add: an anchor's guarantee capacity assessed
    AGREEMENT_ADD = "agreement_add"  # agreement_add: a cooperation agreement or guarantee contract
    PROGRAM_CREATE = "program_create"  # program_create
    PROGRAM_SUSPEND = "program_suspend"  # program_suspend: by hand (the breaker's changes ride on the close)
    PROGRAM_RESUME = "program_resume"  # program_resume
    MARGIN_DEPOSIT = "margin_deposit"  # margin_deposit by bank staff: a posted deposit
    MARGIN_WITHDRAWAL = "margin_withdrawal"  # margin_withdraw: a posted withdrawal
    MARGIN_DEDUCTION = "margin_deduction"  # the month-end compensation's deduction from the margin
    MARGIN_DEPOSIT_ANNOUNCE = "margin_deposit_announce"  # margin_deposit by an anchor operator: pending
    MARGIN_DEPOSIT_CONFIRM = "margin_deposit_confirm"  # margin_entry_confirm: an announced deposit posted
    # risk
    PROVIDER_CREATE = "provider_create"  # provider_create: a data provider
    # provider_secret_rotate: the provider's signing secret replaced
    PROVIDER_SECRET_ROTATE = "provider_secret_rotate"  # noqa: S105 - an action, not a secret
    TRADE_RECORDS_IMPORT = "trade_records_import"  # trade_records_import and its push: a delivery of orders
    MONITORING_EVENTS_IMPORT = "monitoring_events_import"  # monitoring_events_import and its push
    OUTBREAK_CREATE = "outbreak_create"  # outbreak_create
    # settlement_accounts_import: a delivery of the core's balances or transactions of the borrowers' accounts
    SETTLEMENT_ACCOUNTS_IMPORT = "settlement_accounts_import"
    ANCHOR_ACCOUNT_ADD = "anchor_account_add"  # anchor_account_add: an anchor's settlement account known
    ANCHOR_ACCOUNT_REMOVE = "anchor_account_remove"  # anchor_account_remove: no longer the anchor's
    # origination
    BATCH_UPLOAD = "batch_upload"  # batch_upload: a farmer list becomes a batch
    BATCH_PROCESS = "batch_process"  # batch_process_finish: cross-validation and limits computed
    BATCH_ROW_DECIDE = "batch_row_decide"  # batch_row_decide: a row approved or refused by hand
    BATCH_SUBMIT = "batch_submit"  # batch_submit
    BATCH_APPROVE = "batch_approve"  # batch_approve: limits granted
    BATCH_REJECT = "batch_reject"  # batch_reject
    IDENTITY_EXPORT = "identity_export"  # origination.exports.row_errors_xlsx: a download with full numbers
    LOAN_DISBURSE = "loan_disburse"  # loan_disburse: a drawdown
    # servicing
    REPAYMENT_RECORD = "repayment_record"  # repayment_record
    LOAN_CLASSIFY = "loan_classify"  # loan_classify: a classification set by hand
    # servicing.anchor_payments: the anchor pays from its own funds, recorded and checked by two people
    ANCHOR_PAYMENT_RECORD = "anchor_payment_record"  # anchor_payment_record
    ANCHOR_PAYMENT_APPROVE = "anchor_payment_approve"  # anchor_payment_approve: applied to demands and claims
    ANCHOR_PAYMENT_REJECT = "anchor_payment_reject"  # anchor_payment_reject
    # servicing.write_off: 核销, proposed by one person, approved by two others
    WRITE_OFF_PROPOSE = "write_off_propose"  # write_off_propose
    WRITE_OFF_APPROVE = "write_off_approve"  # write_off_approve: each of the two approvals
    WRITE_OFF_REJECT = "write_off_reject"  # write_off_reject
    # corebank
    CORE_DEBITS_IMPORT = "core_debits_import"  # debit_file_import: the core system's debit file kept
    # postloan
    WARNING_ACTION = "warning_action"  # warning_action_add: a callback, visit, verification or note
    WARNING_CLOSE = "warning_close"  # warning_close
    POSTDRAWDOWN_CHECK = "postdrawdown_check"  # postdrawdown_check_record
    WARNING_RULE_PARAMETERS_SET = "warning_rule_parameters_set"  # warning_rule_parameters_set, by an administrator
    WARNING_RULE_SETTINGS_SET = "warning_rule_settings_set"  # warning_rule_settings_set: enabled, days to handle
    HOLDINGS_IMPORT = "holdings_import"  # holdings_import: cross-selling holdings from a file
    HOLDING_RECORD = "holding_record"  # holding_record: a holding recorded by hand
    CLOSE_RESUME = "close_resume"  # close_resume_request: a person on the console resumes a close
    STATEMENT_WRITE = "statement_write"  # statement_write: a monthly statement's files kept (the beat or staff)
    # the limit's life after the grant (the close's own freezes and expiries ride on the close)
    LIMIT_FREEZE = "limit_freeze"  # credit_limit_freeze: frozen by a person, with the reason
    LIMIT_UNFREEZE = "limit_unfreeze"  # credit_limit_unfreeze: lifted by a second person
    LIMIT_REDUCE = "limit_reduce"  # credit_limit_reduce: the amount lowered, never below what is drawn
    LIMIT_CLOSE = "limit_close"  # credit_limit_close: closed, e.g. when the anchor leaves the programme
    LIMIT_RENEWAL_START = "limit_renewal_start"  # renewal_batch_create: expiring limits put to a renewal batch
    # programme changes, proposed and approved by two people
    PROGRAM_CHANGE_PROPOSE = "program_change_propose"  # program_change_propose
    PROGRAM_CHANGE_APPROVE = "program_change_approve"  # program_change_approve (applied at its date)
    PROGRAM_CHANGE_REJECT = "program_change_reject"  # program_change_reject, or withdrawn by its proposer
    # accounting: the files exchanged with the core system
    INSTRUCTIONS_EXPORT = "instructions_export"  # instruction_file_generate, or a download of that file
    CONFIRMATIONS_IMPORT = "confirmations_import"  # confirmations_import: the core's answer applied
    JOURNAL_EXPORT = "journal_export"  # journal_file_generate: a day's general-ledger journal
    # campaigns: SMS marketing to the whitelist
    SMS_TEMPLATE_CREATE = "sms_template_create"  # sms_template_create
    SMS_CAMPAIGN_CREATE = "sms_campaign_create"  # campaign_create: made, waiting for a second person
    SMS_CAMPAIGN_APPROVE = "sms_campaign_approve"  # campaign_approve: its messages written and queued
    SMS_CAMPAIGN_REJECT = "sms_campaign_reject"  # campaign_reject
    SMS_OPT_OUT = "sms_opt_out"  # opt_out_record: a phone's reply T through the gateway, or recorded by staff
    # distribution: the lists handed down the tree and their contacts (distribution/services.py)
    OUTREACH_LIST_CREATE = "outreach_list_create"  # outreach_list_for_program: a programme's whitelist as a list
    OUTREACH_LIST_IMPORT = "outreach_list_import"  # outreach_list_import: a list from a file (经营快贷, merchants)
    OUTREACH_LIST_MATCH = "outreach_list_match"  # private_banking_match: the private-banking clients on a list
    WHITELIST_SYNC = "whitelist_sync"  # whitelist_sync: entries added or marked unavailable as limits change
    LIST_ENTRIES_ASSIGN = "list_entries_assign"  # entries_assign: entries handed to a node or a person
    CONTACT_RECORD = "contact_record"  # contact_record: a contact's outcome recorded from the phone
    LIST_ENTRY_PHONE_VIEW = "list_entry_phone_view"  # entry_phone_reveal: the assignee sees the full number
    CALL_LIST_EXPORT = "call_list_export"  # call_list_export: a list with full phone numbers for 95588
    CALL_RESULTS_IMPORT = "call_results_import"  # call_results_import: 95588's results file as contact outcomes
    # network: targets, field research and training (network/services.py)
    NETWORK_TARGET_SET = "network_target_set"  # target_set: a sub-branch's quarter targets set or changed
    OUTLET_VISIT_RECORD = "outlet_visit_record"  # outlet_visit_record: a 蹲点 visit with its follow-up actions
    VISIT_ACTION_DONE = "visit_action_done"  # visit_action_complete: a follow-up action done
    TRAINING_RECORD = "training_record"  # training_record: a training session and its attendees
    TRAINING_FEEDBACK = "training_feedback"  # training_feedback_give: an attendee's rating and comment


def audit_record(*, actor: Any, action: AuditAction, subject: models.Model, **data: Any) -> AuditEvent:
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    return AuditEvent.objects.create(
        actor_id=actor_id,
        action=AuditAction(action),  # an action that is no member fails here, where it is written
        object_type=subject._meta.label_lower,
        object_id=str(subject.pk),
        business_date=business_date_get(),
        data={key: _jsonable(value) for key, value in data.items()},
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)
