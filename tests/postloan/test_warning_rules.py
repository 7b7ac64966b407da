"""Each of the 21 rules fires on a minimal case and stays silent on its near miss."""

import datetime as dt
from decimal import Decimal

import pytest

from core.masking import pii_hash
from origination.models import CompensationDemand, Loan
from origination.services.drawdown import loan_disburse
from partners.models import Farmer
from partners.services.anchors import assessment_add
from postloan.models import PostDrawdownCheck, RiskWarning
from postloan.rules import EVERYTHING, RULES, SHARED_SETS
from postloan.warning_run import warnings_run
from risk.models import DataProvider, MonitoringEvent, Outbreak, ProviderDelivery
from tests.factories import SOUND_BOOK_DAY as TODAY
from tests.factories import make_trades


def fired(code, today=TODAY):
    warnings_run(today)
    return set(RiskWarning.objects.filter(rule__code=code, active=True).values_list("subject_id", flat=True))


def update_loan(loan, **fields):
    Loan.objects.filter(pk=loan.pk).update(**fields)


def event(subject_id, event_type, on, value=None):
    provider, _ = DataProvider.objects.get_or_create(code="test", defaults={"name": "测试", "secret": "s" * 64})
    delivery = ProviderDelivery.objects.create(
        provider=provider, kind="events", channel="file", sha256="1" * 64, business_date=on
    )
    MonitoringEvent.objects.create(
        provider=provider,
        event_id=f"E{MonitoringEvent.objects.count()}",
        subject_hash=pii_hash(subject_id),
        subject_kind="person" if len(subject_id) == 18 and subject_id[:1].isdigit() else "enterprise",
        event_type=event_type,
        event_date=on,
        value=value,
        detail="",
        delivery=delivery,
    )


def test_everything_quiet_in_a_sound_book(world):
    warnings_run(TODAY)
    assert list(RiskWarning.objects.values_list("rule__code", flat=True)) == []


def test_interest_overdue(world):
    update_loan(world["loan"], interest_due=Decimal("10.00"))
    assert fired("INTEREST_OVERDUE") == set()
    update_loan(world["loan"], interest_due=0, interest_overdue=Decimal("10.00"), oldest_due_date=TODAY)
    assert fired("INTEREST_OVERDUE") == {world["loan"].pk}


def test_principal_overdue(world):
    update_loan(world["loan"], interest_overdue=Decimal("1.00"))
    assert fired("PRINCIPAL_OVERDUE") == set()
    update_loan(world["loan"], principal_overdue=Decimal("50000.00"))
    assert fired("PRINCIPAL_OVERDUE") == {world["loan"].pk}


def test_maturity_soon(world):
    update_loan(world["loan"], maturity_on=TODAY + dt.timedelta(days=31))
    assert fired("MATURITY_SOON") == set()
    update_loan(world["loan"], maturity_on=TODAY + dt.timedelta(days=30))
    assert fired("MATURITY_SOON") == {world["loan"].pk}


def test_orders_drop(world):
    # May 2027 is the last full month; Nov 2026 – Apr 2027 the six before it (about 20,000 a month).
    farmer, anchor = world["farmer"], world["program"].anchor
    assert fired("ORDERS_DROP") == set()
    base = (
        sum(
            1 for d in range(5, 400, 15) if dt.date(2026, 11, 1) <= TODAY - dt.timedelta(days=d) <= dt.date(2027, 4, 30)
        )
        * 10000
        / 6
    )
    may = sum(
        1 for d in range(5, 400, 15) if dt.date(2027, 5, 1) <= TODAY - dt.timedelta(days=d) <= dt.date(2027, 5, 31)
    )
    assert may * 10000 >= base * 0.5  # steady so far
    from risk.models import TradeRecord

    TradeRecord.objects.filter(order_date__range=(dt.date(2027, 5, 1), dt.date(2027, 5, 31))).delete()
    make_trades(anchor, farmer.id_number, [(dt.date(2027, 5, 10), f"{base * 0.5 - 0.01:.2f}")], prefix="D")
    assert fired("ORDERS_DROP") == {farmer.pk}


def test_orders_stopped(world):
    from risk.models import TradeRecord

    farmer, anchor = world["farmer"], world["program"].anchor
    TradeRecord.objects.all().delete()
    make_trades(anchor, farmer.id_number, [(TODAY - dt.timedelta(days=60), "1.00")], prefix="S")
    assert fired("ORDERS_STOPPED") == set()
    TradeRecord.objects.all().delete()
    make_trades(anchor, farmer.id_number, [(TODAY - dt.timedelta(days=61), "1.00")], prefix="S")
    assert fired("ORDERS_STOPPED") == {farmer.pk}


