"""Dashboard pages for leaders on a PC or a phone; each table also as XLSX (``?export=<table>``)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.business_date import business_date_get
from core.db_router import replica_reads
from core.errors import DomainError
from core.exports import xlsx_response
from core.permissions import require_role
from core.roles import Role
from core.uploads import upload_read
from partners.auth import acting_user
from partners.models import Farmer, HoldingImport, Product, User
from partners.scoping import visible_farmers
from partners.services.farmers import farmer_identity_search
from postloan.dashboards import selectors, tables
from postloan.dashboards.importers import HOLDING_COLUMNS
from postloan.dashboards.ranking import TARGET_POINTS, WEIGHTS, RankedSubBranch
from postloan.dashboards.services import HOLDING_ROLES, holding_record, holdings_import

DASHBOARD_ROLES = (Role.BRANCH_MANAGER, Role.ADMINISTRATOR, Role.RISK_APPROVER, Role.ACCOUNT_MANAGER)
SEARCH_LIMIT = 20
IDENTITY_NUMBER = re.compile(r"\d{17}[\dXx]")  # a full resident ID number
HEADERS = {spec.field: spec.aliases[0] for spec in HOLDING_COLUMNS}  # the file's own (Chinese) column headers
T = TypeVar("T")
# Bootstrap's danger / warning / info: a high-severity slice reads red at a glance.
SEVERITY_COLORS = {"high": "#dc3545", "medium": "#fd7e14", "low": "#0dcaf0"}


def _viewer(request: HttpRequest) -> User:
    user = acting_user(request)
    require_role(user, *DASHBOARD_ROLES)
    return user


def _export(request: HttpRequest, available: dict[str, tables.Table], day: dt.date | None) -> HttpResponse:
    """The table named by ``?export=`` as XLSX (the caller has checked that one is named)."""
    name = request.GET.get("export", "")
    table = available.get(name)
    if table is None:
        raise Http404(name)
    stamp = day.isoformat() if day else "none"
    return xlsx_response(f"{table.name}-{stamp}.xlsx", table.headers, table.rows)


def _float(value: Decimal | None, scale: int = 1) -> float | None:
    """A figure for a chart (charts draw floats; pages and exports keep Decimal)."""
    return None if value is None else float(value) / scale


@login_required
def dashboards_home(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    return redirect("dashboard-warnings")


def _once(compute: Callable[[], T]) -> Callable[[], T]:
    """A value a page's cached fragment needs: computed at most once, and only when the fragment is missing.

    Django templates call a callable they find in the context, so the selectors behind a fragment that
    comes from the cache never run.
    """
    return functools.cache(compute)


def _fragment(user: User, figures: selectors.Figures, *extra: str) -> str:
    """What a page's figures depend on: the viewer's scope and the live figures' version (see ``Figures``)."""
    return "|".join((selectors.scope_key(user), figures.live_version, *extra))


def _warning_charts(board: selectors.WarningDashboard) -> dict[str, object]:
    return {
        "days": [row["day"] for row in board.trend],
        "open": [row["open"] for row in board.trend],
        "overdue": [row["overdue"] for row in board.trend],
        "raised": [row["raised"] for row in board.trend],
        "handled": [row["handled"] for row in board.trend],
        "rules": [row.label for row in board.by_rule[:10]],
        "rule_open": [row.counts.open for row in board.by_rule[:10]],
        "rule_overdue": [row.counts.overdue for row in board.by_rule[:10]],
        "rule_links": [row.query for row in board.by_rule[:10]],
        "severity": [
            {
                "name": row.label,
                "value": row.counts.open,
                "itemStyle": {"color": SEVERITY_COLORS.get(row.key.removeprefix("severity-"), "#6c757d")},
            }
            for row in board.by_severity
        ],
        "severity_links": [row.query for row in board.by_severity],
        "labels": {
            "open": _("Open"),
            "overdue": _("overdue"),
            "raised": _("raised"),
            "handled": _("handled"),
        },
    }


