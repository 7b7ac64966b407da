"""The demo world (``seed_demo``): each piece is looked up before it is made; a second run changes nothing."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from core.business_date import business_date_get, business_date_set
from core.roles import Role
from origination.figures import book_has_loans
from origination.models import Batch, Loan
from origination.services.intake import Upload, batch_upload
from partners.models import Agreement, AnchorAssessment, OrgNode, Program, User
from partners.selectors import org_root
from partners.services.anchors import agreement_add, anchor_approve, anchor_create, assessment_add
from partners.services.margin import margin_deposit
from partners.services.org import org_node_create, user_create
from partners.services.programs import program_create
from postloan.demo_book import (
    DEMO_END,
    STEADY,
    TROUBLED,
    behaviours,
    draw_loans,
    provider_monitoring,
    service_book,
    verify_and_approve,
)
from postloan.demo_data import DemoFarmer, demo_farmers, demo_trades, verified_total
from risk.services.outbreaks import outbreak_create

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - printed for the demo on purpose

# (code, name, class, outlets) — modelled on 成都分行, the branch whose programme this product follows.
SUB_BRANCHES = (
    (
        "CD-GX",
        "高新支行",
        OrgNode.SubBranchClass.PRIORITY,
        (("CD-GX-01", "天府大道网点"), ("CD-GX-02", "科华路网点")),
    ),
    ("CD-JJ", "锦江支行", OrgNode.SubBranchClass.PRIORITY, (("CD-JJ-01", "春熙路网点"),)),
    (
        "CD-SL",
        "双流支行",
        OrgNode.SubBranchClass.FOLLOW_UP,
        (("CD-SL-01", "东升网点"), ("CD-SL-02", "华阳网点")),
    ),
    ("CD-PD", "郫都支行", OrgNode.SubBranchClass.FOLLOW_UP, (("CD-PD-01", "犀浦网点"),)),
    ("CD-XJ", "新津支行", OrgNode.SubBranchClass.SPECIALTY, (("CD-XJ-01", "五津网点"),)),
    ("CD-CZ", "崇州支行", OrgNode.SubBranchClass.SPECIALTY, (("CD-CZ-01", "崇阳网点"),)),
)


ROOT = ""  # a login's node: the branch root, whatever its code (BRANCH_CODE)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    node_code: str | None  # None: no node (the anchor operator)
    display_name: str


DEMO_LOGINS = (
    DemoLogin("admin", Role.ADMINISTRATOR, ROOT, "系统管理员"),
    DemoLogin("leader", Role.BRANCH_MANAGER, ROOT, "王行长"),
    DemoLogin("leader_gx", Role.BRANCH_MANAGER, "CD-GX", "李行长"),
    DemoLogin("approver", Role.RISK_APPROVER, ROOT, "陈审批"),
    DemoLogin("approver2", Role.RISK_APPROVER, ROOT, "周审批"),
    DemoLogin("manager", Role.ACCOUNT_MANAGER, "CD-GX-01", "张经理"),
    DemoLogin("manager_sl", Role.ACCOUNT_MANAGER, "CD-SL-01", "刘经理"),
    DemoLogin("anchor", Role.ANCHOR_OPERATOR, None, "特驱经办人"),
)


def demo_staff_phone(username: str) -> str:
    """A made-up mobile number for an account manager: the close tells him by message of a limit it froze."""
    return f"1390280{sum(username.encode()) % 10_000:04d}"


def _node(code: str, name: str, kind: str, parent: OrgNode | None, klass: str = "") -> OrgNode:
    existing = OrgNode.objects.filter(code=code).first()
    return existing or org_node_create(code=code, name=name, kind=kind, parent=parent, sub_branch_class=klass)


def _demo_root() -> OrgNode:
    return org_root() or demo_org_tree_ensure()


@transaction.atomic
def demo_org_tree_ensure() -> OrgNode:
    # The demo's branch is the root that migrate made (BRANCH_CODE, 成都分行 by default): a second
    # branch would leave users without a node, who act at the root, outside the demo's world.
    branch = org_root() or _node("CD", "成都分行", OrgNode.Kind.BRANCH, None)
    for code, name, klass, outlets in SUB_BRANCHES:
        sub = _node(code, name, OrgNode.Kind.SUB_BRANCH, branch, klass)
        for outlet_code, outlet_name in outlets:
            _node(outlet_code, outlet_name, OrgNode.Kind.OUTLET, sub)
    return branch


@transaction.atomic
def demo_users_ensure() -> list[DemoLogin]:
    for login in DEMO_LOGINS:
        if User.objects.filter(username=login.username).exists():
            continue
        node = None
        if login.node_code is not None:
            node = _demo_root() if login.node_code == ROOT else OrgNode.objects.get(code=login.node_code)
        is_admin = login.role == Role.ADMINISTRATOR
        user_create(
            username=login.username,
            password=DEMO_PASSWORD,
            role=login.role,
            org_node=node,
            display_name=login.display_name,
            phone=demo_staff_phone(login.username) if login.role == Role.ACCOUNT_MANAGER else "",
            is_staff=is_admin,
            is_superuser=is_admin,
        )
    return list(DEMO_LOGINS)


DEMO_START = dt.date(2027, 3, 1)  # the samples' submission date: trade history runs up to the day before
ANCHOR_USCC_BODY = "91510100MA61R8XT2"  # check character computed at run time


def demo_anchor_uscc() -> str:
    from stdnum.cn import uscc

    return ANCHOR_USCC_BODY + uscc.calc_check_digit(ANCHOR_USCC_BODY)


@transaction.atomic
def demo_anchor_ensure() -> Program:
    """An anchor modelled on the feed group 特驱集团, approved, with agreements, a programme and margin."""
    existing = Program.objects.filter(anchor__uscc=demo_anchor_uscc()).first()
    if existing is not None:
        return existing
    if not book_has_loans():
        business_date_set(new_date=DEMO_START - dt.timedelta(days=400), backwards_allowed=True)
    manager = User.objects.get(username="manager")
    approver = User.objects.get(username="approver")
    node = _demo_root()
    anchor = anchor_create(
        actor=manager,
        name="四川特驱农牧科技集团有限公司",
        uscc=demo_anchor_uscc(),
        guarantee_capacity=Decimal("520000000.00"),
        org_node=node,
        legal_representative="汪林",
        registered_capital=Decimal("300000000.00"),
        industry="饲料生产与畜禽养殖",
        contact_name="刘会计",
        contact_phone="02885550123",
        address="四川省成都市高新区天府大道中段",
    )
    anchor_approve(anchor=anchor, actor=approver)
    # Quarterly assessments over the past year: a steady, slightly rising capacity.
    for quarter_end, capacity, net_assets in (
        (dt.date(2026, 3, 31), "500000000", "1800000000"),
        (dt.date(2026, 6, 30), "505000000", "1850000000"),
        (dt.date(2026, 9, 30), "515000000", "1900000000"),
        (dt.date(2026, 12, 31), "520000000", "1950000000"),
    ):
        business_date_set(new_date=quarter_end + dt.timedelta(days=5), backwards_allowed=True)
        assessment_add(
            anchor=anchor,
            actor=approver,
            assessed_on=quarter_end,
            guarantee_capacity=Decimal(capacity),
            net_assets=Decimal(net_assets),
            revenue=Decimal("12500000000"),
            existing_guarantees=Decimal("800000000"),
            rating=AnchorAssessment.Rating.AA,
            note="季度担保能力评估：经营稳定，现金流充足。",
        )
    business_date_set(new_date=DEMO_START - dt.timedelta(days=10), backwards_allowed=True)
    for kind, number in (
        (Agreement.Kind.COOPERATION, "CD-TQ-HZ-2027-001"),
        (Agreement.Kind.GUARANTEE, "CD-TQ-DB-2027-001"),
    ):
        agreement_add(
            anchor=anchor,
            actor=manager,
            kind=kind,
            number=number,
            signed_on=dt.date(2027, 1, 15),
            expires_on=dt.date(2030, 1, 14),
            scan_content=f"%PDF-1.4 demo scan {number}".encode(),
            scan_name=f"{number}.pdf",
            scan_content_type="application/pdf",
        )
    program = program_create(
        actor=approver,
        anchor=anchor,
        name="特驱供应链养殖贷",
        annual_rate=Decimal("0.0435"),
        manager=manager,
    )
    margin_deposit(program=program, amount=Decimal("5000000.00"), actor=manager, note="首笔保证金")
    User.objects.filter(username="anchor", anchor__isnull=True).update(anchor=anchor)
    business_date_set(new_date=DEMO_START, backwards_allowed=True)
    return program


DEMO_FARMER_COUNT = 300


def demo_farmer_list_csv(farmers: list[DemoFarmer], trades: list[tuple[str, str, dt.date, Decimal]]) -> bytes:
    """The anchor's list as its ERP exports it: GBK, Chinese headers, mixed amount styles, a few bad rows."""
    start, end = DEMO_START.replace(year=DEMO_START.year - 1), DEMO_START - dt.timedelta(days=1)
    lines = ["姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分,地区代码,养殖品种"]
    for index, farmer in enumerate(farmers):
        declared = (verified_total(trades, farmer.id_number, start, end) * farmer.declared_factor).quantize(
            Decimal("1")
        )
        if not farmer.has_trades:
            declared = Decimal(farmer.monthly_orders * 12)
        recommended = f"{farmer.recommended // 10000}万" if index % 3 == 0 else f"{farmer.recommended:,}.00"
        lines.append(
            f'{farmer.name},{farmer.id_number},{farmer.phone},"{recommended}",{declared},'
            f"{60 + index % 40},{farmer.region_code},{farmer.breed}"
        )
    # What real lists contain too: a mistyped identity number and a landline.
    lines.append("错号码,51012219670904729X,13800001111,100000,500000,70,510122,生猪")
    lines.append("座机号,510122196709047297,028-85550123,100000,500000,70,510122,生猪")
    return ("\n".join(lines) + "\n").encode("gbk")


