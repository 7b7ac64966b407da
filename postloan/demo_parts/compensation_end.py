"""The demo's compensation to the end: the smaller anchor pays part of what it owes from its own funds (recorded
by one person, checked by another), a farmer the anchor paid for repays and reimburses it first, and a loss is
written off with two approvals and later partly recovered. Run once, after the book is built."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from core.business_date import business_date_get
from core.money import money
from origination.models import AnchorPayment, Loan, WriteOff
from partners.models import Program, User
from postloan.demo import demo_small_anchor_uscc
from servicing.anchor_payments import anchor_owed_total, anchor_payment_approve, anchor_payment_record
from servicing.recovery import recovery_due
from servicing.services.repayments import loan_classify, loan_owed, repayment_record
from servicing.write_off import write_off_approve, write_off_propose


@transaction.atomic
def demo_compensation_end_ensure() -> None:
    if AnchorPayment.objects.exists() or WriteOff.objects.exists():
        return
    users = {name: User.objects.get(username=name) for name in ("manager", "manager_sl", "approver", "approver2")}
    today = business_date_get()
    _anchor_pays(users, today)
    _farmer_reimburses_the_anchor(users)
    _loss_written_off(users)


def _anchor_pays(users: dict[str, User], today: dt.date) -> None:
    """Half of what the smaller anchor owes (its demands and claims), paid by transfer and checked."""
    program = Program.objects.filter(anchor__uscc=demo_small_anchor_uscc()).select_related("anchor").first()
    if program is None:
        return
    owed = anchor_owed_total(program.anchor_id, today)
    if owed <= 0:
        return
    payment = anchor_payment_record(
        anchor=program.anchor,
        reference=f"ZF{today:%Y%m%d}0001",
        amount=money(owed / 2),
        value_date=today,
        actor=users["manager_sl"],
        note="龙头企业以自有资金代偿（网银转账）",
    )
    anchor_payment_approve(payment=payment, actor=users["approver"])


def _farmer_reimburses_the_anchor(users: dict[str, User]) -> None:
    """A farmer the anchor paid for repays at the counter: the anchor is reimbursed first (追偿)."""
    for loan in Loan.objects.filter(status=Loan.Status.ACTIVE, compensated__gt=0).order_by("id"):
        to_anchor = recovery_due(loan)
        if to_anchor <= 0:
            continue
        owed = loan_owed(loan, business_date_get()).total
        amount = min(to_anchor + owed, to_anchor + Decimal("500.00"))
        repayment_record(loan=loan, amount=amount, actor=_manager_of(loan, users))
        return


def _loss_written_off(users: dict[str, User]) -> None:
    """The most overdue loan the anchor did not pay for, classified loss by a risk approver (the farmer has
    died; the court found nothing to enforce), written off (proposed by its manager, two approvals) and then
    partly recovered from his estate."""
    loan = (
        Loan.objects.filter(status=Loan.Status.ACTIVE, oldest_due_date__isnull=False, compensated=0)
        .order_by("oldest_due_date", "id")
        .first()
    )
    if loan is None:
        return
    loan_classify(
        loan=loan,
        classification=Loan.Classification.LOSS,
        reason="借款人死亡，法院执行无财产可供执行。",
        actor=users["approver"],
    )
    proposal = write_off_propose(
        loan=Loan.objects.get(pk=loan.pk),
        reason="借款人死亡，经诉讼执行无财产可供执行，损失已确认。",
        actor=_manager_of(loan, users),
    )
    write_off_approve(write_off=proposal, actor=users["approver2"])
    write_off_approve(write_off=WriteOff.objects.get(pk=proposal.pk), actor=User.objects.get(username="leader"))
    repayment_record(loan=Loan.objects.get(pk=loan.pk), amount=Decimal("800.00"), actor=_manager_of(loan, users))


def _manager_of(loan: Loan, users: dict[str, User]) -> User:
    return users["manager_sl"] if loan.program.anchor.uscc == demo_small_anchor_uscc() else users["manager"]
