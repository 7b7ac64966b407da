"""Demand notices (代偿通知): one message per anchor for the demands the close raised that day.

The 20th raises a demand for nearly every loan, so the notice is a count and a total per anchor, read
by one grouped query over the day's demands (the BRIN index on ``raised_on`` finds them without
reading older months), and one outbox row per anchor. It runs in the close beside the month-end
deduction, which changes the demands' status but never which were raised or for how much.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from core.calendar import month_end
from core.money import format_yuan
from core.roles import Role
from origination.models import CompensationDemand, Notification
from origination.outbox import notifications_send
from partners.models import Anchor, Program, User

TEMPLATE = "compensation_demand"


def _anchors_of_the_day(day: dt.date) -> list[tuple[int, str, str, int, Decimal]]:
    """(anchor, name, phone, demands, total) of each anchor with demands raised on ``day``.

    The phone is the anchor's contact phone, else the phone of its first anchor operator who has one.
    """
    operator_phone = (
        f"(SELECT u.phone FROM {User._meta.db_table} u WHERE u.anchor_id = a.id AND u.role = %(operator)s "
        "AND u.is_active AND u.phone <> '' ORDER BY u.id LIMIT 1)"
    )
    sql = (
        f"SELECT a.id, a.name, COALESCE(NULLIF(a.contact_phone, ''), {operator_phone}), d.demands, d.total "
        f"FROM (SELECT p.anchor_id, COUNT(*) AS demands, SUM(x.amount) AS total "
        f"FROM {CompensationDemand._meta.db_table} x JOIN {Program._meta.db_table} p ON p.id = x.program_id "
        "WHERE x.raised_on = %(day)s GROUP BY p.anchor_id) d "
        f"JOIN {Anchor._meta.db_table} a ON a.id = d.anchor_id ORDER BY a.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"day": day, "operator": Role.ANCHOR_OPERATOR.value})
        return list(cursor.fetchall())


def demand_notices_send(day: dt.date) -> int:
    """Write the day's notices to the outbox (once: the key is the anchor and the day); returns how many
    anchors were notified. An anchor with no phone on record is left to its page."""
    rows = [row for row in _anchors_of_the_day(day) if row[2]]
    if not rows:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        notices = [
            Notification(
                idempotency_key=f"demand-notice:{anchor_id}:{day.isoformat()}",
                recipient=phone,
                template=TEMPLATE,
                text=_(
                    "%(anchor)s: %(count)s compensation demands totalling %(total)s yuan were raised on "
                    "%(day)s. Please pay them by %(deadline)s; what is unpaid then is deducted from your margin."
                )
                % {
                    "anchor": name,
                    "count": count,
                    "total": format_yuan(total),
                    "day": day.isoformat(),
                    "deadline": month_end(day).isoformat(),
                },
            )
            for anchor_id, name, phone, count, total in rows
        ]
    Notification.objects.bulk_create(notices, ignore_conflicts=True)
    transaction.on_commit(notifications_send.delay)
    return len(notices)