@transaction.atomic
def demo_batch_ensure(program: Program) -> Batch:
    existing = Batch.objects.filter(program=program).order_by("id").first()
    if existing is not None:
        return existing
    farmers = demo_farmers(DEMO_FARMER_COUNT)
    trades = demo_trades(farmers, until=DEMO_START - dt.timedelta(days=1))
    business_date_set(new_date=DEMO_START, backwards_allowed=not book_has_loans())
    clerk = User.objects.get(username="anchor")
    return batch_upload(
        program=program,
        actor=clerk,
        farmer_list=Upload(content=demo_farmer_list_csv(farmers, trades), name="特驱推荐养殖户清单.csv"),
        scorecard=Upload(content=b"%PDF-1.4 demo scorecard", name="打分卡.pdf"),
        recommendation_letter=Upload(content=b"%PDF-1.4 demo recommendation", name="推荐函.pdf"),
        guarantee_letter=Upload(content=b"%PDF-1.4 demo guarantee", name="担保函.pdf"),
    )


SMALL_ANCHOR_USCC_BODY = "91511400MA62Q3K7X"


def demo_small_anchor_uscc() -> str:
    from stdnum.cn import uscc

    return SMALL_ANCHOR_USCC_BODY + uscc.calc_check_digit(SMALL_ANCHOR_USCC_BODY)


