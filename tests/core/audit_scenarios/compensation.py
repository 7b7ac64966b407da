"""Audit scenarios of compensation to the end: the anchor's own payments, recorded and checked by two people."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.audit import AuditAction
from tests.core.audit_scenarios import Act, World, scenario, users


def _overdue() -> None:
    """The world's loan falls overdue on 20 June (its first interest): a demand on the anchor."""
    from postloan.cob import close_business_days

    close_business_days(to=dt.date(2027, 6, 21))


def _payment(world: World):  # type: ignore[no-untyped-def]
    from servicing.anchor_payments import anchor_payment_record

    return anchor_payment_record(
        anchor=world["program"].anchor,
        reference="HX-AUDIT-1",
        amount=Decimal("10.00"),
        value_date=dt.date(2027, 6, 21),
        actor=users(world)["manager"],
    )


@scenario(AuditAction.ANCHOR_PAYMENT_RECORD)
def _record(world: World) -> Act:
    _overdue()
    return lambda: _payment(world)


@scenario(AuditAction.ANCHOR_PAYMENT_APPROVE)
def _approve(world: World) -> Act:
    from servicing.anchor_payments import anchor_payment_approve

    _overdue()
    payment = _payment(world)
    return lambda: anchor_payment_approve(payment=payment, actor=users(world)["approver"])


@scenario(AuditAction.ANCHOR_PAYMENT_REJECT)
def _reject(world: World) -> Act:
    from servicing.anchor_payments import anchor_payment_reject

    _overdue()
    payment = _payment(world)
    return lambda: anchor_payment_reject(payment=payment, actor=users(world)["approver"], note="未到账")


def _loss_loan(world: World):  # type: ignore[no-untyped-def]
    from origination.models import Loan

    Loan.objects.filter(pk=world["loan"].pk).update(classification="loss")
    return Loan.objects.get(pk=world["loan"].pk)


@scenario(AuditAction.WRITE_OFF_PROPOSE)
def _write_off_propose(world: World) -> Act:
    from servicing.write_off import write_off_propose

    loan = _loss_loan(world)
    return lambda: write_off_propose(loan=loan, reason="借款人失联，担保已追偿", actor=users(world)["manager"])


@scenario(AuditAction.WRITE_OFF_APPROVE)
def _write_off_approve(world: World) -> Act:
    from servicing.write_off import write_off_approve, write_off_propose

    proposal = write_off_propose(loan=_loss_loan(world), reason="失联", actor=users(world)["manager"])
    return lambda: write_off_approve(write_off=proposal, actor=users(world)["approver"])


@scenario(AuditAction.WRITE_OFF_REJECT)
def _write_off_reject(world: World) -> Act:
    from servicing.write_off import write_off_propose, write_off_reject

    proposal = write_off_propose(loan=_loss_loan(world), reason="失联", actor=users(world)["manager"])
    return lambda: write_off_reject(write_off=proposal, actor=users(world)["approver"], note="仍在清收")
