"""Deterministic demo farmers and their trade history (the same seed always gives the same world)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from stdnum.cn import ric

REGIONS = ("510122", "510124", "510129", "510181", "511322", "511521", "513821")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
BREEDS = ("生猪", "肉鸡", "蛋鸡", "肉鸭")


TradeList = list[tuple[str, str, dt.date, Decimal]]


@dataclass(frozen=True)
class DemoFarmer:
    name: str
    id_number: str
    phone: str
    region_code: str
    breed: str
    recommended: int
    monthly_orders: int
    declared_factor: Decimal  # declared ÷ verified: 1.0 matches, 1.3 does not
    has_trades: bool


def _resident_id(rng: random.Random) -> str:
    born = dt.date(1962, 1, 1) + dt.timedelta(days=rng.randrange(365 * 38))
    body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def demo_farmers(count: int, seed: int = 20270301) -> list[DemoFarmer]:
    rng = random.Random(seed)
    farmers: list[DemoFarmer] = []
    seen: set[str] = set()
    while len(farmers) < count:
        number = _resident_id(rng)
        if number in seen:
            continue
        seen.add(number)
        index = len(farmers)
        farmers.append(
            DemoFarmer(
                name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                id_number=number,
                phone=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                region_code=number[:6],
                breed=rng.choice(BREEDS),
                recommended=rng.choice((100_000, 200_000, 300_000, 500_000, 1_000_000, 2_500_000)),
                monthly_orders=rng.choice((30_000, 50_000, 80_000, 150_000, 300_000)),
                # One farmer in eight declares far more than he bought; one in twenty has no trade data.
                declared_factor=Decimal("1.30") if index % 8 == 3 else Decimal("1.02"),
                has_trades=index % 20 != 7,
            )
        )
    return farmers


def demo_trades(farmers: list[DemoFarmer], until: dt.date, seed: int = 7, prefix: str = "TQ") -> TradeList:
    """Orders over the 13 months before ``until``: (id_number, order_no, date, amount)."""
    rng = random.Random(seed)
    trades: TradeList = []
    for farmer in farmers:
        if not farmer.has_trades:
            continue
        for month in range(13):
            for _ in range(2):
                day = until - dt.timedelta(days=30 * month + rng.randrange(1, 29))
                amount = Decimal(farmer.monthly_orders) * Decimal(rng.randrange(40, 61)) / Decimal(100)
                trades.append(
                    (
                        farmer.id_number,
                        f"{prefix}{len(trades) + 1:08d}",
                        day,
                        amount.quantize(Decimal("0.01")),
                    )
                )
    return trades


def verified_total(
    trades: list[tuple[str, str, dt.date, Decimal]], id_number: str, start: dt.date, end: dt.date
) -> Decimal:
    return sum((t[3] for t in trades if t[0] == id_number and start <= t[2] <= end), Decimal(0))