def demo_small_program_ensure() -> Program:
    """A smaller anchor with a thin margin: its late farmers are not all compensated."""
    code = demo_small_anchor_uscc()
    existing = Program.objects.filter(anchor__uscc=code).first()
    if existing is not None:
        return existing
    manager = User.objects.get(username="manager_sl")
    approver = User.objects.get(username="approver")
    anchor = anchor_create(
        actor=manager,
        name="眉山丰泽饲料有限公司",
        uscc=code,
        guarantee_capacity=Decimal("30000000.00"),
        org_node=OrgNode.objects.get(code="CD-SL"),
        legal_representative="赵丰",
        industry="饲料生产",
    )
    anchor_approve(anchor=anchor, actor=approver)
    program = program_create(
        actor=approver,
        anchor=anchor,
        name="丰泽养殖户贷",
        annual_rate=Decimal("0.0480"),
        manager=manager,
        total_cap=Decimal("20000000.00"),
        per_farmer_cap=Decimal("500000.00"),
        margin_ratio=Decimal("0.0005"),
    )
    # Thin on purpose: it runs out at the first month end, and later lateness stays with the bank.
    margin_deposit(program=program, amount=Decimal("4000.00"), actor=manager, note="首笔保证金")
    return program


def demo_book_build(program: Program) -> None:
    """Verify, approve, lend and service: the demo's loans in every state."""
    if Loan.objects.exists():
        return
    rng = random.Random(20270301)  # noqa: S311 - a reproducible demo, not a secret
    manager, approver = User.objects.get(username="manager"), User.objects.get(username="approver2")
    submitter = User.objects.get(username="approver")  # at the branch: he sees every row of a list
    farmers = demo_farmers(DEMO_FARMER_COUNT)
    trades = demo_trades(farmers, until=DEMO_START - dt.timedelta(days=1))
    verify_and_approve(demo_batch_ensure(program), trades, manager, approver, submitter=submitter)

    small = demo_small_program_ensure()
    small_manager = User.objects.get(username="manager_sl")
    small_farmers = demo_farmers(40, seed=1453)
    small_trades = demo_trades(small_farmers, until=DEMO_START - dt.timedelta(days=1), seed=11, prefix="FZ")
    small_batch = batch_upload(
        program=small,
        actor=small_manager,
        farmer_list=Upload(content=demo_farmer_list_csv(small_farmers, small_trades), name="丰泽推荐清单.csv"),
    )
    verify_and_approve(small_batch, small_trades, small_manager, approver, submitter=submitter)

    sound = draw_loans(program, manager, rng, share=0.6)
    troubled = draw_loans(small, small_manager, rng, share=0.9)
    kinds = behaviours(sound, rng, STEADY) | behaviours(troubled, rng, TROUBLED)
    feeds = ((program.anchor, farmers, "TQM"), (small.anchor, small_farmers, "FZM"))
    service_book(sound + troubled, kinds, manager, rng, until=DEMO_END - dt.timedelta(days=40), feeds=feeds)
    provider_monitoring(farmers, program.anchor.uscc, manager, rng)
    outbreak_create(
        actor=manager, region_code="511521", disease="非洲猪瘟", declared_on=business_date_get(), note="县畜牧局通报"
    )
    service_book(sound + troubled, kinds, manager, rng, until=DEMO_END, feeds=feeds)


