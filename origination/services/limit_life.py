"""The credit limit's life after its grant: frozen, unfrozen, reduced, closed, and the close's freezes.

Who may do what (the bank's rule, decided here):

- **freeze**: an account manager or a risk approver. Stopping the lending protects the bank, so whoever
  looks after the farmer acts at once, with a written reason. Branch managers read the book and the
  dashboards and take no credit action; an anchor operator acts on no limit.
- **unfreeze**: a risk approver, never the person who froze it (four eyes). A limit the close froze on an
  adverse event (``frozen_by`` empty) may be lifted by any risk approver.
- **reduce** and **close**: a risk approver, with a written reason (they change a granted credit decision;
  both only lower the bank's risk, so one person suffices). A limit is never reduced below the principal
  its loans have drawn; a closed limit (the anchor left the programme, the farmer asked…) lends nothing
  again, while its loans run to maturity.

Every change writes one ``CreditLimitChange`` (who, the business date, why, what it changed) and, when a
person made it, one audit row. The close's own changes (its freezes here, the expiries in
``servicing.settlement.expire_limits``) are recorded with no actor and ride on the close's record.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.money import format_yuan, money
from core.permissions import require_other_person, require_role
from core.roles import Role
from origination.figures import limit_outstanding
from origination.models import CreditLimit, CreditLimitChange, Notification
from origination.outbox import notifications_send
from partners.models import Farmer, Program, User
from risk.models import EventType, MonitoringEvent, ProviderDelivery

FREEZE_ROLES = (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER)
UNFREEZE_ROLES = (Role.RISK_APPROVER,)
CHANGE_ROLES = (Role.RISK_APPROVER,)  # reduce and close
# The provider's records that freeze a farmer's limits when they arrive (screening refuses on the same).
ADVERSE_EVENTS = (EventType.DISHONEST, EventType.ENFORCEMENT, EventType.CREDIT_OVERDUE)

Status = CreditLimit.Status
Kind = CreditLimitChange.Kind


def _reason_required(reason: str, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise DomainError(ErrorCode.REASON_REQUIRED, what, field="reason")
    return text


def _locked(limit: CreditLimit) -> CreditLimit:
    return CreditLimit.objects.select_for_update().get(pk=limit.pk)


def _is_live(limit: CreditLimit, today: dt.date) -> bool:
    """Live (active or frozen) and not past its expiry: what a person may still freeze, reduce or close."""
    return limit.status in CreditLimit.LIVE_STATUSES and limit.expires_on > today


def _change_record(
    limit: CreditLimit,
    *,
    kind: str,
    from_status: str,
    actor: User | None,
    today: dt.date,
    reason: str,
    from_amount: Decimal | None = None,
) -> CreditLimitChange:
    return CreditLimitChange.objects.create(
        credit_limit=limit,
        kind=kind,
        from_status=from_status,
        to_status=limit.status,
        from_amount=from_amount,
        to_amount=limit.amount if from_amount is not None else None,
        actor=actor,
        business_date=today,
        reason=reason,
    )


@transaction.atomic
def credit_limit_freeze(*, credit_limit: CreditLimit, actor: User, reason: str) -> CreditLimit:
    """Stop a live limit from lending until a second person lifts the freeze."""
    require_role(actor, *FREEZE_ROLES)
    text = _reason_required(reason, _("Say why the limit is frozen."))
    limit, today = _locked(credit_limit), business_date_get()
    if limit.status == Status.FROZEN:
        raise DomainError(ErrorCode.INVALID_STATUS, _("This credit limit is already frozen."))
    if not _is_live(limit, today):
        raise DomainError(ErrorCode.INVALID_STATUS, _("This credit limit has expired or is closed: nothing to freeze."))
    limit.status, limit.frozen_by = Status.FROZEN, actor
    limit.save(update_fields=["status", "frozen_by", "updated_at"])
    change = _change_record(limit, kind=Kind.FROZEN, from_status=Status.ACTIVE, actor=actor, today=today, reason=text)
    audit_record(actor=actor, action=AuditAction.LIMIT_FREEZE, subject=limit, change=change.pk, reason=text)
    return limit


@transaction.atomic
def credit_limit_unfreeze(*, credit_limit: CreditLimit, actor: User, reason: str) -> CreditLimit:
    """Lift a freeze: a risk approver other than the person who froze it (any, if the close froze it)."""
    require_role(actor, *UNFREEZE_ROLES)
    text = _reason_required(reason, _("Say why the freeze is lifted."))
    limit, today = _locked(credit_limit), business_date_get()
    if limit.status != Status.FROZEN:
        raise DomainError(ErrorCode.INVALID_STATUS, _("Only a frozen credit limit can be unfrozen."))
    if limit.expires_on <= today:
        raise DomainError(ErrorCode.INVALID_STATUS, _("This credit limit has expired: it cannot lend again."))
    require_other_person(actor, limit.frozen_by, _("A freeze"))
    limit.status, limit.frozen_by = Status.ACTIVE, None
    limit.save(update_fields=["status", "frozen_by", "updated_at"])
    change = _change_record(limit, kind=Kind.UNFROZEN, from_status=Status.FROZEN, actor=actor, today=today, reason=text)
    audit_record(actor=actor, action=AuditAction.LIMIT_UNFREEZE, subject=limit, change=change.pk, reason=text)
    return limit


@transaction.atomic
def credit_limit_reduce(*, credit_limit: CreditLimit, actor: User, amount: Decimal, reason: str) -> CreditLimit:
    """Lower a live limit, never below what its loans have drawn (a frozen one stays frozen)."""
    require_role(actor, *CHANGE_ROLES)
    text = _reason_required(reason, _("Say why the limit is reduced."))
    limit, today = _locked(credit_limit), business_date_get()
    if not _is_live(limit, today):
        raise DomainError(ErrorCode.INVALID_STATUS, _("This credit limit has expired or is closed: nothing to reduce."))
    new_amount = money(amount)
    if new_amount <= 0 or new_amount >= limit.amount:
        raise DomainError(
            ErrorCode.INVALID_AMOUNT,
            _("The new limit must be above zero and below the present one, %(amount)s yuan.")
            % {"amount": format_yuan(limit.amount)},
            field="amount",
        )
    drawn = limit_outstanding(limit.pk)
    if new_amount < drawn:
        raise DomainError(
            ErrorCode.BELOW_DRAWN,
            _("Its loans have drawn %(drawn)s yuan: the limit cannot be lower than that.")
            % {"drawn": format_yuan(drawn)},
            field="amount",
            drawn=f"{drawn:.2f}",
        )
    before = limit.amount
    limit.amount = new_amount
    limit.save(update_fields=["amount", "updated_at"])
    change = _change_record(
        limit, kind=Kind.REDUCED, from_status=limit.status, actor=actor, today=today, reason=text, from_amount=before
    )
    audit_record(
        actor=actor, action=AuditAction.LIMIT_REDUCE, subject=limit, change=change.pk, before=before, after=new_amount
    )
    return limit


@transaction.atomic
def credit_limit_close(*, credit_limit: CreditLimit, actor: User, reason: str) -> CreditLimit:
    """Close a live limit for good (e.g. the anchor leaves the programme); its loans run to maturity."""
    require_role(actor, *CHANGE_ROLES)
    text = _reason_required(reason, _("Say why the limit is closed."))
    limit, today = _locked(credit_limit), business_date_get()
    if not _is_live(limit, today):
        raise DomainError(ErrorCode.INVALID_STATUS, _("This credit limit has expired or is closed already."))
    before = limit.status
    limit.status = Status.CLOSED
    limit.save(update_fields=["status", "updated_at"])
    change = _change_record(limit, kind=Kind.CLOSED, from_status=before, actor=actor, today=today, reason=text)
    audit_record(actor=actor, action=AuditAction.LIMIT_CLOSE, subject=limit, change=change.pk, reason=text)
    return limit


# --- the close of business ------------------------------------------------------------------------------

LIMIT = CreditLimit._meta.db_table
CHANGE = CreditLimitChange._meta.db_table
FARMER = Farmer._meta.db_table
PROGRAM = Program._meta.db_table
EVENT = MonitoringEvent._meta.db_table
DELIVERY = ProviderDelivery._meta.db_table

# The limits of farmers on whom an adverse event arrived on the day (its delivery's business date), dated
# within the programme's screening look-back: each with the latest such event, which the change names.
# Only active limits still in force on the next business date: a frozen one stays as it is.
_NEW_ADVERSE_HITS = f"""
SELECT DISTINCT ON (c.id) c.id AS limit_id, e.id AS event_id
FROM {DELIVERY} d
JOIN {EVENT} e ON e.delivery_id = d.id
JOIN {FARMER} f ON f.id_hash = e.subject_hash
JOIN {LIMIT} c ON c.farmer_id = f.id
JOIN {PROGRAM} p ON p.id = c.program_id
WHERE d.business_date = %(day)s AND d.kind = %(events)s AND e.subject_kind = %(person)s
  AND e.event_type IN %(adverse)s
  AND e.event_date BETWEEN %(day)s - p.screening_lookback_days AND %(day)s
  AND c.status = %(active)s AND c.expires_on > %(next_day)s
