"""The demo's programme changes: one in force on the feed group's programme, one waiting on the smaller one.

The account manager proposed a higher total cap for the feed group, which a risk approver approved on the
day it was to apply, so that programme's history shows two versions of its parameters and its page still
offers a new proposal. On the smaller anchor's programme a lower rate, proposed for next week, is waiting
for a risk approver. Neither touches what the other demo pieces rely on: the cap only grows, and the rate
waits.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from core.business_date import business_date_get
from origination.services.program_changes import program_change_approve, program_change_propose
from partners.models import Program, ProgramChange, User
from postloan.demo import demo_anchor_uscc, demo_small_anchor_uscc

RAISED_CAP = Decimal("450000000.00")
LOWER_RATE = Decimal("0.0415")


@transaction.atomic
def demo_program_change_ensure() -> list[ProgramChange]:
    """The applied change and the waiting one (when the smaller programme exists); a second run changes nothing."""
    program = Program.objects.filter(anchor__uscc=demo_anchor_uscc()).order_by("pk").first()
    if program is None:
        return []
    approver = User.objects.get(username="approver2")
    today = business_date_get()
    applied = ProgramChange.objects.filter(program=program, status=ProgramChange.Status.APPLIED)
    if not applied.exists() and program.total_cap < RAISED_CAP:
        change = program_change_propose(
            program=program,
            actor=User.objects.get(username="manager"),
            values={"total_cap": RAISED_CAP},
            effective_from=today,
            reason="特驱集团新增两个养殖基地，推荐客户增多，申请将方案总额提高至4.5亿元。",
        )
        program_change_approve(change=change, actor=approver, note="担保能力评估充足，同意。")
    small = Program.objects.filter(anchor__uscc=demo_small_anchor_uscc()).order_by("pk").first()
    if small is not None:
        waiting = ProgramChange.objects.filter(program=small, status__in=ProgramChange.OPEN_STATUSES)
        if not waiting.exists() and small.annual_rate != LOWER_RATE:
            program_change_propose(
                program=small,
                actor=User.objects.get(username="manager_sl"),
                values={"annual_rate": LOWER_RATE},
                effective_from=today + dt.timedelta(days=7),
                reason="同业同类产品利率下调，为保持竞争力，申请下周起新放款年利率调整为4.15%。",
            )
    return list(ProgramChange.objects.order_by("id"))
