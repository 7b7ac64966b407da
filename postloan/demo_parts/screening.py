"""The demo's screening (准入筛查): a second list of the feed group, processed and waiting for review.

Twenty-four farmers recommended on the demo's business date, with a year of orders from the provider and
a few monitoring events of the last months: a dishonest debtor, an enforcement, an overdue loan elsewhere
and two low scores are refused; two farmers borrowing from three and four lenders go to review; an
enforcement of more than a year ago and two lenders do not count. The batch is processed, not submitted,
so that the review page shows every outcome with its evidence.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from django.db import transaction

from core.business_date import business_date_get
from origination.models import Batch
from origination.services.intake import Upload, batch_upload
from origination.tasks import batch_process_dispatch
from partners.models import Program, User
from postloan.demo import demo_anchor_uscc
from postloan.demo_book import trades_csv
from postloan.demo_data import DemoFarmer, demo_farmers, demo_trades, verified_total
from risk.limits import lookback_window
from risk.services.deliveries import monitoring_events_import, trade_records_import

LIST_NAME = "特驱第二批推荐养殖户清单.csv"
FARMER_COUNT = 24
FARMER_SEED = 20270728
# Row index → score below the programme's minimum (60): refused for the score.
LOW_SCORES = {3: "55.50", 14: "48"}
# Row index → (event type, days before the business date, value): what the provider reported.
EVENTS: dict[int, tuple[str, int, str]] = {
    2: ("dishonest", 40, ""),
    5: ("enforcement", 100, "86000"),
    9: ("credit_overdue", 20, "12000"),
    12: ("multi_lender", 15, "4"),
    15: ("multi_lender", 60, "3"),
    18: ("multi_lender", 30, "2"),  # below the review count: passes
    21: ("enforcement", 400, "50000"),  # older than the look-back: passes
}


def _farmer_list(farmers: list[DemoFarmer], trades: list[tuple[str, str, dt.date, Decimal]], on: dt.date) -> bytes:
    start, end = lookback_window(on, 12)
    lines = ["姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分,地区代码,养殖品种"]
    for index, farmer in enumerate(farmers):
        declared = (verified_total(trades, farmer.id_number, start, end) * Decimal("1.02")).quantize(Decimal("1"))
        if not farmer.has_trades:
            declared = Decimal(farmer.monthly_orders * 12)
        score = LOW_SCORES.get(index, str(65 + index % 30))
        lines.append(
            f"{farmer.name},{farmer.id_number},{farmer.phone},{farmer.recommended},{declared},{score},"
            f"{farmer.region_code},{farmer.breed}"
        )
    return ("\n".join(lines) + "\n").encode("gbk")


def _events_file(farmers: list[DemoFarmer], on: dt.date) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["主体证件号", "事件类型", "事件日期", "数值", "详情", "事件编号"])
    for index, (kind, days, value) in EVENTS.items():
        day = on - dt.timedelta(days=days)
        writer.writerow(
            [farmers[index].id_number, kind, day.isoformat(), value, "三方监测推送", f"SC{on:%Y%m%d}{index:03d}"]
        )
    return buffer.getvalue().encode("utf-8-sig")


@transaction.atomic
def _batch_upload(program: Program) -> Batch:
    today = business_date_get()
    manager = User.objects.get(username="manager")
    farmers = demo_farmers(FARMER_COUNT, seed=FARMER_SEED)
    trades = demo_trades(farmers, until=today - dt.timedelta(days=1), seed=FARMER_SEED, prefix="TQS")
    trade_records_import(
        anchor=program.anchor, content=trades_csv(trades), filename="三方交易数据（第二批）.csv", actor=manager
    )
    monitoring_events_import(content=_events_file(farmers, today), filename="三方监测数据（第二批）.csv", actor=manager)
    return batch_upload(
        program=program,
        actor=User.objects.get(username="anchor"),
        farmer_list=Upload(content=_farmer_list(farmers, trades, today), name=LIST_NAME),
    )


def demo_screening_ensure() -> Batch | None:
    """The second list, uploaded and processed once; None before the demo's programme exists."""
    program = Program.objects.filter(anchor__uscc=demo_anchor_uscc()).first()
    if program is None:
        return None
    batch = Batch.objects.filter(program=program, farmer_list__name=LIST_NAME).first() or _batch_upload(program)
    if batch.status == Batch.Status.VALIDATED:
        # Outside the upload's transaction: with a broker, the workers must see the batch.
        batch_process_dispatch(batch, User.objects.get(username="manager"))
        batch.refresh_from_db()
    return batch