def test_limit_high_usage(world):
    update_loan(world["loan"], principal_outstanding=Decimal("94999.99"), principal=Decimal("94999.99"))
    assert fired("LIMIT_HIGH_USAGE") == set()
    update_loan(world["loan"], principal_outstanding=Decimal("95000.00"), principal=Decimal("95000.00"))
    assert fired("LIMIT_HIGH_USAGE") == {world["farmer"].pk}


@pytest.mark.parametrize(
    ("code", "kind", "days"),
    [("DRAWDOWN_NOT_VERIFIED", "trade_authenticity", 15), ("CALLBACK_MISSING", "phone_callback", 7)],
)
def test_post_drawdown_checks(world, code, kind, days):
    PostDrawdownCheck.objects.filter(kind=kind).delete()
    update_loan(world["loan"], disbursed_on=TODAY - dt.timedelta(days=days - 1))
    assert fired(code) == set()
    update_loan(world["loan"], disbursed_on=TODAY - dt.timedelta(days=days))
    assert fired(code) == {world["loan"].pk}


@pytest.mark.parametrize(
    ("code", "event_type", "near_miss_type"),
    [
        ("LITIGATION", "litigation", "business_abnormal"),
        ("ENFORCEMENT", "dishonest", "litigation"),
        ("CREDIT_OVERDUE_ELSEWHERE", "credit_overdue", "multi_lender"),
    ],
)
def test_farmer_events(world, code, event_type, near_miss_type):
    farmer = world["farmer"]
    event(farmer.id_number, event_type, TODAY - dt.timedelta(days=366))  # too old
    event(farmer.id_number, near_miss_type, TODAY)
    assert fired(code) == set()
    event(farmer.id_number, event_type, TODAY - dt.timedelta(days=365))
    assert fired(code) == {farmer.pk}


def test_enforcement_also_fires_on_a_plain_enforcement_event(world):
    event(world["farmer"].id_number, "enforcement", TODAY)
    assert fired("ENFORCEMENT") == {world["farmer"].pk}


def test_multi_lender(world):
    event(world["farmer"].id_number, "multi_lender", TODAY, value=Decimal(2))
    assert fired("MULTI_LENDER") == set()
    event(world["farmer"].id_number, "multi_lender", TODAY, value=Decimal(3))
    assert fired("MULTI_LENDER") == {world["farmer"].pk}


def test_region_outbreak(world, users):
    region = world["farmer"].region_code
    Outbreak.objects.create(
        region_code=region, disease="非洲猪瘟", declared_on=TODAY - dt.timedelta(days=91), created_by=users["manager"]
    )
    Outbreak.objects.create(region_code="110101", disease="非洲猪瘟", declared_on=TODAY, created_by=users["manager"])
    assert fired("REGION_OUTBREAK") == set()
    Outbreak.objects.create(
        region_code=region, disease="非洲猪瘟", declared_on=TODAY - dt.timedelta(days=90), created_by=users["manager"]
    )
    assert fired("REGION_OUTBREAK") == {world["farmer"].pk}


def test_borrower_age(world):
    maturity = world["loan"].maturity_on
    Farmer.objects.filter(pk=world["farmer"].pk).update(birth_date=maturity.replace(year=maturity.year - 65))
    assert fired("BORROWER_AGE") == set()  # exactly 65 on the day of maturity
    Farmer.objects.filter(pk=world["farmer"].pk).update(
        birth_date=maturity.replace(year=maturity.year - 65) - dt.timedelta(days=1)
    )
    assert fired("BORROWER_AGE") == {world["loan"].pk}


def test_anchor_capacity_drop(world, users):
    anchor = world["program"].anchor
    assessment_add(anchor=anchor, actor=users["approver"], assessed_on=TODAY, guarantee_capacity=Decimal("400000000"))
    assert fired("ANCHOR_CAPACITY_DROP") == set()  # exactly 80 % of the one before
    assessment_add(
        anchor=anchor, actor=users["approver"], assessed_on=TODAY, guarantee_capacity=Decimal("319999999.99")
    )
    assert fired("ANCHOR_CAPACITY_DROP") == {anchor.pk}


