"""The settlement-account rules: FUNDS_DIVERTED and SETTLEMENT_FLOW_DROP fire, stay silent on their near
misses, clear, and a daily run that looks only at what changed agrees with a whole run."""

import datetime as dt
from decimal import Decimal

from core.business_date import business_date_set
from origination.models import Loan
from postloan.models import RiskWarning
from postloan.warning_run import warnings_run
from risk.models import AccountTransaction, AnchorSettlementAccount
from risk.services.accounts import anchor_account_add, anchor_account_remove, settlement_accounts_import
from tests.factories import SOUND_BOOK_DAY as TODAY

HEADER = "账号,身份证号,交易日期,交易金额,收付方向,对方账号,对方户名,交易流水号,用途\n"
FEED_ACCOUNT = "440200001111"  # the anchor's
ELSEWHERE = "622200009999"


def active(code: str) -> set[int]:
    return set(RiskWarning.objects.filter(rule__code=code, active=True).values_list("subject_id", flat=True))


def fired(code: str, on: dt.date) -> set[int]:
    """The run of ``on``, on that business date (what the core delivers that day comes in after it)."""
    business_date_set(new_date=on, backwards_allowed=False)
    warnings_run(on)
    return active(code)


def deliver(farmer, rows: list[tuple[dt.date, str, str, str]], users) -> None:
    """The core's transaction file of the day: (date, amount, in/out, counterparty account) per row."""
    start = deliver.count  # type: ignore[attr-defined]
    deliver.count += len(rows)  # type: ignore[attr-defined]
    lines = "".join(
        f"6228480001,{farmer.id_number},{day},{amount},{direction},{other},某商户,REF{start + n},\n"
        for n, (day, amount, direction, other) in enumerate(rows)
    )
    settlement_accounts_import(
        kind="transactions", content=(HEADER + lines).encode(), filename="流水.csv", actor=users["manager"]
    )


deliver.count = 0  # type: ignore[attr-defined]


def test_funds_diverted_fires_past_the_share_within_the_window_and_clears(world, users):
    loan, farmer = world["loan"], world["farmer"]  # 50,000 drawn on TODAY
    anchor_account_add(anchor=world["program"].anchor, account_no=FEED_ACCOUNT, actor=users["approver"])
    day = lambda n: TODAY + dt.timedelta(days=n)  # noqa: E731
    deliver(
        farmer,
        [
            (day(1), "30000", "out", FEED_ACCOUNT),  # feed from the anchor
            (day(2), "14999.99", "out", ELSEWHERE),
            (day(8), "5000", "out", ""),  # cash, but after the 7 days
            (day(-1), "5000", "out", ""),  # before the drawdown
            (day(3), "9000", "in", ELSEWHERE),  # money in is not money out
        ],
        users,
    )
    assert fired("FUNDS_DIVERTED", day(9)) == set()  # 14,999.99 < 30 % of 50,000
    deliver(farmer, [(day(7), "0.01", "out", "")], users)  # the 7th day still counts
    assert fired("FUNDS_DIVERTED", day(10)) == {loan.pk}
    warning = RiskWarning.objects.get(rule__code="FUNDS_DIVERTED", active=True)
    assert Decimal(warning.fact) == Decimal("15000.00")

    # the account it went to is the anchor's after all: the warning clears
    anchor_account_add(anchor=world["program"].anchor, account_no=ELSEWHERE, actor=users["approver"])
    assert fired("FUNDS_DIVERTED", day(11)) == set()
    # … and when the anchor gives it up again, the money paid to it counts once more
    account = AnchorSettlementAccount.objects.get(account_no=ELSEWHERE)
    anchor_account_remove(account=account, actor=users["approver"])
    assert fired("FUNDS_DIVERTED", day(12)) == {loan.pk}
    # repaid to nothing: cleared
    Loan.objects.filter(pk=loan.pk).update(principal_outstanding=0)
    assert fired("FUNDS_DIVERTED", day(13)) == set()


def _monthly_inflows(farmer, users, may: str) -> None:
    months = [dt.date(2026, 11, 10), dt.date(2026, 12, 10)] + [dt.date(2027, m, 10) for m in range(1, 5)]
    deliver(farmer, [(on, "10000", "in", ELSEWHERE) for on in months] + [(dt.date(2027, 5, 3), may, "收", "")], users)


