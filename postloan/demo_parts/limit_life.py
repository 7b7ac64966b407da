"""The demo's limits after the grant: one frozen by its account manager (waiting for a risk approver), one frozen
by the close on an enforcement record delivered today, one frozen and lifted by a second person, one reduced.

Each piece is looked up by its reason (or, for the close's freeze, by any freeze the close made) before it
is made, so a second run changes nothing. The limits are taken from the feed group's programme at the
manager's outlet, never one being renewed, and each piece takes a limit with no history yet.
"""

from __future__ import annotations

import csv
import io
from decimal import ROUND_DOWN, Decimal

from django.db import transaction

from core.business_date import business_date_get
from origination.figures import limit_outstanding
from origination.models import CreditLimit, CreditLimitChange
from origination.services.limit_life import (
    adverse_event_freezes,
    credit_limit_freeze,
    credit_limit_reduce,
    credit_limit_unfreeze,
)
from partners.models import User
from postloan.demo import demo_anchor_uscc
from risk.services.deliveries import monitoring_events_import

MANUAL_FREEZE = "走访发现存栏骤减，暂停用信，待风险复核。"
LIFTED_FREEZE = "客户反映饲料款纠纷，暂停用信核实。"
LIFTED_REASON = "已核实：纠纷已和解，恢复用信。"
REDUCED = "近三个月订单额下滑约四成，按新订单额调减额度。"
EVENT_NUMBER = "LL-DEMO-000001"


def _untouched_limits() -> list[CreditLimit]:
    """Active limits of the feed group's programme at the manager's outlet, with no history and no renewal."""
    today = business_date_get()
    return list(
        CreditLimit.objects.filter(
            program__anchor__uscc=demo_anchor_uscc(),
            farmer__org_node__code="CD-GX-01",
            status=CreditLimit.Status.ACTIVE,
            expires_on__gt=today,
            changes__isnull=True,
            renewal_of__isnull=True,
            renewed_by__isnull=True,
            renewal_rows__isnull=True,
        ).order_by("id")[:20]
    )


def _enforcement_delivered_today(limit: CreditLimit, manager: User) -> None:
    """The provider's push of an enforcement record on the farmer, dated a few days back, delivered today."""
    today = business_date_get()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["主体证件号", "事件类型", "事件日期", "数值", "详情", "事件编号"])
    writer.writerow([limit.farmer.id_number, "enforcement", today.isoformat(), "", "法院执行立案", EVENT_NUMBER])
    content = buffer.getvalue().encode("utf-8-sig")
    monitoring_events_import(content=content, filename="三方监测数据-当日.csv", actor=manager)


@transaction.atomic
def demo_limit_life_ensure() -> None:
    """The four pieces of the limit's life; what exists already is left as it is."""
    users = User.objects.in_bulk(["manager", "approver", "approver2"], field_name="username")
    if len(users) < 3:
        return
    manager, approver, approver2 = users["manager"], users["approver"], users["approver2"]
    changes = CreditLimitChange.objects.all()
    candidates = _untouched_limits()
    if not changes.filter(reason=MANUAL_FREEZE).exists() and candidates:
        credit_limit_freeze(credit_limit=candidates.pop(0), actor=manager, reason=MANUAL_FREEZE)
    if not changes.filter(reason=LIFTED_FREEZE).exists() and candidates:
        lifted = candidates.pop(0)
        credit_limit_freeze(credit_limit=lifted, actor=manager, reason=LIFTED_FREEZE)
        credit_limit_unfreeze(credit_limit=lifted, actor=approver2, reason=LIFTED_REASON)
    if not changes.filter(reason=REDUCED).exists():
        for limit in candidates:
            drawn = limit_outstanding(limit.pk)
            reduced = max(drawn, (limit.amount * Decimal("0.6") / 1000).to_integral_value(ROUND_DOWN) * 1000)
            if drawn <= reduced < limit.amount:
                credit_limit_reduce(credit_limit=limit, actor=approver, amount=reduced, reason=REDUCED)
                candidates.remove(limit)
                break
    frozen_by_the_close = changes.filter(kind=CreditLimitChange.Kind.FROZEN, actor__isnull=True)
    if not frozen_by_the_close.exists() and candidates:
        _enforcement_delivered_today(candidates[-1], manager)
        # what tonight's close does first thing (it finds the limit frozen then and leaves it)
        adverse_event_freezes(business_date_get())