def test_anchor_capacity_below_the_outstanding(world, users):
    anchor = world["program"].anchor
    assessment_add(anchor=anchor, actor=users["approver"], assessed_on=TODAY, guarantee_capacity=Decimal("500000000"))
    assessment_add(anchor=anchor, actor=users["approver"], assessed_on=TODAY, guarantee_capacity=Decimal("49999.99"))
    assert fired("ANCHOR_CAPACITY_DROP") == {anchor.pk}


def test_anchor_abnormal(world):
    anchor = world["program"].anchor
    event(anchor.uscc, "multi_lender", TODAY, value=Decimal(9))
    assert fired("ANCHOR_ABNORMAL") == set()
    event(anchor.uscc, "business_abnormal", TODAY)
    assert fired("ANCHOR_ABNORMAL") == {anchor.pk}


def test_margin_shortfall(world, users):
    from partners.models import MarginEntry

    program = world["program"]
    # required: 5 % of 50,000 = 2,500.00; the balance is 5,000.00
    posted = {"status": "posted", "business_date": TODAY}
    MarginEntry.objects.create(program=program, kind="withdrawal", amount=Decimal("2500.00"), **posted)
    assert fired("MARGIN_SHORTFALL") == set()
    MarginEntry.objects.create(program=program, kind="withdrawal", amount=Decimal("0.01"), **posted)
    assert fired("MARGIN_SHORTFALL") == {program.pk}


def test_a_deposit_waiting_for_the_banks_confirmation_does_not_avert_a_margin_shortfall(world):
    from partners.models import MarginEntry

    program = world["program"]
    # required 2,500.00; the posted balance falls to 2,499.99, and the anchor announces 100,000.00
    MarginEntry.objects.create(
        program=program, kind="withdrawal", status="posted", amount=Decimal("2500.01"), business_date=TODAY
    )
    MarginEntry.objects.create(
        program=program, kind="deposit", status="pending", amount=Decimal("100000.00"), business_date=TODAY
    )
    assert fired("MARGIN_SHORTFALL") == {program.pk}


def test_compensation_unpaid(world):
    loan = world["loan"]
    update_loan(loan, interest_overdue=Decimal("10.00"), oldest_due_date=TODAY)
    demand = CompensationDemand.objects.create(
        loan=loan, program=world["program"], raised_on=TODAY, amount=Decimal("10.00"), status="compensated"
    )
    assert fired("COMPENSATION_UNPAID") == set()
    CompensationDemand.objects.filter(pk=demand.pk).update(status="claim", unrecovered=Decimal("10.00"))
    assert fired("COMPENSATION_UNPAID") == {world["program"].pk}


@pytest.mark.parametrize(("code", "line"), [("PROGRAM_NPL_WARNING", "2.00"), ("PROGRAM_SUSPENDED", "3.00")])
def test_program_npl_lines(world, users, code, line):
    # 100.00 outstanding in all, of which the substandard loan holds just under, then exactly, the line
    program, loan = world["program"], world["loan"]
    other = loan_disburse(credit_limit=world["limit"], amount=Decimal("10.00"), term_months=3, actor=users["manager"])
    npl = Decimal(line)
    update_loan(
        other, principal=Decimal("10.00"), principal_outstanding=npl - Decimal("0.01"), classification="substandard"
    )
    update_loan(loan, principal=Decimal("100.00"), principal_outstanding=Decimal("100.00") - npl + Decimal("0.01"))
    assert fired(code) == set()
    update_loan(other, principal_outstanding=npl)
    update_loan(loan, principal_outstanding=Decimal("100.00") - npl)
    assert fired(code) == {program.pk}


def test_anchor_review_overdue(world):
    # the last full quarter before 15 June 2027 is Q1 2027, reviewed on 31 March; Q3 has no review
    assert fired("ANCHOR_REVIEW_OVERDUE") == set()
    assert fired("ANCHOR_REVIEW_OVERDUE", today=dt.date(2027, 10, 1)) == {world["program"].anchor_id}


@pytest.mark.django_db
def test_each_rule_declares_the_shared_sets_its_query_reads():
    # The close fills a shared set only for the rules that declare it (postloan.warning_run.warning_chunks).
    for rule in RULES:
        sql, _params = rule.query(TODAY, dict(rule.parameters), EVERYTHING)
        for shared in SHARED_SETS:
            assert (shared.name in sql) == (shared.name in rule.reads), (rule.code, shared.name)
