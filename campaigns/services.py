"""Every change of the campaigns: templates, a campaign made and approved or rejected, opt-outs, receipts.

A campaign is made by one person and decided by another (maker-checker). Its approval writes, in the same
transaction, one message per farmer of the audience at that moment, each with its text rendered and its
idempotency key (``c<campaign>-f<farmer>``); farmers who opted out or are at the marketing cap are written
with that status, so that the progress shows them. The messages go out afterwards (``campaigns.sending``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, Message, OptOut, SmsTemplate
from campaigns.rendering import TemplateProblem, template_check
from campaigns.selectors import audience_rows, campaign_audience, capped_farmers, message_text
from core.audit import AuditAction, audit_record
from core.bulk import copy_rows
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.permissions import require_other_person, require_role
from core.roles import Role
from partners.models import Anchor, OrgNode, Program, User
from partners.scoping import home_node

MAKER_ROLES = (Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER, Role.ADMINISTRATOR)
CHECKER_ROLES = (Role.BRANCH_MANAGER, Role.ADMINISTRATOR)
OPT_OUT_WORDS = frozenset({"T", "TD", "退订", "N"})
PHONE = re.compile(r"1[3-9]\d{9}")


def idempotency_key(campaign_id: int, farmer_id: int) -> str:
    """The message's key: the gateway drops a second request with it, the table a second row."""
    return f"c{campaign_id}-f{farmer_id}"


@transaction.atomic
def sms_template_create(*, name: str, body: str, actor: User) -> SmsTemplate:
    """Keep a template after checking its words (known variables only, no sender of its own, not too long)."""
    require_role(actor, *MAKER_ROLES)
    name, body = name.strip(), body.strip()
    if not name:
        raise DomainError(ErrorCode.NAME_REQUIRED, _("Give the template a name."), field="name")
    try:
        template_check(body)
    except TemplateProblem as exc:
        raise DomainError(
            ErrorCode.INVALID_TEMPLATE,
            _("Use only the listed variables, at most 300 characters, no sender in 【】 (it is added)."),
            field="body",
            problem=str(exc),
        ) from None
    template = SmsTemplate.objects.create(name=name, body=body, created_by=actor)
    audit_record(actor=actor, action=AuditAction.SMS_TEMPLATE_CREATE, subject=template, name=name)
    return template


@transaction.atomic
def campaign_create(
    *,
    name: str,
    template: SmsTemplate,
    actor: User,
    org_node: OrgNode | None = None,
    program: Program | None = None,
    anchor: Anchor | None = None,
    min_amount: Decimal | None = None,
    max_amount: Decimal | None = None,
    send_after: dt.datetime | None = None,
) -> Campaign:
    """Make a campaign (its audience's filters and start time); it waits for a second person's approval."""
    require_role(actor, *MAKER_ROLES)
    own = home_node(actor)
    if own is None:
        raise DomainError(ErrorCode.ORG_NODE_REQUIRED, _("You have no node to send from."))
    node = org_node or own
    if not (actor.is_superuser or actor.role == Role.ADMINISTRATOR) and not node.path.startswith(own.path):
        raise DomainError(ErrorCode.NOT_FOUND, _("That node is outside your reach."), status=404, field="org_node")
    if not name.strip():
        raise DomainError(ErrorCode.NAME_REQUIRED, _("Give the campaign a name."), field="name")
    for amount, field in ((min_amount, "min_amount"), (max_amount, "max_amount")):
        if amount is not None and amount <= 0:
            raise DomainError(ErrorCode.INVALID_AMOUNT, _("A limit amount must be above zero."), field=field)
    if min_amount is not None and max_amount is not None and min_amount > max_amount:
        raise DomainError(
            ErrorCode.INVALID_AMOUNT, _("The lower limit amount is above the upper one."), field="max_amount"
        )
    campaign = Campaign.objects.create(
        name=name.strip(),
        template=template,
        org_node=node,
        program=program,
        anchor=anchor,
        min_amount=min_amount,
        max_amount=max_amount,
        send_after=send_after,
        created_by=actor,
    )
    audit_record(actor=actor, action=AuditAction.SMS_CAMPAIGN_CREATE, subject=campaign, name=campaign.name)
    return campaign


def _locked_pending(campaign: Campaign) -> Campaign:
    locked = Campaign.objects.select_for_update().select_related("template", "org_node").get(pk=campaign.pk)
    if locked.status != Campaign.Status.PENDING_APPROVAL:
        raise DomainError(
            ErrorCode.INVALID_STATUS, _("This campaign has already been decided."), status=409, status_now=locked.status
        )
    return locked


