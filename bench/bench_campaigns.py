"""Times queuing an SMS campaign (短信营销) to 100,000 whitelisted farmers: its approval writes every message.

The world is ``benchlib.lending_world_create``'s (a branch, sub-branches, outlets, anchors and programmes
through the real services); the farmers, their limits and whitelist entries are written by SQL
(``generate_series``), every farmer under the first outlet so that the maker's audience holds them all.
Then, on the same database and in the same run:

  (i) the baseline: the naive way, one ``Message.objects.create`` per farmer (the text rendered in Python
      for each), over the first ``BASELINE_ROWS`` farmers of the audience, and its rate carried to the
      whole audience;
  (ii) ``campaign_approve`` of a campaign to the whole audience: the audience read in one query with each
      limit's room, every text rendered, the rows written by ``COPY`` in the approval's transaction;
  (iii) sending ``SEND_ROWS`` of them through ``campaign_send`` with the log backend and no rate limit
      (claims, the opt-out and cap checks, the updates: what the sender costs beside the gateway).

Checks (exit status 1 when one fails): (ii) within 10 s for 100,000 farmers (``LIMIT_SECONDS``); one
message per farmer; (iii) sends each message once.

The database named in ``DATABASE_URL`` (its name must contain "bench") is dropped and built again, and
dropped at the end (unless ``--keep-db``). Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_bench_campaigns \\
        .venv/bin/python bench/bench_campaigns.py [FARMERS] [--keep-db]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from decimal import Decimal

from benchlib import database_recreate, database_settle, lending_world_create, setup_django, sql, timed

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/scf_bench_campaigns"
DEFAULT_FARMERS = 100_000
LIMIT_SECONDS = 10.0
BASELINE_ROWS = 5_000
SEND_ROWS = 5_000
PASSWORD = "Bench#2027-campaigns"  # noqa: S105 - a user of a throw-away database
DAY = dt.date(2027, 6, 1)


def farmers_write(n: int, outlet_id: int, manager_id: int, program_id: int, approver_id: int) -> None:
    """``n`` farmers under the outlet, each with a limit in force in the programme and a whitelist entry."""
    sql(
        """
        INSERT INTO partners_farmer (name, id_number, id_hash, id_masked, birth_date, phone, region_code, breed,
                                     org_node_id, account_manager_id, created_at, updated_at)
        SELECT '农户' || g, lpad(g::text, 18, '0'), md5(g::text) || md5('x' || g),
               '1101**********' || lpad(g::text, 4, '0'),
               DATE '1975-01-01', '139' || lpad(g::text, 8, '0'), '510100', '生猪', %s, %s, now(), now()
          FROM generate_series(1, %s) g
        """,
        [outlet_id, manager_id, n],
    )
    sql(
        """
        INSERT INTO origination_creditlimit (farmer_id, org_node_id, program_id, amount, approved_on, expires_on,
                                             approved_by_id, status, created_at, updated_at)
        SELECT f.id, f.org_node_id, %s, 20000 + (f.id %% 9) * 10000, %s, %s, %s, 'active', now(), now()
          FROM partners_farmer f
        """,
        [program_id, DAY, DAY + dt.timedelta(days=365), approver_id],
    )
    sql(
        """
        INSERT INTO origination_whitelistentry (program_id, farmer_id, credit_limit_id, added_on)
        SELECT l.program_id, l.farmer_id, l.id, l.approved_on FROM origination_creditlimit l
        """
    )


def baseline(campaign_id: int, rows: int) -> float:
    """The naive write: one ORM ``create`` per farmer, in one transaction (rolled back)."""
    from django.db import transaction

    from campaigns.models import Campaign, Message
    from campaigns.selectors import audience_rows, message_text
    from campaigns.services import idempotency_key

    campaign = Campaign.objects.select_related("template", "org_node").get(pk=campaign_id)

    class Rollback(Exception):
        pass

    start = time.perf_counter()
    try:
        with transaction.atomic():
            for row in audience_rows(campaign)[:rows]:
                Message.objects.create(
                    campaign=campaign,
                    farmer_id=row[0],
                    phone=row[2],
                    text=message_text(campaign, row),
                    idempotency_key=idempotency_key(campaign.pk, row[0]),
                )
            elapsed = time.perf_counter() - start
            raise Rollback
    except Rollback:
        pass
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("farmers", nargs="?", type=int, default=DEFAULT_FARMERS)
    parser.add_argument("--keep-db", action="store_true")
    options = parser.parse_args()
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.pop("REDIS_URL", None)
    database_recreate(url)
    try:
        ok = run(options.farmers)
    finally:
        if not options.keep_db:
            from django.db import connections

            connections.close_all()
            database_recreate(url, drop_only=True)
    sys.exit(0 if ok else 1)


def run(n: int) -> bool:
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from campaigns.models import Message
    from campaigns.sending import campaign_send
    from campaigns.services import campaign_approve, campaign_create, sms_template_create
    from core.business_date import business_date_set
    from origination.sms import LogSmsBackend
    from partners.models import User

    business_date_set(new_date=DAY, backwards_allowed=True)
    world = lending_world_create("M", "camp", PASSWORD, leader=True)
    maker = User.objects.get(pk=world.managers[0])
    checker = User.objects.get(username="camp_leader")
    load, _ = timed(lambda: farmers_write(n, world.outlets[0], maker.pk, world.programs[0], world.approver_id))
    database_settle(checkpoint=False)
    print(f"{n:,} whitelisted farmers written in {load:.1f} s")

    template = sms_template_create(
        name="额度提醒",
        body="{farmer_name}您好，您在{programme}的可用额度{limit_room}元，详询{outlet_phone}。",
        actor=maker,
    )
    naive_campaign = campaign_create(name="基准", template=template, actor=maker)
    naive = baseline(naive_campaign.pk, min(BASELINE_ROWS, n))
    naive_rate = min(BASELINE_ROWS, n) / naive
    naive_whole = n / naive_rate

    campaign = campaign_create(name="十万户营销", template=template, actor=maker)
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the approval only queues its task here: nothing is sent yet
    queued, _ = timed(lambda: campaign_approve(campaign=campaign, actor=checker))
    written = Message.objects.filter(campaign=campaign).count()
    once = written == Message.objects.filter(campaign=campaign).values("farmer_id").distinct().count()

    settings.SMS_GATEWAY_RATE = 1_000_000
    settings.SMS_QUIET_HOURS = "00:00-00:00"
    from campaigns import sending

    sending.SEND_BATCH = 500
    send_campaign = campaign_create(name="发送基准", template=template, actor=maker, max_amount=Decimal("20000"))
    campaign_approve(campaign=send_campaign, actor=checker)
    ids = list(Message.objects.filter(campaign=send_campaign).order_by("id").values_list("id", flat=True)[SEND_ROWS:])
    Message.objects.filter(pk__in=ids).delete()
    to_send = Message.objects.filter(campaign=send_campaign).count()
    send_time, result = timed(lambda: campaign_send(send_campaign.pk, backend=LogSmsBackend()))
    sent_once = result.sent == to_send == Message.objects.filter(campaign=send_campaign, status="sent").count()

    rows = [
        ("baseline: one ORM create per farmer (measured)", min(BASELINE_ROWS, n), naive, naive_rate),
        ("baseline carried to the whole audience", n, naive_whole, naive_rate),
        ("campaign_approve: audience, render, COPY (measured)", written, queued, written / queued),
        ("campaign_send, log backend, no rate limit (measured)", to_send, send_time, to_send / send_time),
    ]
    print()
    print(f"{'case':<58} {'rows':>9} {'seconds':>9} {'rows/s':>10}")
    print("-" * 90)
    for label, count, seconds, rate in rows:
        print(f"{label:<58} {count:>9,} {seconds:>9.2f} {rate:>10,.0f}")
    print()
    print(f"queuing is {naive_whole / queued:.1f}x the naive write")
    scaled_limit = LIMIT_SECONDS * n / DEFAULT_FARMERS
    checks = [
        (f"queued within {scaled_limit:.1f} s ({LIMIT_SECONDS:.0f} s per 100,000 farmers)", queued <= scaled_limit),
        ("one message per farmer of the audience", written == n and once),
        ("every message of the send case sent once", sent_once),
    ]
    for label, passed in checks:
        print(f"  [{'ok' if passed else 'FAILED'}] {label}")
    return all(passed for _, passed in checks)


if __name__ == "__main__":
    main()
