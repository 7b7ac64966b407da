"""The demo's provider conflicts (数据冲突): a correction file of the feed group's orders that contradicts the stored.

Three orders already on record are delivered again: one with another amount, one with another date, one as it
was. The first two are conflicts (not stored, kept for the data team beside the stored versions), the third a
duplicate, so the delivery's page shows both kinds. Nothing stored changes: the demo's limits, loans and
warnings read the same orders as before.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from partners.models import Farmer, Program, User
from postloan.demo import demo_anchor_uscc
from risk.models import ProviderDelivery, TradeRecord
from risk.services.deliveries import trade_records_import

FILE_NAME = "三方交易数据（更正）.csv"
AMOUNT_CORRECTION = Decimal("1000.00")  # the provider's corrected amount: the stored one plus this


def demo_conflicts_ensure() -> ProviderDelivery | None:
    """The correction file, delivered once; None before the demo's programme has orders of registered farmers."""
    program = Program.objects.filter(anchor__uscc=demo_anchor_uscc()).select_related("anchor").first()
    if program is None:
        return None
    existing = ProviderDelivery.objects.filter(anchor=program.anchor, file__name=FILE_NAME).first()
    if existing is not None:
        return existing
    registered = Farmer.objects.values("id_hash")
    orders = list(TradeRecord.objects.filter(anchor=program.anchor, id_hash__in=registered).order_by("order_no")[:3])
    if len(orders) < 3:
        return None
    numbers = dict(Farmer.objects.filter(id_hash__in=[o.id_hash for o in orders]).values_list("id_hash", "id_number"))
    changed_amount, changed_date, same = orders
    rows = [
        (changed_amount, changed_amount.order_date, changed_amount.amount + AMOUNT_CORRECTION),
        (changed_date, changed_date.order_date + dt.timedelta(days=1), changed_date.amount),
        (same, same.order_date, same.amount),
    ]
    content = _csv([(numbers[order.id_hash], order.order_no, day, amount) for order, day, amount in rows])
    result = trade_records_import(
        anchor=program.anchor, content=content, filename=FILE_NAME, actor=User.objects.get(username="manager")
    )
    return ProviderDelivery.objects.get(pk=result.delivery_id)


def _csv(rows: list[tuple[str, str, dt.date, Decimal]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["身份证号", "订单号", "订单日期", "订单金额"])
    writer.writerows((number, order_no, day.isoformat(), f"{amount:.2f}") for number, order_no, day, amount in rows)
    return buffer.getvalue().encode("utf-8-sig")