@login_required
@replica_reads
def warnings_dashboard(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    today = business_date_get()
    if request.GET.get("export"):
        exported = selectors.warning_dashboard(user, today)
        return _export(request, tables.warning_tables(exported), exported.latest)
    figures = selectors.figures_of(today)
    board = _once(lambda: selectors.warning_dashboard(user, today))
    context = {
        "board": board,
        "charts": _once(lambda: _warning_charts(board())),
        "tab": "warnings",
        "latest": figures.latest,
        "fragment": _fragment(user, figures, str(today)),
        "list_url": reverse("warning-list"),
    }
    return render(request, "postloan/dashboards/warnings.html", context)


def _program_charts(board: selectors.ProgramDashboard) -> dict[str, object]:
    names = {row.program.pk: row.program.name for row in board.rows}
    lines = sorted({row.program.npl_warning_ratio for row in board.rows})
    stops = sorted({row.program.npl_suspend_ratio for row in board.rows})
    return {
        "days": board.trend_days,
        "outstanding": [
            {"name": names[pk], "values": [_float(v, 10_000) for v in series["outstanding"]]}
            for pk, series in board.trend.items()
        ],
        "npl_ratio": [
            {"name": names[pk], "values": [_float(v * 100) for v in series["npl_ratio"]]}
            for pk, series in board.trend.items()
        ],
        "gross": [
            {"name": names[pk], "values": [_float(v, 10_000) for v in series["gross_delinquency"]]}
            for pk, series in board.trend.items()
        ],
        "warning_lines": [_float(v * 100) for v in lines],
        "suspension_lines": [_float(v * 100) for v in stops],
        "mix_programs": [row.program.name for row in board.rows],
        "mix": [
            {"name": str(label), "values": [_float(row.figures[key], 10_000) for row in board.rows]}
            for key, label in (
                ("normal", _("Normal")),
                ("special_mention", _("Special mention")),
                ("substandard", _("Substandard")),
                ("doubtful", _("Doubtful")),
                ("loss", _("Loss")),
            )
        ],
        "labels": {"warning": _("NPL warning ratio"), "suspension": _("NPL suspension ratio")},
    }


@login_required
@replica_reads
def programs_dashboard(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    today = business_date_get()
    if request.GET.get("export"):
        exported = selectors.program_dashboard(user, today)
        return _export(request, tables.program_tables(exported), exported.latest)
    figures = selectors.figures_of(today)
    board = _once(lambda: selectors.program_dashboard(user, today))
    context = {
        "board": board,
        "charts": _once(lambda: _program_charts(board())),
        "tab": "programs",
        "latest": figures.latest,
        "fragment": _fragment(user, figures),
    }
    return render(request, "postloan/dashboards/programs.html", context)


def _farmer_search(request: HttpRequest, user: User, query: str) -> list[Farmer]:
    if not query:
        return []
    if IDENTITY_NUMBER.fullmatch(query):
        # Whether a full number is a borrower's is personal data: the same users as a reveal, and logged.
        try:
            return farmer_identity_search(actor=user, id_number=query, limit=SEARCH_LIMIT)
        except DomainError as exc:
            messages.error(request, exc.detail)
            return []
    farmers = visible_farmers(user).select_related("org_node")
    return list(farmers.filter(name__icontains=query).order_by("name", "id")[:SEARCH_LIMIT])


def _cross_selling_charts(board: selectors.CrossSellingDashboard) -> dict[str, object]:
    return {
        "products": [product.name for product in board.products],
        "penetration": [_float((board.total.rate(p.pk) or Decimal(0)) * 100) for p in board.products],
        "days": board.trend_days,
        "trend": [
            {"name": p.name, "values": [_float(v * 100) for v in board.trend.get(p.pk, [])]} for p in board.products
        ],
        "labels": {"penetration": _("penetration (%)")},
    }


@login_required
@replica_reads
def cross_selling_dashboard(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    today = business_date_get()
    if request.GET.get("export"):
        exported = selectors.cross_selling_dashboard(user, today)
        return _export(request, tables.cross_selling_tables(exported), exported.latest)
    figures = selectors.figures_of(today)
    board = _once(lambda: selectors.cross_selling_dashboard(user, today))
    query = request.GET.get("q", "").strip()
    can_record = user.has_role(*HOLDING_ROLES)
    context = {
        "board": board,
        "charts": _once(lambda: _cross_selling_charts(board())),
        "tables": _once(
            lambda: [
                (_("By sub-branch"), "cross-selling-by-sub-branch", board().by_sub_branch, True),
                (_("By programme"), "cross-selling-by-programme", board().by_program, False),
            ]
        ),
        "products": _once(lambda: list(Product.objects.filter(active=True))),
        "tab": "cross-selling",
        "latest": figures.latest,
        "fragment": _fragment(user, figures),
        "can_record": can_record,
        "headers": HEADERS,
        "imports": HoldingImport.objects.filter(imported_by=user).select_related("file")[:5] if can_record else [],
        "query": query,
        "found": _farmer_search(request, user, query),
    }
    return render(request, "postloan/dashboards/cross_selling.html", context)


@login_required
@require_POST
def holdings_import_view(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose the file of product holdings."))
        return redirect("dashboard-cross-selling")
    try:
        content, name = upload_read(upload, max_bytes=settings.UPLOAD_MAX_BYTES, default_name="holdings")
        record = holdings_import(actor=user, content=content, filename=name)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("dashboard-cross-selling")
    messages.success(
        request,
        _("Imported: %(created)s new, %(updated)s dated earlier, %(unchanged)s already known, %(refused)s refused.")
        % {
            "created": record.rows_created,
            "updated": record.rows_updated,
            "unchanged": record.rows_unchanged,
            "refused": record.rows_refused,
        },
    )
    return redirect("holdings-import", pk=record.pk)


@login_required
def holdings_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _viewer(request)
    imports = HoldingImport.objects.select_related("file", "imported_by")
    if not user.has_role(Role.ADMINISTRATOR):
        imports = imports.filter(imported_by=user)
    record = get_object_or_404(imports, pk=pk)
    errors = [{**error, "header": HEADERS.get(error["column"], error["column"])} for error in record.errors]
    if request.GET.get("export") == "errors":
        rows = [[e["row"], e["header"], e["detail"], e["value"]] for e in errors]
        headers = [_("row"), _("column"), _("reason"), _("value sent")]
        return xlsx_response(f"holdings-errors-{record.pk}.xlsx", headers, rows)
    context = {"record": record, "errors": errors, "tab": "cross-selling"}
    return render(request, "postloan/dashboards/holdings_import.html", context)


@login_required
def farmer_holdings(request: HttpRequest, pk: int) -> HttpResponse:
    user = _viewer(request)
    farmer = get_object_or_404(visible_farmers(user).select_related("org_node"), pk=pk)
    if request.method == "POST":
        try:
            product = get_object_or_404(Product, pk=request.POST.get("product") or 0)
            opened_on = dt.date.fromisoformat(request.POST.get("opened_on", ""))
        except ValueError:
            messages.error(request, _("This is not a date: write it like 2027-02-13."))
            return redirect("farmer-holdings", pk=pk)
        try:
            holding_record(actor=user, farmer=farmer, product=product, opened_on=opened_on)
            messages.success(request, _("Recorded."))
        except DomainError as exc:
            messages.error(request, exc.detail)
        return redirect("farmer-holdings", pk=pk)
    context = {
        "farmer": farmer,
        "holdings": farmer.holdings.select_related("product", "recorded_by").order_by("product__position"),
        "products": Product.objects.filter(active=True),
        "can_record": user.has_role(*HOLDING_ROLES),
        "today": business_date_get(),
        "tab": "cross-selling",
    }
    return render(request, "postloan/dashboards/farmer_holdings.html", context)


@login_required
@replica_reads
def ranking_dashboard(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    today = business_date_get()
    label = request.GET.get("quarter", "")[:8] or None
    if request.GET.get("export"):
        exported = selectors.ranking_page(user, label, today)
        return _export(request, tables.ranking_tables(exported), exported.end_day)
    figures = selectors.figures_of(today)
    page = _once(lambda: selectors.ranking_page(user, label, today))

    def classes() -> list[tuple[str, str, list[RankedSubBranch]]]:
        found = [
            (value, str(name), [row for row in page().rows if row.growth.klass == value])
            for value, name in (
                ("priority", _("Priority")),
                ("follow_up", _("Follow-up")),
                ("specialty", _("Specialty")),
            )
        ]
        return [item for item in found if item[2]]

    context = {
        "page": page,
        "classes": _once(classes),
        "tab": "ranking",
        "charts": _once(
            lambda: {
                "names": [row.growth.name for row in page().rows],
                "balance": [_float(row.growth.balance_growth, 10_000) for row in page().rows],
                "customers": [row.growth.customers_growth for row in page().rows],
                "labels": {"balance": _("balance increase (10k yuan)")},
            }
        ),
        "weights": {part: int(weight * 100) for part, weight in WEIGHTS.items()},
        "target_points": TARGET_POINTS,
        "latest": figures.latest,
        "fragment": _fragment(user, figures, str(today), label or ""),
    }
    return render(request, "postloan/dashboards/ranking.html", context)
