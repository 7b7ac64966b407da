"""Sample files of made-up farmers, in the shapes anchors and the data provider send.

The files follow the "Files" section of ``docs/contract.md``:

* ``farmer_list_gbk.csv`` and ``farmer_list_utf8_bom.csv``: the anchor's farmer list
  (融资客户清单) with Chinese headers, amounts written in the forms people type
  (``1,200,000.00``, ``120万``, full-width digits, plain digits);
* ``farmer_list.xlsx``: the same farmers with English headers and numeric cells;
* ``provider_trades.csv``: the provider's trade records (三方交易数据), one order a
  month per farmer over the twelve months before ``SUBMISSION``;
* ``provider_events.csv``: the provider's monitoring events (三方监测数据) on about
  one farmer in twenty, and one on an enterprise.

Every value is valid: each file imports without a row error. Identity numbers are
unique, carry a correct check digit and a real region code; one in ten farmers
declares 30 % more orders than the provider delivered (a ``mismatch`` when the
batch is processed). Order numbers start with ``SMP`` and event numbers with
``SMPE``, which the demo world (``seed_demo``: ``TQ…``, ``FZ…``, ``EV…``) never uses.

The same seed and size always give the same files; the first farmers of a larger
size are those of a smaller one. As a module::

    from samples.make_samples import write_samples
    files = write_samples(Path("out"), 300)          # {"farmer_list_gbk.csv": Path, ...}

From the command line (repository root, the project's Python)::

    python samples/make_samples.py OUT_DIR N [--seed SEED]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.xml.functions import tostring
from stdnum.cn import ric, uscc

SUBMISSION = date(2027, 3, 1)  # the batch's business date: orders fall in the 12 months before it
DEFAULT_SEED = 20270301
ORDER_PREFIX = "SMP"
EVENT_PREFIX = "SMPE"
MONTHS = 12
EVENT_EVERY = 20  # one farmer in twenty has a monitoring event
MISMATCH_EVERY = 10  # one farmer in ten overstates his orders

# Counties of Sichuan, all in python-stdnum's table of region codes.
REGIONS = ("510112", "510122", "510124", "510129", "510181", "510182", "510681", "511322", "511521", "511623")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国德文福贵春兰玉成荣"
BREEDS = ("生猪", "肉鸡", "蛋鸡", "肉鸭", "肉牛", "水产")
MOBILE_PREFIXES = ("133", "135", "138", "139", "150", "158", "177", "181", "187", "199")
RECOMMENDED = (100_000, 200_000, 300_000, 500_000, 800_000, 1_000_000, 2_500_000)
MONTHLY_ORDERS = (20_000, 40_000, 60_000, 100_000, 150_000, 300_000)
EVENT_TYPES = ("litigation", "enforcement", "dishonest", "multi_lender", "credit_overdue")
ENTERPRISE = "91510100MA6CX0002"  # 17 characters of a made-up anchor's credit code; the check is added

FARMER_HEADERS_ZH = ("姓名", "身份证号", "手机号", "推荐金额", "近12个月订单金额", "打分卡得分", "地区代码", "养殖品种")
FARMER_HEADERS_EN = (
    "name",
    "id_number",
    "phone",
    "recommended_amount",
    "declared_orders_12m",
    "score",
    "region_code",
    "breed",
)
TRADE_HEADERS = ("身份证号", "订单号", "订单日期", "订单金额")
EVENT_HEADERS = ("主体证件号", "事件类型", "事件日期", "数值", "详情", "事件编号")
XLSX_TIME = (2027, 3, 1, 0, 0, 0)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True)
class Farmer:
    """One row of the farmer list, amounts in whole yuan."""

    index: int
    name: str
    id_number: str
    phone: str
    recommended_amount: int
    declared_orders_12m: int
    score: int
    region_code: str
    breed: str
    monthly_orders: int  # the size of his monthly order, before the month's swing


@dataclass(frozen=True)
class Order:
    """A trade record as the provider delivers it."""

    id_number: str
    order_no: str
    order_date: date
    amount: Decimal


@dataclass(frozen=True)
class Event:
    """A monitoring event; ``value`` and ``detail`` may be empty."""

    subject_id: str
    event_type: str
    event_date: date
    value: str
    detail: str
    event_id: str


def _rng(seed: int, *stream: object) -> random.Random:
    """An independent random stream per purpose (and per farmer), so that sizes share their prefix."""
    return random.Random(":".join(str(part) for part in (seed, *stream)))


def _month_start(months_before: int) -> date:
    index = SUBMISSION.year * 12 + SUBMISSION.month - 1 - months_before
    return date(index // 12, index % 12 + 1, 1)


def resident_id(rng: random.Random) -> str:
    """An 18-digit resident ID of someone born 1962–1999, with its ISO 7064 check digit."""
    born = date(1962, 1, 1) + timedelta(days=rng.randrange(38 * 365))
    body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "?")  # stdnum's function skips the argument's last character


def orders(farmer: Farmer, seed: int = DEFAULT_SEED) -> list[Order]:
    """The farmer's orders: one in each of the ``MONTHS`` months before ``SUBMISSION``.

    Drawn from the farmer's own stream, so they can be made again without keeping them.
    """
    rng = _rng(seed, "orders", farmer.index)
    made: list[Order] = []
    for month in range(1, MONTHS + 1):
        day = _month_start(month) + timedelta(days=rng.randrange(28))
        # 60–140 % of his usual month, in basis points, to the fen
        fen = farmer.monthly_orders * rng.randrange(6_000, 14_001) // 100 + rng.randrange(100)
        made.append(
            Order(
                id_number=farmer.id_number,
                order_no=f"{ORDER_PREFIX}{farmer.index:07d}{month:02d}",
                order_date=day,
                amount=Decimal(fen).scaleb(-2),
            )
        )
    return made


def farmers(size: int, seed: int = DEFAULT_SEED) -> list[Farmer]:
    """``size`` farmers with distinct identity numbers; their declared orders follow their trade records."""
    rng = _rng(seed, "farmers")
    taken: set[str] = set()
    made: list[Farmer] = []
    for index in range(size):
        number = resident_id(rng)
        while number in taken:
            number = resident_id(rng)
        taken.add(number)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        farmer = Farmer(
            index=index,
            name=name,
            id_number=number,
            phone=rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}",
            recommended_amount=rng.choice(RECOMMENDED),
            declared_orders_12m=0,
            score=rng.randrange(50, 100),
            region_code=number[:6],
            breed=rng.choice(BREEDS),
            monthly_orders=rng.choice(MONTHLY_ORDERS),
        )
        verified = sum(order.amount for order in orders(farmer, seed))
        # Most declare their orders give or take 3 %; one in ten overstates them by 30 %.
        percent = 130 if index % MISMATCH_EVERY == MISMATCH_EVERY - 1 else rng.randrange(97, 104)
        made.append(replace(farmer, declared_orders_12m=int(verified * percent / 100)))
    return made


def trades(people: Iterable[Farmer], seed: int = DEFAULT_SEED) -> Iterator[Order]:
    """Every farmer's orders, farmer by farmer, made as they are read."""
    for farmer in people:
        yield from orders(farmer, seed)


