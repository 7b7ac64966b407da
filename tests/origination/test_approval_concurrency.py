"""Two approvers at the same moment cannot both use the programme's last room under its cap."""

import datetime as dt
from decimal import Decimal

import pytest

from core.business_date import business_date_set
from core.errors import DomainError
from origination.models import Batch, CreditLimit
from origination.services.approval import batch_approve, batch_submit
from origination.services.intake import Upload, batch_upload
from origination.tasks import batch_process_dispatch
from partners.models import Program
from tests.concurrency import run_concurrently
from tests.factories import make_anchor, make_program, make_trades, resident_id_with_check

HEADER = "姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分\n"


def _submitted_batch(program, users, id_number, name):
    make_trades(program.anchor, id_number, [(dt.date(2026, 9, 1), "1000000.00")], prefix=name)
    content = (HEADER + f"{name},{id_number},13812345678,300000,1000000,80\n").encode()
    batch = batch_upload(program=program, actor=users["manager"], farmer_list=Upload(content, f"{name}.csv"))
    batch_process_dispatch(batch, users["manager"])
    return batch_submit(batch=Batch.objects.get(pk=batch.pk), actor=users["manager"])


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_never_cross_the_cap(users):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    anchor = make_anchor(users["manager"], approver=users["approver"])
    # room for one 300,000 limit only
    program = make_program(
        anchor, users["approver"], total_cap=Decimal("400000.00"), per_farmer_cap=Decimal("400000.00")
    )
    first = _submitted_batch(program, users, resident_id_with_check("51152119700819196"), "甲")
    second = _submitted_batch(program, users, resident_id_with_check("51018119680413303"), "乙")

    results = run_concurrently(
        lambda: batch_approve(batch=first, actor=users["approver"]),
        lambda: batch_approve(batch=second, actor=users["approver2"]),
    )

    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and refused[0].code == "program_cap_exceeded", results
    assert CreditLimit.objects.filter(program=program).count() == 1
    total = sum(limit.amount for limit in CreditLimit.objects.filter(program=program))
    assert total <= Program.objects.get(pk=program.pk).total_cap