# --- the dashboards' demo ---------------------------------------------------------------------------------
# The farmers are customers of the outlets before they are recommended (the list finds them known and
# leaves them where they are), so that loans, warnings and cross-selling spread over the sub-branches;
# each outlet has its account manager. Holdings of other products come in from a file after the book is
# built, and the cross-selling and warning figures of the simulated months are written again from dates.

# (username, outlet, name, farmers of the feed group's list, of the smaller anchor's list)
OUTLET_MANAGERS = (
    ("manager", "CD-GX-01", "张经理", 60, 0),
    ("manager_gx2", "CD-GX-02", "赵经理", 45, 0),
    ("manager_jj", "CD-JJ-01", "孙经理", 50, 0),
    ("manager_sl", "CD-SL-01", "刘经理", 30, 16),
    ("manager_sl2", "CD-SL-02", "钱经理", 30, 8),
    ("manager_pd", "CD-PD-01", "周经理", 35, 10),
    ("manager_xj", "CD-XJ-01", "吴经理", 25, 6),
    ("manager_cz", "CD-CZ-01", "郑经理", 25, 0),
)


@transaction.atomic
def demo_outlet_managers_ensure() -> None:
    for username, outlet, name, _big, _small in OUTLET_MANAGERS:
        if not User.objects.filter(username=username).exists():
            user_create(
                username=username,
                password=DEMO_PASSWORD,
                role=Role.ACCOUNT_MANAGER,
                org_node=OrgNode.objects.get(code=outlet),
                display_name=name,
                phone=demo_staff_phone(username),
            )


def _outlet_plan(*, small: bool, seed: int) -> list[tuple[OrgNode, User]]:
    """Which outlet (and manager) each farmer of a list belongs to, mixed so every outlet gets all kinds."""
    plan: list[tuple[OrgNode, User]] = []
    for username, outlet, _name, of_big, of_small in OUTLET_MANAGERS:
        place = (OrgNode.objects.get(code=outlet), User.objects.get(username=username))
        plan += [place] * (of_small if small else of_big)
    random.Random(seed).shuffle(plan)  # noqa: S311 - a reproducible demo
    return plan


@transaction.atomic
def demo_farmers_place() -> None:
    """Register the demo lists' farmers at their outlets before the lists come in (nothing once lent)."""
    from partners.services.farmers import farmer_register

    if book_has_loans():
        return
    today = business_date_get()
    for farmers, small, seed in ((demo_farmers(DEMO_FARMER_COUNT), False, 3), (demo_farmers(40, seed=1453), True, 5)):
        for farmer, (outlet, manager) in zip(farmers, _outlet_plan(small=small, seed=seed), strict=True):
            farmer_register(
                name=farmer.name,
                id_number=farmer.id_number,
                phone=farmer.phone,
                org_node=outlet,
                today=today,
                account_manager=manager,
                region_code=farmer.region_code,
                breed=farmer.breed,
            )


