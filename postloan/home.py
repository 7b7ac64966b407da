"""首页: each role lands on its work, every count a link to the list that shows exactly those rows.

The home page sits in the top app because it reads every app's work: batches, loans, programmes and their
figures, warnings. Each card counts through the selector its list page filters through (``visible_batches``,
``visible_loans``, ``visible_programs``, ``visible_anchors``, ``warnings_filtered``), with the filters its
link gives that page, so the number on the card is the number of rows the link shows and never counts
beyond what the viewer may see. Figures come from ``origination.figures``; none is computed here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from core.business_date import business_date_get
from core.money import ZERO, format_yuan, money, ratio
from core.roles import Role
from origination.figures import ACTIVE_LOAN, LOAN_SUMS, ProgramFigures, npl_ratio, programs_figures
from origination.models import Batch, Loan
from origination.selectors import visible_batches, visible_loans
from partners.auth import acting_user
from partners.models import Anchor, Program, User
from partners.scoping import visible_anchors, visible_programs
from postloan.anchor_window import AnchorWindow, anchor_window
from postloan.close_alerts import open_alerts
from postloan.close_requests import CONSOLE_ROLES
from postloan.models import RiskWarning
from postloan.models_close import OperationsAlert
from postloan.selectors import WarningFilters, warnings_filtered

# What an account manager reviews before he submits a batch for approval: checked, or processed.
BATCHES_TO_REVIEW = (Batch.Status.VALIDATED, Batch.Status.PROCESSED)


@dataclass(frozen=True)
class Card:
    """One figure of the home page and the list behind it."""

    key: str  # stable, for tests
    label: str
    value: int | Decimal
    url: str
    kind: str = "count"  # count, yuan or percent
    note: str = ""
    alert: bool = False  # a count that asks for action today


@dataclass(frozen=True)
class ProgramCard:
    """An anchor's programme: limits used against approved, margin held against required."""

    program: Program
    figures: ProgramFigures
    url: str
    farmers: int = 0  # farmers holding a limit in force (the anchor's window)

    @property
    def limits_url(self) -> str:
        """The programme's credit limits, a page at a time, with what each farmer has drawn and has left."""
        return _url("limit-list", {"program": self.program.pk})

    @property
    def limits_used_ratio(self) -> Decimal:
        """Outstanding principal ÷ limits in force, as the programme board shows it (0 without a limit)."""
        return ratio(self.figures.outstanding_principal, self.figures.approved_limits)

    @property
    def limits_used_percent(self) -> int:
        """The width of the progress bar, 0 to 100."""
        return min(100, int(self.limits_used_ratio * 100))


@dataclass
class HomePage:
    role: str
    cards: list[Card] = field(default_factory=list)
    batches: list[Card] = field(default_factory=list)  # an anchor operator's batches, one row per status
    programs: list[ProgramCard] = field(default_factory=list)
    admin_links: list[tuple[str, str]] = field(default_factory=list)
    # The close of business's open alerts, for those who run the console (administrators, branch managers).
    operations_alerts: list[OperationsAlert] = field(default_factory=list)
    # An anchor operator's window on his enterprise: batches decided, demands and claims, statements.
    window: AnchorWindow | None = None


def _url(name: str, query: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None) -> str:
    base = reverse(name)
    return f"{base}?{urlencode(query, doseq=True)}" if query else base


def batches_url(statuses: Sequence[str]) -> str:
    return _url("batch-list", {"status": list(statuses)})


# --- each role's cards -----------------------------------------------------------------------------------


def account_manager_cards(user: User, today: dt.date) -> list[Card]:
    """His batches to review, his open warnings due by today (and those overdue), overdue loans."""
    to_review = visible_batches(user).filter(status__in=BATCHES_TO_REVIEW).count()
    due = warnings_filtered(user, WarningFilters(status=RiskWarning.Status.OPEN, assignee=user.pk, due_by=today))
    late = warnings_filtered(user, WarningFilters(assignee=user.pk, overdue=True))
    due_count, late_count = due.count(), late.count()
    overdue_loans = visible_loans(user).filter(status=Loan.Status.ACTIVE, oldest_due_date__isnull=False).count()
    return [
        Card(
            "batches-to-review",
            _("Batches to review"),
            to_review,
            batches_url(BATCHES_TO_REVIEW),
            note=_("Validated or processed, not yet submitted for approval"),
        ),
        Card(
            "warnings-due",
            _("My warnings due today or overdue"),
            due_count,
            _url("warning-list", {"status": "open", "assignee": user.pk, "due_by": today.isoformat()}),
            alert=due_count > 0,
        ),
        Card(
            "warnings-overdue",
            _("Of which past the deadline"),
            late_count,
            _url("warning-list", {"assignee": user.pk, "overdue": 1}),
            alert=late_count > 0,
        ),
        Card(
            "loans-overdue",
            _("Overdue loans"),
            overdue_loans,
            _url("loan-list", {"overdue": 1}),
            alert=overdue_loans > 0,
        ),
    ]