def campaign_messages_write(campaign: Campaign, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Write the campaign's messages, one per farmer of its audience (``COPY``), and count them by status.

    The caller holds the transaction (``campaign_approve``). Opted-out phones and capped farmers are written
    with their status, the others pending. A farmer is written once: the table's unique key says so too.
    """
    now = now or timezone.now()
    rows = list(audience_rows(campaign).iterator(chunk_size=10_000))
    # Opt-outs and capped farmers of this audience: each one query over the audience, not a list of 100,000.
    audience_phones = campaign_audience(campaign).values("farmer__phone")
    opted = set(OptOut.objects.filter(phone__in=audience_phones).values_list("phone", flat=True)) if rows else set()
    capped = set(capped_farmers(now=now).values_list("farmer_id", flat=True)) if rows else set()
    counts = {"pending": 0, "opted_out": 0, "capped": 0}

    def lines() -> Iterable[tuple[Any, ...]]:
        for row in rows:
            farmer_id, phone = row[0], row[2]
            if phone in opted:
                status = Message.Status.OPTED_OUT
            elif farmer_id in capped:
                status = Message.Status.CAPPED
            else:
                status = Message.Status.PENDING
            counts[status.value] += 1
            yield (
                campaign.pk,
                farmer_id,
                phone,
                message_text(campaign, row),
                idempotency_key(campaign.pk, farmer_id),
                status.value,
                0,
                "",
                "",
            )

    copy_rows(
        Message._meta.db_table,
        [
            "campaign_id",
            "farmer_id",
            "phone",
            "text",
            "idempotency_key",
            "status",
            "attempts",
            "last_error",
            "gateway_message_id",
        ],
        lines(),
    )
    counts["total"] = len(rows)
    return counts


@transaction.atomic
def campaign_approve(*, campaign: Campaign, actor: User) -> Campaign:
    """The second person approves: the messages are written now and the sending task is queued."""
    require_role(actor, *CHECKER_ROLES)
    locked = _locked_pending(campaign)
    require_other_person(actor, locked.created_by, _("A campaign"))
    now = timezone.now()
    counts = campaign_messages_write(locked, now=now)
    locked.status = Campaign.Status.SENDING if counts["pending"] else Campaign.Status.DONE
    locked.decided_by = actor
    locked.decided_at = now
    locked.finished_at = None if counts["pending"] else now
    locked.save(update_fields=["status", "decided_by", "decided_at", "finished_at"])
    audit_record(actor=actor, action=AuditAction.SMS_CAMPAIGN_APPROVE, subject=locked, **counts)
    if counts["pending"]:
        from campaigns.tasks import campaign_send_task

        campaign_id = locked.pk
        transaction.on_commit(lambda: campaign_send_task.delay(campaign_id))
    return locked


@transaction.atomic
def campaign_reject(*, campaign: Campaign, actor: User, reason: str) -> Campaign:
    """The second person sends the campaign back, saying why; nothing is sent."""
    require_role(actor, *CHECKER_ROLES)
    if not reason.strip():
        raise DomainError(ErrorCode.REASON_REQUIRED, _("Say why the campaign is rejected."), field="reason")
    locked = _locked_pending(campaign)
    require_other_person(actor, locked.created_by, _("A campaign"))
    locked.status = Campaign.Status.REJECTED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.reject_reason = reason.strip()[:500]
    locked.save(update_fields=["status", "decided_by", "decided_at", "reject_reason"])
    audit_record(actor=actor, action=AuditAction.SMS_CAMPAIGN_REJECT, subject=locked, reason=locked.reject_reason)
    return locked


@transaction.atomic
def opt_out_record(*, phone: str, source: str, actor: User | None = None) -> tuple[OptOut, bool]:
    """Record that a phone wants no more marketing; its waiting messages are taken out. Idempotent.

    Returns the opt-out and whether it is new (a phone already opted out writes nothing).
    """
    if actor is not None:
        require_role(actor, *MAKER_ROLES)
    phone = phone.strip()
    if not PHONE.fullmatch(phone):
        raise DomainError(ErrorCode.INVALID_PHONE, _("Enter an 11-digit mainland mobile number."), field="phone")
    opt_out, created = OptOut.objects.get_or_create(phone=phone, defaults={"source": source, "recorded_by": actor})
    if created:
        withdrawn = Message.objects.filter(phone=phone, status=Message.Status.PENDING).update(
            status=Message.Status.OPTED_OUT
        )
        audit_record(actor=actor, action=AuditAction.SMS_OPT_OUT, subject=opt_out, source=source, withdrawn=withdrawn)
    return opt_out, created


def receipts_apply(receipts: Iterable[Mapping[str, Any]], *, now: dt.datetime | None = None) -> dict[str, int]:
    """Apply the gateway's delivery receipts to the campaign messages they name, in one statement. Idempotent.

    A receipt is ``{"message_id", "status": "delivered" | "failed", "error"?}``; a message that was sent
    becomes delivered or failed, and the same receipt again changes nothing. Receipts for ids no campaign
    message carries are returned as ``unknown`` (the outbox's notifications take theirs in
    ``origination.outbox``).
    """
    now = now or timezone.now()
    by_status: dict[str, dict[str, str]] = {"delivered": {}, "failed": {}}
    for receipt in receipts:
        status = str(receipt.get("status", ""))
        message_id = str(receipt.get("message_id", ""))
        if status in by_status and message_id:
            by_status[status][message_id] = str(receipt.get("error", ""))[:500]
    applied = known = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for status, receipts_of in by_status.items():
            if not receipts_of:
                continue
            ids = list(receipts_of)
            cursor.execute(
                f"""
                UPDATE {Message._meta.db_table} m
                   SET status = %s, receipt_at = %s,
                       last_error = CASE WHEN %s = 'failed' THEN r.error ELSE '' END
                  FROM unnest(%s::text[], %s::text[]) AS r(message_id, error)
                 WHERE m.gateway_message_id = r.message_id
                   AND m.status IN ('sent', 'delivered', 'failed')
                   AND m.status <> %s
                """,
                [status, now, status, ids, [receipts_of[i] for i in ids], status],
            )
            applied += cursor.rowcount
            known += Message.objects.filter(gateway_message_id__in=ids).count()
    total = sum(len(r) for r in by_status.values())
    return {"applied": applied, "known": known, "unknown": total - known}


def inbound_apply(replies: Iterable[Mapping[str, Any]]) -> int:
    """Replies that came in through the gateway: a ``T`` (or 退订) is an opt-out of that phone. Returns how many new."""
    new = 0
    for reply in replies:
        text = str(reply.get("text", "")).strip().upper()
        phone = str(reply.get("from", "")).strip()
        if text in OPT_OUT_WORDS and PHONE.fullmatch(phone):
            _opt_out, created = opt_out_record(phone=phone, source=OptOut.Source.GATEWAY)
            new += int(created)
    return new
