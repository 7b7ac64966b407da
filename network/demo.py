"""The demo's network work: targets for the demo sub-branches, a few 蹲点 visits with actions, trainings.

Idempotent: each piece is made only when the demo has none of its kind yet.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from core.business_date import business_date_get
from core.calendar import quarter_label, quarter_of
from network.models import OutletVisit, SubBranchTarget, TrainingSession
from network.services import (
    ActionInput,
    outlet_visit_record,
    target_set,
    training_feedback_give,
    training_record,
    visit_action_complete,
)
from partners.models import OrgNode, User

# (sub-branch, balance increase target in 元, borrowers increase target, NPL ceiling): 两增一控 of a quarter.
# Against the demo book's first quarter of lending some are met and some missed; the later quarters ask the same.
TARGETS = (
    ("CD-GX", Decimal("12000000"), 50, Decimal("0.0150")),
    ("CD-JJ", Decimal("8000000"), 25, Decimal("0.0150")),
    ("CD-SL", Decimal("10000000"), 60, Decimal("0.0200")),
    ("CD-PD", Decimal("4000000"), 20, Decimal("0.0200")),
    ("CD-XJ", Decimal("4000000"), 25, Decimal("0.0250")),
    ("CD-CZ", Decimal("2000000"), 12, Decimal("0.0250")),
)
# (outlet, days before the business date, rating, findings, actions: (text, owner, days after the visit))
VISITS = (
    (
        "CD-GX-01",
        20,
        "good",
        "网点主任每周梳理白名单，客户经理逐户电话回访，提款转化高。",
        (("把回访话术整理成案例，供其他网点学习", "manager", 14),),
    ),
    (
        "CD-SL-01",
        12,
        "poor",
        "白名单客户多数未接通，接通的客户认为短信和电话是诈骗；网点未使用95588外呼。",
        (
            ("向未接通客户补发95588官方短信，并约定上门时间", "manager_sl", 7),
            ("组织网点员工参加反诈识别与营销话术培训", "leader", 20),
        ),
    ),
    (
        "CD-JJ-01",
        6,
        "average",
        "客户经理熟悉产品，但白名单分配到人后缺少跟进记录。",
        (("每日在手机上登记联系结果", "manager", 10),),
    ),
)


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


@transaction.atomic
def demo_network_ensure() -> None:
    leader = _user("leader")
    manager = _user("manager")
    if leader is None or manager is None or not OrgNode.objects.filter(code="CD-GX").exists():
        return  # not the demo's world
    today = business_date_get()
    quarters = [quarter_label(today)]
    start, _end = quarter_of(today)
    for _i in range(2):
        start, _end = quarter_of(start - dt.timedelta(days=1))
        quarters.append(quarter_label(start))
    if not SubBranchTarget.objects.exists():
        for code, balance, borrowers, ceiling in TARGETS:
            node = OrgNode.objects.get(code=code)
            for quarter in reversed(quarters):
                target_set(
                    node=node,
                    quarter=quarter,
                    balance_growth=balance,
                    borrowers_growth=borrowers,
                    npl_ceiling=ceiling,
                    actor=leader,
                )
    if not OutletVisit.objects.exists():
        for code, days, rating, findings, actions in VISITS:
            visited_on = today - dt.timedelta(days=days)
            visit = outlet_visit_record(
                outlet=OrgNode.objects.get(code=code),
                visited_on=visited_on,
                visitor=leader,
                rating=rating,
                findings=findings,
                actions=[
                    ActionInput(text, _user(owner) or manager, visited_on + dt.timedelta(days=after))
                    for text, owner, after in actions
                ],
                actor=leader,
            )
            if rating == "good":  # the good outlet already did what it was asked
                for action in visit.actions.all():
                    visit_action_complete(action=action, note="案例已在分行群分享", actor=action.owner)
    if not TrainingSession.objects.exists():
        staff = [u for u in (manager, _user("manager_sl"), _user("leader_gx")) if u is not None]
        branch = OrgNode.objects.filter(kind=OrgNode.Kind.BRANCH).order_by("path").first()
        sessions: tuple[tuple[OrgNode | None, int, str, str, list[User]], ...] = (
            (branch, 40, "普惠产品政策与白名单营销", "分行普惠金融部", staff),
            (OrgNode.objects.get(code="CD-GX"), 25, "提款流程与客户常见问题", "高新支行", [manager]),
            (OrgNode.objects.get(code="CD-SL-01"), 3, "反诈识别与95588官方渠道说明", "双流支行", staff[1:2] or staff),
        )
        for held_for, days, topic, trainer, attendees in sessions:
            if held_for is None:
                continue
            session = training_record(
                node=held_for,
                held_on=today - dt.timedelta(days=days),
                topic=topic,
                trainer=trainer,
                attendees=attendees,
                actor=leader,
            )
            if days > 10:
                training_feedback_give(session=session, rating=4, comment="案例贴近实际，希望多讲话术", actor=manager)
