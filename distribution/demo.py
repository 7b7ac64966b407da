"""The demo's lists: the programmes' whitelists handed down to their outlets and staff, a 经营快贷 pre-approved
list, a market's merchants and the private-banking clients found on the pre-approved list, with some contacts.

Idempotent: the whitelists are synced (a no-op the second time) and each other piece is made only once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db import transaction
from stdnum.cn import ric

from distribution.models import ContactOutcome, ListEntry, OutreachList
from distribution.services import (
    contact_record,
    entries_assign,
    outreach_list_import,
    private_banking_match,
    whitelist_sync,
)
from partners.models import OrgNode, User

PREAPPROVED_NAME = "经营快贷预授信名单（2027年二季度）"
MERCHANTS_NAME = "荷花池专业市场商户"
PRIVATE_BANKING_NAME = "私行客户·经营快贷"
# People of the demo (postloan.demo.DEMO_LOGINS) who work their lists from the phone.
WORKERS = ("manager", "manager_sl")
# (name, ID body of 17 digits, phone, opened on, pre-approved amount)
PREAPPROVED = (
    ("杨德明", "51010419700312151", "13980010001", "2015-03-02", "300000"),
    ("吴春燕", "51010619820517262", "13980010002", "2018-07-19", "150000"),
    ("郑国庆", "51011219751001373", "13980010003", "2012-11-05", "500000"),
    ("孙丽华", "51012219880224484", "13980010004", "2020-01-08", "80000"),
    ("冯建军", "51012419790830595", "13980010005", "2016-04-22", "200000"),
    ("何小红", "51013219910615606", "13980010006", "2019-09-30", "100000"),
)
MERCHANTS = (
    ("M-HHC-001", "蓉城干货批发部", "13880020001", "专业市场", "荷花池市场"),
    ("M-HHC-002", "川西调料行", "13880020002", "专业市场", "荷花池市场"),
    ("M-CXL-001", "春熙路老茶馆", "13880020003", "商圈", "春熙路商圈"),
    ("M-CXL-002", "锦里小吃坊", "13880020004", "商圈", "春熙路商圈"),
)


def _id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def _csv(header: str, rows: Sequence[Sequence[str]]) -> bytes:
    return (header + "\n" + "".join(",".join(row) + "\n" for row in rows)).encode()


@transaction.atomic
def demo_distribution_ensure() -> None:
    admin = User.objects.filter(username="admin").first()
    leader_gx = User.objects.filter(username="leader_gx").first()
    if admin is None or leader_gx is None or leader_gx.org_node is None:
        return
    whitelist_sync(actor=admin)
    _hand_down(admin)
    sub_branch = leader_gx.org_node
    outlet = OrgNode.objects.filter(parent=sub_branch, kind=OrgNode.Kind.OUTLET).order_by("code").first()
    if not OutreachList.objects.filter(name=PREAPPROVED_NAME).exists():
        rows = [
            (f"KD{i:04d}", name, _id(body), phone, opened, amount, outlet.code if outlet and i % 2 else "")
            for i, (name, body, phone, opened, amount) in enumerate(PREAPPROVED, start=1)
        ]
        outreach_list_import(
            kind=OutreachList.Kind.PREAPPROVED,
            name=PREAPPROVED_NAME,
            owner_node=sub_branch,
            owner_user=leader_gx,
            content=_csv("客户号,姓名,身份证号,手机号,开户日期,预授信额度,网点代码", rows),
            filename="经营快贷预授信.csv",
            actor=leader_gx,
        )
    if not OutreachList.objects.filter(name=MERCHANTS_NAME).exists():
        outreach_list_import(
            kind=OutreachList.Kind.MERCHANTS,
            name=MERCHANTS_NAME,
            owner_node=sub_branch,
            content=_csv("商户编号,商户名称,联系人手机号,类别,商圈或市场", list(MERCHANTS)),
            filename="商户清单.csv",
            actor=leader_gx,
        )
    preapproved = OutreachList.objects.get(name=PREAPPROVED_NAME)
    if not OutreachList.objects.filter(name=PRIVATE_BANKING_NAME).exists():
        clients = [(name, _id(body)) for name, body, *_rest in PREAPPROVED[:2]] + [("钱多多", _id("51010419650101111"))]
        private_banking_match(
            source_list=preapproved,
            name=PRIVATE_BANKING_NAME,
            owner_node=sub_branch,
            content=_csv("姓名,身份证号", clients),
            filename="私行客户.csv",
            actor=leader_gx,
        )
    _contacts(leader_gx, preapproved)


def _hand_down(admin: User) -> None:
    """Whitelist entries still at the programme's node go to their farmer's outlet; the workers' outlets hand
    them on to the farmer's account manager."""
    waiting: dict[int, list[int]] = defaultdict(list)
    for entry in ListEntry.objects.filter(
        outreach_list__kind=OutreachList.Kind.PROGRAM_WHITELIST, assignee__isnull=True, farmer__isnull=False
    ).select_related("farmer", "node"):
        if entry.node.kind != OrgNode.Kind.OUTLET and entry.farmer is not None:
            waiting[entry.farmer.org_node_id].append(entry.pk)
    for node_id, ids in sorted(waiting.items()):
        entries_assign(entry_ids=ids, actor=admin, to_node=OrgNode.objects.get(pk=node_id))
    for username in WORKERS:
        worker = User.objects.filter(username=username).first()
        if worker is None or worker.org_node_id is None:
            continue
        mine = list(
            ListEntry.objects.filter(
                node_id=worker.org_node_id, assignee__isnull=True, farmer__account_manager=worker
            ).values_list("pk", flat=True)
        )
        if mine:
            entries_assign(entry_ids=mine, actor=admin, to_user=worker)


def _contacts(leader: User, preapproved: OutreachList) -> None:
    """A few contacts on the phone (once): interested, not reached, thought it a fraud, declined."""
    if ContactOutcome.objects.exists():
        return
    results = (
        ("interested", "call", "约了下周三来网点"),
        ("not_reached", "call", ""),
        ("fraud", "call", "以为是诈骗电话，建议先发95588短信"),
        ("declined", "visit", "今年暂无资金需求"),
        ("reached", "call", ""),
    )
    for username in WORKERS:
        worker = User.objects.filter(username=username).first()
        if worker is None:
            continue
        for entry, (result, channel, note) in zip(
            ListEntry.objects.filter(assignee=worker).order_by("pk"), results, strict=False
        ):
            contact_record(entry=entry, actor=worker, result=result, channel=channel, note=note)
    for entry, (result, channel, note) in zip(preapproved.entries.order_by("pk"), results[:2], strict=False):
        contact_record(entry=entry, actor=leader, result=result, channel=channel, note=note)
