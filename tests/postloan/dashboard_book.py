"""A small hand-made book for the dashboard tests: two sub-branches, two farmers with loans, a paid-off one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from core.business_date import business_date_set
from origination.models import CreditLimit, Loan
from origination.services.drawdown import loan_disburse
from partners.models import Farmer, OrgNode, Product, ProductHolding, Program, User
from postloan.models import RiskWarning, WarningRule
from postloan.warning_run import rules_ensure
from servicing.services.repayments import repayment_record
from tests.factories import make_farmer, make_lending_world

DAY = dt.date(2027, 6, 15)  # the book is drawn on this business date


@dataclass
class Book:
    program: Program
    farmer_a: Farmer  # outlet A (sub-branch A), a normal loan of 50,000
    farmer_b: Farmer  # outlet B (sub-branch B), a substandard loan of 30,000, overdue
    farmer_c: Farmer  # outlet A, borrowed 20,000 and paid it off the same day
    loan_a: Loan
    loan_b: Loan
    loan_c: Loan
    users: dict[str, User]


def _limit(program: Program, farmer: Farmer, approver: User, amount: str) -> CreditLimit:
    return CreditLimit.objects.create(
        farmer=farmer,
        program=program,
        amount=Decimal(amount),
        approved_on=DAY,
        expires_on=DAY + dt.timedelta(days=400),
        approved_by=approver,
    )


def make_book(users: dict[str, User], org) -> Book:  # type: ignore[no-untyped-def]
    program, farmer_a, limit_a = make_lending_world(users, on=DAY, amount="100000.00", margin="50000.00")
    farmer_b = make_farmer(org.outlet_b, body17="51152119800101123", name="李四", anchor=program.anchor)
    Farmer.objects.filter(pk=farmer_b.pk).update(account_manager=users["manager_b"])
    farmer_c = make_farmer(org.outlet_a, body17="51152119850505456", name="王五", anchor=program.anchor)
    limit_b = _limit(program, farmer_b, users["approver"], "60000.00")
    limit_c = _limit(program, farmer_c, users["approver"], "40000.00")
    loan_a = loan_disburse(credit_limit=limit_a, amount=Decimal("50000.00"), term_months=6, actor=users["manager"])
    loan_b = loan_disburse(credit_limit=limit_b, amount=Decimal("30000.00"), term_months=6, actor=users["manager_b"])
    loan_c = loan_disburse(credit_limit=limit_c, amount=Decimal("20000.00"), term_months=6, actor=users["manager"])
    repayment_record(loan=loan_c, amount=Decimal("20000.00"), actor=users["manager"])
    Loan.objects.filter(pk=loan_b.pk).update(
        classification=Loan.Classification.SUBSTANDARD,
        principal_overdue=Decimal("30000.00"),
        interest_overdue=Decimal("120.50"),
        compensated=Decimal("80.00"),
        oldest_due_date=DAY - dt.timedelta(days=100),
        shadow_oldest_due_date=DAY - dt.timedelta(days=100),
    )
    for loan in (loan_a, loan_b, loan_c):
        loan.refresh_from_db()
    return Book(program, farmer_a, farmer_b, farmer_c, loan_a, loan_b, loan_c, users)


def products_ensure() -> None:
    """The five products the data migration seeds (a transactional test's flush takes them away)."""
    import importlib

    seeded = importlib.import_module("partners.migrations.0003_seed_products")
    for code, name, position in seeded.PRODUCTS:
        Product.objects.get_or_create(code=code, defaults={"name": name, "position": position})


def hold(farmer: Farmer, code: str, opened_on: dt.date) -> ProductHolding:
    return ProductHolding.objects.create(
        farmer=farmer, product=Product.objects.get(code=code), opened_on=opened_on, source="manual"
    )


def warning(
    node: OrgNode,
    *,
    rule: str = "INTEREST_OVERDUE",
    raised_on: dt.date,
    deadline_days: int = 3,
    closed_on: dt.date | None = None,
    resolution: str = "",
    assignee: User | None = None,
    subject_id: int = 1,
) -> RiskWarning:
    rules_ensure()
    definition = WarningRule.objects.get(code=rule)
    return RiskWarning.objects.create(
        rule=definition,
        subject_type=definition.subject_type,
        subject_id=subject_id,
        severity=definition.severity,
        org_node=node,
        assignee=assignee,
        raised_on=raised_on,
        deadline=raised_on + dt.timedelta(days=deadline_days),
        active=closed_on is None,
        status="closed" if closed_on else "open",
        resolution=resolution,
        closed_on=closed_on,
    )


def on(day: dt.date) -> None:
    business_date_set(new_date=day, backwards_allowed=True)