def events(people: list[Farmer], seed: int = DEFAULT_SEED) -> list[Event]:
    """An event on every ``EVENT_EVERY``-th farmer (the first included), then one on an enterprise."""
    rng = _rng(seed, "events")
    made: list[Event] = []
    for farmer in people[::EVENT_EVERY]:
        kind = EVENT_TYPES[(farmer.index // EVENT_EVERY) % len(EVENT_TYPES)]
        value = str(rng.randrange(1, 6)) if kind == "multi_lender" else ""
        detail = f"（2027）川01民初{rng.randrange(1, 9999)}号" if kind in {"litigation", "enforcement"} else ""
        made.append(
            Event(
                subject_id=farmer.id_number,
                event_type=kind,
                event_date=SUBMISSION - timedelta(days=rng.randrange(1, 90)),
                value=value,
                detail=detail,
                event_id=f"{EVENT_PREFIX}{len(made) + 1:06d}",
            )
        )
    made.append(
        Event(
            subject_id=ENTERPRISE + uscc.calc_check_digit(ENTERPRISE),
            event_type="business_abnormal",
            event_date=SUBMISSION - timedelta(days=rng.randrange(1, 90)),
            value="",
            detail="列入经营异常名录",
            event_id=f"{EVENT_PREFIX}{len(made) + 1:06d}",
        )
    )
    return made


def amount_text(value: int, style: int) -> str:
    """An amount in one of the forms a person types: separated, in 万, full-width or plain."""
    if style == 0:
        return f"{value:,}.00"
    if style == 1 and value % 10_000 == 0:
        return f"{value // 10_000}万"
    if style == 2:
        return str(value).translate(FULL_WIDTH)
    return str(value)


def farmer_list_rows(people: Iterable[Farmer]) -> Iterator[list[str]]:
    """The farmer list as text, Chinese headers first; the amounts' forms take turns row by row."""
    yield list(FARMER_HEADERS_ZH)
    for farmer in people:
        yield [
            farmer.name,
            farmer.id_number,
            farmer.phone,
            amount_text(farmer.recommended_amount, farmer.index % 4),
            amount_text(farmer.declared_orders_12m, (farmer.index + 2) % 4),
            str(farmer.score),
            farmer.region_code,
            farmer.breed,
        ]


def _csv_text(rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def write_farmer_csv(path: Path, people: Iterable[Farmer], encoding: str) -> Path:
    """The farmer list as CSV in ``encoding`` (``gbk``, ``utf-8-sig``, …)."""
    path.write_bytes(_csv_text(farmer_list_rows(people)).encode(encoding))
    return path


def write_farmer_xlsx(path: Path, people: Iterable[Farmer]) -> Path:
    """The farmer list as a workbook: English headers, amounts and scores as numbers, numbers of people as text."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("融资客户清单")
    sheet.append(list(FARMER_HEADERS_EN))
    for farmer in people:
        sheet.append(
            [
                farmer.name,
                farmer.id_number,
                farmer.phone,
                farmer.recommended_amount,
                farmer.declared_orders_12m,
                farmer.score,
                farmer.region_code,
                farmer.breed,
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)  # stamps the document and each archive member with the time of saving
    # Written again with fixed times, so that the same farmers give the same bytes.
    book.properties.created = book.properties.modified = datetime(*XLSX_TIME, tzinfo=UTC)
    with zipfile.ZipFile(buffer) as made, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as kept:
        for member in made.infolist():
            content = made.read(member)
            if member.filename == "docProps/core.xml":
                content = tostring(book.properties.to_tree())
            kept.writestr(zipfile.ZipInfo(member.filename, date_time=XLSX_TIME), content, zipfile.ZIP_DEFLATED)
    return path


def write_trades_csv(path: Path, people: Iterable[Farmer], seed: int = DEFAULT_SEED) -> Path:
    """The provider's trade records as UTF-8 CSV with Chinese headers."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TRADE_HEADERS)
        writer.writerows(
            (order.id_number, order.order_no, order.order_date.isoformat(), f"{order.amount:.2f}")
            for order in trades(people, seed)
        )
    return path


def write_events_csv(path: Path, made: Iterable[Event]) -> Path:
    """The provider's monitoring events as UTF-8 CSV with Chinese headers."""
    rows = (
        (event.subject_id, event.event_type, event.event_date.isoformat(), event.value, event.detail, event.event_id)
        for event in made
    )
    path.write_text(_csv_text([EVENT_HEADERS, *rows]), encoding="utf-8")
    return path


def write_samples(out: Path, size: int, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write every sample file for ``size`` farmers into ``out`` (made if missing); their paths by name."""
    if size < 1:
        raise ValueError("the samples need at least one farmer")
    out.mkdir(parents=True, exist_ok=True)
    people = farmers(size, seed)
    written = [
        write_farmer_csv(out / "farmer_list_gbk.csv", people, "gbk"),
        write_farmer_csv(out / "farmer_list_utf8_bom.csv", people, "utf-8-sig"),
        write_farmer_xlsx(out / "farmer_list.xlsx", people),
        write_trades_csv(out / "provider_trades.csv", people, seed),
        write_events_csv(out / "provider_events.csv", events(people, seed)),
    ]
    return {path.name: path for path in written}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the sample files of N made-up farmers into OUT_DIR.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("size", type=int, help="number of farmers")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the same seed gives the same files")
    args = parser.parse_args(argv)
    if args.size < 1:
        parser.error("N must be at least 1")
    for path in write_samples(args.out_dir, args.size, args.seed).values():
        print(f"{path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