ORDER BY c.id, e.event_date DESC, e.id DESC
"""


def adverse_event_freezes(day: dt.date) -> int:
    """The close of ``day`` freezes the live limits of farmers on whom a dishonest, enforcement or
    credit-overdue record arrived that day, records each change with its event, and tells the account
    managers. Set-based: one statement freezes and records; the messages are one per farmer."""
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Frozen by the close of business: the data provider reported an adverse record.")
    sql = (
        f"WITH hit AS ({_NEW_ADVERSE_HITS}), "
        f"frozen AS (UPDATE {LIMIT} c SET status = %(frozen)s, frozen_by_id = NULL FROM hit "
        "WHERE c.id = hit.limit_id AND c.status = %(active)s RETURNING c.id, hit.event_id) "
        f"INSERT INTO {CHANGE} (credit_limit_id, kind, from_status, to_status, from_amount, to_amount, actor_id, "
        "business_date, reason, event_id, created_at) "
        "SELECT id, %(kind)s, %(active)s, %(frozen)s, NULL, NULL, NULL, %(day)s, %(reason)s, event_id, now() "
        "FROM frozen RETURNING id"
    )
    params: dict[str, Any] = {
        "day": day,
        "next_day": day + dt.timedelta(days=1),
        "events": ProviderDelivery.Kind.EVENTS.value,
        "person": MonitoringEvent.SubjectKind.PERSON.value,
        "adverse": tuple(str(kind) for kind in ADVERSE_EVENTS),
        "active": Status.ACTIVE.value,
        "frozen": Status.FROZEN.value,
        "kind": Kind.FROZEN.value,
        "reason": reason,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        change_ids = [row[0] for row in cursor.fetchall()]
    if change_ids:
        _managers_tell(day, change_ids)
    return len(change_ids)


def _managers_tell(day: dt.date, change_ids: list[int]) -> None:
    """One message per farmer to his account manager (else the programme's manager) who has a phone: the
    warning reaches them anyway in their list, the message makes sure they look today."""
    changes = CreditLimitChange.objects.filter(pk__in=change_ids).select_related(
        "event", "credit_limit__farmer__account_manager", "credit_limit__program__manager"
    )
    by_farmer: dict[int, list[CreditLimitChange]] = {}
    for change in changes.order_by("id"):
        by_farmer.setdefault(change.credit_limit.farmer_id, []).append(change)
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for farmer_id, farmer_changes in by_farmer.items():
            first = farmer_changes[0]
            farmer = first.credit_limit.farmer
            manager = farmer.account_manager or first.credit_limit.program.manager
            if manager is None or not manager.phone:
                continue
            event = first.event
            messages.append(
                Notification(
                    idempotency_key=f"limit-frozen:{farmer_id}:{day.isoformat()}",
                    recipient=manager.phone,
                    farmer_id=farmer_id,
                    template="limit_frozen_manager",
                    text=_(
                        "The close of %(day)s froze %(count)s credit limit(s) of %(name)s (%(id)s): the data "
                        "provider reported %(event)s dated %(event_date)s. Look into it before lifting the freeze."
                    )
                    % {
                        "day": day.isoformat(),
                        "count": len(farmer_changes),
                        "name": farmer.name,
                        "id": farmer.id_masked,
                        "event": EventType(event.event_type).label if event else "",
                        "event_date": event.event_date.isoformat() if event else "",
                    },
                )
            )
    Notification.objects.bulk_create(messages, ignore_conflicts=True)
    if messages:
        transaction.on_commit(notifications_send.delay)