def test_settlement_flow_drop_fires_below_half_the_average_and_clears_next_month(world, users):
    farmer = world["farmer"]
    # May 2027 is the last full month on 15 June; November to April the six before it: 10,000 a month.
    _monthly_inflows(farmer, users, may="5000")
    assert fired("SETTLEMENT_FLOW_DROP", TODAY) == set()  # exactly half: no drop
    deliver(farmer, [(dt.date(2027, 5, 4), "1", "out", ELSEWHERE)], users)  # money out does not count
    assert fired("SETTLEMENT_FLOW_DROP", TODAY) == set()
    RiskWarning.objects.all().delete()

    AccountTransaction.objects.filter(txn_date=dt.date(2027, 5, 3)).update(amount=Decimal("4999.99"))
    assert fired("SETTLEMENT_FLOW_DROP", TODAY) == {farmer.pk}
    # in July the last full month is June, whose money came back
    business_date_set(new_date=dt.date(2027, 7, 1), backwards_allowed=False)
    deliver(farmer, [(dt.date(2027, 6, 20), "12000", "in", ELSEWHERE)], users)
    assert fired("SETTLEMENT_FLOW_DROP", dt.date(2027, 7, 1)) == set()


def test_a_daily_run_of_funds_diverted_agrees_with_a_whole_run(world, users):
    """Each day the core delivers, the anchor's accounts change or the loan is paid down; the day's run
    (scoped: what changed and the active warnings) is followed by a whole run, which finds nothing to do."""
    farmer = world["farmer"]
    day = lambda n: TODAY + dt.timedelta(days=n)  # noqa: E731

    def run_and_compare(n: int) -> None:
        business_date_set(new_date=day(n), backwards_allowed=False)
        summary = warnings_run(day(n))
        whole = warnings_run(day(n), full=True)
        assert "FUNDS_DIVERTED" in summary.scoped or n == 1
        assert (whole.raised.get("FUNDS_DIVERTED", 0), whole.cleared.get("FUNDS_DIVERTED", 0)) == (0, 0), n

    run_and_compare(1)  # the first run looks at everything
    business_date_set(new_date=day(2), backwards_allowed=False)
    deliver(farmer, [(day(2), "20000", "out", ELSEWHERE)], users)
    run_and_compare(3)
    assert active("FUNDS_DIVERTED") == {world["loan"].pk}
    business_date_set(new_date=day(4), backwards_allowed=False)
    anchor_account_add(anchor=world["program"].anchor, account_no=ELSEWHERE, actor=users["approver"])
    run_and_compare(5)
    assert active("FUNDS_DIVERTED") == set()
    business_date_set(new_date=day(6), backwards_allowed=False)
    anchor_account_remove(account=AnchorSettlementAccount.objects.get(), actor=users["approver"])
    run_and_compare(7)
    assert active("FUNDS_DIVERTED") == {world["loan"].pk}
    run_and_compare(8)  # nothing changed
    assert active("FUNDS_DIVERTED") == {world["loan"].pk}


def test_a_daily_run_of_settlement_flow_drop_agrees_with_a_whole_run(world, users):
    """Within a month it looks at the farmers whose money in of the months compared came in late; in a new
    month at everyone. Each day's run is followed by a whole run, which finds nothing to do."""
    farmer = world["farmer"]

    def run_and_compare(on: dt.date) -> list[str]:
        business_date_set(new_date=on, backwards_allowed=False)
        summary = warnings_run(on)
        whole = warnings_run(on, full=True)
        counts = (whole.raised.get("SETTLEMENT_FLOW_DROP", 0), whole.cleared.get("SETTLEMENT_FLOW_DROP", 0))
        assert counts == (0, 0), on
        return summary.scoped

    _monthly_inflows(farmer, users, may="6000")  # 6,000 against 10,000 a month: no drop
    run_and_compare(dt.date(2027, 6, 16))
    assert active("SETTLEMENT_FLOW_DROP") == set()
    business_date_set(new_date=dt.date(2027, 6, 17), backwards_allowed=False)
    deliver(farmer, [(dt.date(2027, 4, 20), "30000", "in", ELSEWHERE)], users)  # April's late sale: the line rises
    deliver(farmer, [(dt.date(2027, 6, 17), "90000", "in", ELSEWHERE)], users)  # June's counts next month
    assert "SETTLEMENT_FLOW_DROP" in run_and_compare(dt.date(2027, 6, 18))
    assert active("SETTLEMENT_FLOW_DROP") == {farmer.pk}
    run_and_compare(dt.date(2027, 6, 19))  # nothing changed
    assert active("SETTLEMENT_FLOW_DROP") == {farmer.pk}
    assert "SETTLEMENT_FLOW_DROP" in run_and_compare(dt.date(2027, 7, 1))  # a new month: June is back up
    assert active("SETTLEMENT_FLOW_DROP") == set()
