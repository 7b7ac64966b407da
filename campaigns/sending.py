"""Sending a campaign's messages: claimed by row in small batches, at the gateway's rate, outside quiet hours.

Exactly once per farmer: each message is a row with its idempotency key. A batch of pending rows is claimed
with ``SELECT … FOR UPDATE SKIP LOCKED`` and marked sent, with the gateway's message id, in the same
transaction; a second worker skips the locked rows. A worker killed mid-batch leaves its batch pending (its
transaction never committed) and the next run sends it again with the same keys, which the gateway drops
as repeats; the batch is small (``SEND_BATCH``) so that little is in flight. One sender per campaign at a
time (a session advisory lock, released when its connection dies), so the rate holds per campaign.

Before a message goes, its phone's opt-out and the farmer's marketing cap are checked again: an opt-out or
another campaign may have come after the approval. Quiet hours (``SMS_QUIET_HOURS``, Asia/Shanghai) stop the
run; the messages wait, and beat's ``campaigns.send_due`` sends them on once the hours end. Time here is
the wall clock, not the business date: a farmer's night and the cap's 30 days are real time.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import Campaign, Message, OptOut
from campaigns.selectors import capped_farmers
from origination.sms import SmsBackend, SmsRejected, sms_backend

log = logging.getLogger(__name__)
SEND_BATCH = 50
MAX_ATTEMPTS = 5
LOCK_CLASS = 22_001  # the advisory lock's first key: campaign senders
SHANGHAI = ZoneInfo("Asia/Shanghai")


def quiet_hours() -> tuple[dt.time, dt.time]:
    start, end = settings.SMS_QUIET_HOURS.split("-")
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


def is_quiet(now: dt.datetime) -> bool:
    """Whether ``now`` falls in the quiet hours (which may run over midnight, 21:00-08:00)."""
    start, end = quiet_hours()
    local = now.astimezone(SHANGHAI).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def quiet_ends(now: dt.datetime) -> dt.datetime:
    """When the quiet hours around ``now`` end (``now`` itself outside them)."""
    if not is_quiet(now):
        return now
    _start, end = quiet_hours()
    local = now.astimezone(SHANGHAI)
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += dt.timedelta(days=1)
    return ends


class Pacer:
    """Keeps calls to at most ``rate`` a second."""

    def __init__(
        self, rate: int, sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.next_at = clock()
        self.sleep = sleep

    def wait(self) -> None:
        now = self.clock()
        if now < self.next_at:
            self.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0
    opted_out: int = 0
    capped: int = 0
    quiet: bool = False
    busy: bool = False  # another sender holds the campaign
    gateway_down: bool = False
    done: bool = False

    def as_dict(self) -> dict[str, int | bool]:
        return dict(self.__dict__)


def _lock(campaign_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, campaign_id])
        return bool(cursor.fetchone()[0])


def _unlock(campaign_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, campaign_id])


def _send_batch(campaign_id: int, backend: SmsBackend, pacer: Pacer, result: SendResult) -> bool:
    """Claim, check and send one batch; whether a batch was found."""
    with transaction.atomic():
        claimed = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(campaign_id=campaign_id, status=Message.Status.PENDING)
            .order_by("id")[:SEND_BATCH]
        )
        if not claimed:
            return False
        opted = set(OptOut.objects.filter(phone__in=[m.phone for m in claimed]).values_list("phone", flat=True))
        capped = set(capped_farmers([m.farmer_id for m in claimed]).values_list("farmer_id", flat=True))
        for message in claimed:
            if message.phone in opted:
                message.status = Message.Status.OPTED_OUT
                result.opted_out += 1
                continue
            if message.farmer_id in capped:
                message.status = Message.Status.CAPPED
                result.capped += 1
                continue
            if result.gateway_down:
                continue  # the gateway failed this batch: the rest wait for the next run
            pacer.wait()
            message.attempts += 1
            try:
                message.gateway_message_id = backend.send(
                    recipient=message.phone, text=message.text, idempotency_key=message.idempotency_key
                )
            except SmsRejected as exc:
                message.status = Message.Status.FAILED
                message.last_error = str(exc)[:500]
                result.failed += 1
            except Exception as exc:  # the gateway down or not answering: keep the row and try later
                log.warning("campaign message %s not sent: %s", message.pk, exc)
                message.last_error = str(exc)[:500]
                if message.attempts >= MAX_ATTEMPTS:
                    message.status = Message.Status.FAILED
                    result.failed += 1
                result.gateway_down = True
            else:
                message.status = Message.Status.SENT
                message.sent_at = timezone.now()
                message.last_error = ""
                result.sent += 1
        _write_back(claimed)
    return True


def _write_back(claimed: list[Message]) -> None:
    """The claimed rows' new state in one ``UPDATE … FROM unnest(…)`` (``bulk_update``'s CASE per column is
    many times slower for a batch)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {Message._meta.db_table} m
               SET status = v.status, attempts = v.attempts, gateway_message_id = v.gateway_message_id,
                   last_error = v.last_error, sent_at = v.sent_at
              FROM unnest(%s::bigint[], %s::text[], %s::int[], %s::text[], %s::text[], %s::timestamptz[])
                   AS v(id, status, attempts, gateway_message_id, last_error, sent_at)
             WHERE m.id = v.id
            """,
            [
                [m.pk for m in claimed],
                [m.status for m in claimed],
                [m.attempts for m in claimed],
                [m.gateway_message_id for m in claimed],
                [m.last_error for m in claimed],
                [m.sent_at for m in claimed],
            ],
        )


def campaign_send(
    campaign_id: int,
    *,
    backend: SmsBackend | None = None,
    max_seconds: float | None = None,
    now: Callable[[], dt.datetime] = timezone.now,
) -> SendResult:
    """Send the campaign's pending messages until none is left, quiet hours start, the gateway fails, or
    ``max_seconds`` pass; the campaign is marked sent when no message waits any more."""
    result = SendResult()
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.status != Campaign.Status.SENDING:
        return result
    if campaign.send_after is not None and campaign.send_after > now():
        return result
    if not _lock(campaign_id):
        result.busy = True
        return result
    try:
        backend = backend or sms_backend()
        pacer = Pacer(settings.SMS_GATEWAY_RATE)
        started = time.monotonic()
        while True:
            if is_quiet(now()):
                result.quiet = True
                break
            if not _send_batch(campaign_id, backend, pacer, result):
                break
            if result.gateway_down:
                break
            if max_seconds is not None and time.monotonic() - started > max_seconds:
                break
        with transaction.atomic():
            if not Message.objects.filter(campaign_id=campaign_id, status=Message.Status.PENDING).exists():
                result.done = (
                    bool(
                        Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING).update(
                            status=Campaign.Status.DONE, finished_at=timezone.now()
                        )
                    )
                    or result.done
                )
    finally:
        _unlock(campaign_id)
    return result
