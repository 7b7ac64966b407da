"""The demo's programme changes: the feed group's programme with one change in force and one waiting.

The account manager proposed a higher total cap, which a risk approver approved on the day it was to apply,
so the programme's history shows two versions of its parameters; a lower rate, proposed for next week, is
waiting for a risk approver on the programme's page. Neither touches what the other demo pieces rely on:
the cap only grows, and the rate waits.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from core.business_date import business_date_get
from origination.services.program_changes import program_change_approve, program_change_propose
from partners.models import Program, ProgramChange, User
from postloan.demo import demo_anchor_uscc

RAISED_CAP = Decimal("450000000.00")
LOWER_RATE = Decimal("0.0415")


@transaction.atomic
def demo_program_change_ensure() -> list[ProgramChange]:
    """One applied change and one proposed change on the demo programme; a second run changes nothing."""
    program = Program.objects.filter(anchor__uscc=demo_anchor_uscc()).order_by("pk").first()
    if program is None:
        return []
    manager = User.objects.get(username="manager")
    approver = User.objects.get(username="approver2")
    today = business_date_get()
    changes = ProgramChange.objects.filter(program=program)
    if not changes.filter(status=ProgramChange.Status.APPLIED).exists() and program.total_cap < RAISED_CAP:
        applied = program_change_propose(
            program=program,
            actor=manager,
            values={"total_cap": RAISED_CAP},
            effective_from=today,
            reason="特驱集团新增两个养殖基地，推荐客户增多，申请将方案总额提高至4.5亿元。",
        )
        program_change_approve(change=applied, actor=approver, note="担保能力评估充足，同意。")
    if not changes.filter(status__in=ProgramChange.OPEN_STATUSES).exists() and program.annual_rate != LOWER_RATE:
        program_change_propose(
            program=program,
            actor=manager,
            values={"annual_rate": LOWER_RATE},
            effective_from=today + dt.timedelta(days=7),
            reason="同业同类产品利率下调，为保持竞争力，申请下周起新放款年利率调整为4.15%。",
        )
    return list(changes.order_by("id"))
