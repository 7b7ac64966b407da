"""Audit scenarios of the network: targets set, field research visits and their actions, training and feedback."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.audit import AuditAction
from tests.core.audit_scenarios import Act, World, scenario, users


def _visit(world: World):
    from network.services import ActionInput, outlet_visit_record
    from partners.models import OrgNode

    return outlet_visit_record(
        outlet=OrgNode.objects.get(code="OA"),
        visited_on=dt.date(2027, 6, 10),
        visitor=users(world)["leader"],
        rating="average",
        findings="白名单客户触达率低",
        actions=[ActionInput("逐户电话回访", users(world)["manager"], dt.date(2027, 6, 30))],
        actor=users(world)["leader"],
    )


def _training(world: World):
    from network.services import training_record
    from partners.models import OrgNode

    return training_record(
        node=OrgNode.objects.get(code="SA"),
        held_on=dt.date(2027, 6, 10),
        topic="普惠产品与反诈话术",
        trainer="分行普惠部",
        attendees=[users(world)["manager"]],
        actor=users(world)["leader"],
    )


@scenario(AuditAction.NETWORK_TARGET_SET)
def _target_set(world: World) -> Act:
    from network.services import target_set
    from partners.models import OrgNode

    return lambda: target_set(
        node=OrgNode.objects.get(code="SA"),
        quarter="2027Q3",
        balance_growth=Decimal("5000000.00"),
        borrowers_growth=30,
        npl_ceiling=Decimal("0.0150"),
        actor=users(world)["leader"],
    )


@scenario(AuditAction.OUTLET_VISIT_RECORD)
def _outlet_visit_record(world: World) -> Act:
    return lambda: _visit(world)


@scenario(AuditAction.VISIT_ACTION_DONE)
def _visit_action_done(world: World) -> Act:
    from network.services import visit_action_complete

    action = _visit(world).actions.get()
    return lambda: visit_action_complete(action=action, note="已回访", actor=users(world)["manager"])


@scenario(AuditAction.TRAINING_RECORD)
def _training_record(world: World) -> Act:
    return lambda: _training(world)


@scenario(AuditAction.TRAINING_FEEDBACK)
def _training_feedback(world: World) -> Act:
    from network.services import training_feedback_give

    session = _training(world)
    return lambda: training_feedback_give(session=session, rating=4, comment="有用", actor=users(world)["manager"])