def risk_approver_cards(user: User) -> list[Card]:
    """Batches waiting for his decision, anchors waiting for approval, suspended programmes to reassess."""
    return [
        Card(
            "batches-submitted",
            _("Batches submitted for approval"),
            visible_batches(user).filter(status=Batch.Status.SUBMITTED).count(),
            batches_url([Batch.Status.SUBMITTED]),
        ),
        Card(
            "anchors-pending",
            _("Anchors pending approval"),
            visible_anchors(user).filter(status=Anchor.Status.PENDING).count(),
            _url("anchor-list", {"status": Anchor.Status.PENDING}),
        ),
        Card(
            "programs-suspended",
            _("Suspended programmes to reassess"),
            visible_programs(user).filter(status=Program.Status.SUSPENDED).count(),
            _url("program-list", {"status": Program.Status.SUSPENDED}),
        ),
    ]


def branch_manager_cards(user: User) -> list[Card]:
    """The headline figures of his subtree: outstanding, NPL ratio, open and overdue warnings."""
    sums = (
        visible_loans(user)
        .filter(status=ACTIVE_LOAN)
        .aggregate(loans=Count("id"), outstanding=LOAN_SUMS["outstanding"].orm(), npl=LOAN_SUMS["npl"].orm())
    )
    outstanding, npl = money(sums["outstanding"] or ZERO), money(sums["npl"] or ZERO)
    open_count = warnings_filtered(user, WarningFilters(status=RiskWarning.Status.OPEN)).count()
    late_count = warnings_filtered(user, WarningFilters(overdue=True)).count()
    return [
        Card(
            "outstanding",
            _("Outstanding principal"),
            outstanding,
            _url("loan-list", {"status": ACTIVE_LOAN}),
            kind="yuan",
            note=_("%(count)s active loans") % {"count": sums["loans"]},
        ),
        Card(
            "npl-ratio",
            _("NPL ratio"),
            npl_ratio(npl, outstanding),
            _url("dashboard-programs"),
            kind="percent",
            note=_("NPL principal %(amount)s yuan") % {"amount": format_yuan(npl)},
        ),
        Card("warnings-open", _("Open warnings"), open_count, _url("warning-list", {"status": "open"})),
        Card(
            "warnings-overdue",
            _("Overdue warnings"),
            late_count,
            _url("warning-list", {"overdue": 1}),
            alert=late_count > 0,
        ),
    ]


def anchor_operator_page(user: User, page: HomePage, today: dt.date) -> None:
    """His enterprise's batches by status and the latest with their decisions, for each of his programmes its
    terms, limits and margin, the demands and claims on it, and its monthly statements."""
    by_status = dict(
        visible_batches(user).order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    page.batches = [
        Card(f"batches-{status}", str(label), by_status.get(status, 0), batches_url([status]))
        for status, label in Batch.Status.choices
    ]
    programs = list(visible_programs(user).order_by("name"))
    figures = programs_figures(programs)
    page.window = anchor_window(user, today)
    farmers = page.window.farmers_with_limits
    page.programs = [
        ProgramCard(
            program, figures[program.pk], reverse("program-detail", args=[program.pk]), farmers.get(program.pk, 0)
        )
        for program in programs
    ]


def home_page(user: User, today: dt.date) -> HomePage:
    """What ``user`` sees on his home page on the business date ``today``."""
    page = HomePage(role=user.role)
    if user.role == Role.ACCOUNT_MANAGER:
        page.cards = account_manager_cards(user, today)
    elif user.role == Role.RISK_APPROVER:
        page.cards = risk_approver_cards(user)
    elif user.role == Role.BRANCH_MANAGER:
        page.cards = branch_manager_cards(user)
    elif user.role == Role.ANCHOR_OPERATOR:
        anchor_operator_page(user, page, today)
    if user.role in CONSOLE_ROLES or user.is_superuser:
        page.operations_alerts = open_alerts()
    if user.role == Role.ADMINISTRATOR or user.is_superuser:
        page.admin_links = [
            (_("Warning rules"), reverse("system-admin")),
            (_("Users"), reverse("admin:partners_user_changelist")),
            (_("Organisation"), reverse("admin:partners_orgnode_changelist")),
            (_("Site administration"), reverse("admin:index")),
        ]
    return page


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    return render(request, "postloan/home.html", {"home": home_page(user, business_date_get())})