def demo_opening_figures() -> None:
    """The dashboards' figures of the first business date, before any loan: the ranking's zero line."""
    from postloan.dashboards.aggregates import aggregates_write
    from postloan.models_dashboards import AggregateDay

    if not book_has_loans() and not AggregateDay.objects.exists():
        aggregates_write(business_date_get())


# Chance that a borrower picked for the file holds each product, and how each sub-branch markets them.
HOLDING_CHANCE = {"DEBIT_CARD": 0.85, "MOBILE_BANKING": 0.6, "PAYROLL": 0.15, "ACQUIRING": 0.12, "WEALTH": 0.22}
MARKETING = {"CD-GX": 1.15, "CD-JJ": 1.0, "CD-SL": 0.8, "CD-PD": 0.9, "CD-XJ": 0.7, "CD-CZ": 0.55}


def demo_holdings_csv(rng: random.Random) -> bytes:
    """The core system's export of products held by about half the borrowers, with a few bad rows."""
    from partners.models import Farmer, Product

    codes = list(Product.objects.filter(code__in=HOLDING_CHANCE).values_list("code", flat=True))
    lines = ["身份证号,产品代码,开通日期"]
    borrowers = Farmer.objects.filter(loans__isnull=False).distinct().select_related("org_node").order_by("id")
    for farmer in borrowers:
        if rng.random() > 0.55:
            continue
        boost = MARKETING.get(farmer.org_node.path.split("/")[1], 1.0)
        for code in codes:
            if rng.random() < min(0.98, HOLDING_CHANCE[code] * boost):
                # Two in five held it before they borrowed; the rest were won over since.
                if rng.random() < 0.4:
                    opened = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(1150))
                else:
                    opened = DEMO_START + dt.timedelta(days=rng.randrange(1, (DEMO_END - DEMO_START).days))
                lines.append(f"{farmer.id_number},{code},{opened.isoformat()}")
    lines += [
        "110101199003070021,DEBIT_CARD,2027-03-15",  # a customer of the bank, but no farmer of ours
        f"{borrowers[0].id_number},CREDIT_CARD,2027-03-15",  # not a product of the list
        f"{borrowers[1].id_number},WEALTH,2027-02-30",  # no such day
    ]
    return ("\n".join(lines) + "\n").encode("gbk")


def demo_cross_selling_ensure() -> None:
    """Holdings from a file and two entered by hand; then the cross-selling figures of every past day."""
    from partners.models import Farmer, Product, ProductHolding
    from postloan.dashboards.aggregates import aggregates_rebuild
    from postloan.dashboards.services import holding_record, holdings_import
    from postloan.models_dashboards import AggregateDay

    if ProductHolding.objects.exists() or not book_has_loans():
        return
    rng = random.Random(20270728)  # noqa: S311 - a reproducible demo
    admin = User.objects.get(username="admin")
    holdings_import(actor=admin, content=demo_holdings_csv(rng), filename="核心系统产品开通清单.csv")
    manager = User.objects.get(username="manager")
    wealth = Product.objects.get(code="WEALTH")
    mine = Farmer.objects.filter(org_node=manager.org_node, loans__isnull=False).exclude(holdings__product=wealth)
    for farmer in mine.distinct().order_by("id")[:2]:
        holding_record(actor=manager, farmer=farmer, product=wealth, opened_on=DEMO_END - dt.timedelta(days=3))
    aggregates_rebuild(AggregateDay.objects.values_list("day", flat=True))


def demo_handling_today() -> None:
    """On the demo's business date every outlet manager works through some of his open warnings (live figures)."""
    from postloan.models import RiskWarning
    from postloan.services import warning_action_add, warning_close

    others = [row[0] for row in OUTLET_MANAGERS if row[0] != "manager"]
    today = business_date_get()
    if not book_has_loans() or RiskWarning.objects.filter(closed_on=today, closed_by__username__in=others).exists():
        return
    rng = random.Random(728)  # noqa: S311 - a reproducible demo
    for username in others:
        manager = User.objects.get(username=username)
        mine = RiskWarning.objects.filter(status=RiskWarning.Status.OPEN, assignee=manager).order_by("deadline", "id")
        for warning in list(mine)[:: rng.choice((3, 4, 5))]:
            warning_action_add(warning=warning, actor=manager, kind="callback", note="电话回访：已核实经营情况。")
            warning_close(
                warning=warning,
                actor=manager,
                resolution=rng.choice(("confirmed_risk", "false_alarm", "false_alarm")),
                reason="回访核实完毕。",
            )
