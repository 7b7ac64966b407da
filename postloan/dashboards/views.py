"""Dashboard pages for leaders on a PC or a phone; each table also as XLSX (``?export=<table>``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.business_date import business_date_get
from core.errors import DomainError
from core.masking import pii_hash
from core.permissions import require_role
from core.roles import Role
from origination.exports import xlsx_response
from partners.auth import acting_user
from partners.models import Farmer, HoldingImport, Product, User
from partners.scoping import visible_farmers
from postloan.dashboards import selectors, tables
from postloan.dashboards.importers import HOLDING_COLUMNS
from postloan.dashboards.ranking import WEIGHTS
from postloan.dashboards.services import HOLDING_ROLES, holding_record, holdings_import

DASHBOARD_ROLES = (Role.BRANCH_MANAGER, Role.ADMINISTRATOR, Role.RISK_APPROVER, Role.ACCOUNT_MANAGER)
SEARCH_LIMIT = 20
HEADERS = {spec.field: spec.aliases[0] for spec in HOLDING_COLUMNS}  # the file's own (Chinese) column headers


def _viewer(request: HttpRequest) -> User:
    user = acting_user(request)
    require_role(user, *DASHBOARD_ROLES)
    return user


def _export(request: HttpRequest, available: dict[str, tables.Table], day: dt.date | None) -> HttpResponse | None:
    name = request.GET.get("export")
    if not name:
        return None
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


@login_required
def warnings_dashboard(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    today = business_date_get()
    board = selectors.warning_dashboard(user, today)
    exported = _export(request, tables.warning_tables(board), board.latest)
    if exported:
        return exported
    charts = {
        "days": [row["day"] for row in board.trend],
        "open": [row["open"] for row in board.trend],
        "overdue": [row["overdue"] for row in board.trend],
        "raised": [row["raised"] for row in board.trend],
        "handled": [row["handled"] for row in board.trend],
        "rules": [row.label for row in board.by_rule[:10]],
        "rule_open": [row.counts.open for row in board.by_rule[:10]],
        "rule_overdue": [row.counts.overdue for row in board.by_rule[:10]],
        "rule_links": [row.query for row in board.by_rule[:10]],
        "severity": [{"name": row.label, "value": row.counts.open} for row in board.by_severity],
        "severity_links": [row.query for row in board.by_severity],
        "labels": {
            "open": _("Open"),
            "overdue": _("overdue"),
            "raised": _("raised"),
            "handled": _("handled"),
        },
    }
    context = {
        "board": board,
        "tab": "warnings",
        "charts": charts,
        "latest": board.latest,
        "list_url": reverse("warning-list"),
    }
    return render(request, "postloan/dashboards/warnings.html", context)


@login_required
def programmes_dashboard(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    board = selectors.programme_dashboard(user, business_date_get())
    exported = _export(request, tables.programme_tables(board), board.latest)
    if exported:
        return exported
    names = {row.program.pk: row.program.name for row in board.rows}
    lines = sorted({row.program.npl_warning_ratio for row in board.rows})
    stops = sorted({row.program.npl_suspend_ratio for row in board.rows})
    charts = {
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
        "mix_programmes": [row.program.name for row in board.rows],
        "mix": [
            {
                "name": str(label),
                "values": [_float(row.figures[key], 10_000) for row in board.rows],
            }
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
    context = {"board": board, "tab": "programmes", "charts": charts, "latest": board.latest}
    return render(request, "postloan/dashboards/programmes.html", context)


def _farmer_search(user: User, query: str) -> list[Farmer]:
    if not query:
        return []
    farmers = visible_farmers(user).select_related("org_node")
    if len(query) == 18:
        return list(farmers.filter(id_hash=pii_hash(query))[:SEARCH_LIMIT])
    return list(farmers.filter(name__icontains=query).order_by("name", "id")[:SEARCH_LIMIT])


@login_required
def cross_selling_dashboard(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    board = selectors.cross_selling_dashboard(user, business_date_get())
    exported = _export(request, tables.cross_selling_tables(board), board.latest)
    if exported:
        return exported
    charts = {
        "products": [product.name for product in board.products],
        "penetration": [_float((board.total.rate(p.pk) or Decimal(0)) * 100) for p in board.products],
        "days": board.trend_days,
        "trend": [
            {"name": p.name, "values": [_float(v * 100) for v in board.trend.get(p.pk, [])]} for p in board.products
        ],
        "labels": {"penetration": _("penetration (%)")},
    }
    query = request.GET.get("q", "").strip()
    can_record = user.has_role(*HOLDING_ROLES)
    context = {
        "board": board,
        "tab": "cross-selling",
        "charts": charts,
        "latest": board.latest,
        "can_record": can_record,
        "headers": HEADERS,
        "imports": HoldingImport.objects.filter(imported_by=user).select_related("file")[:5] if can_record else [],
        "query": query,
        "found": _farmer_search(user, query),
        "tables": [
            (_("By sub-branch"), "cross-selling-by-sub-branch", board.by_sub_branch, True),
            (_("By programme"), "cross-selling-by-programme", board.by_program, False),
        ],
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
        record = holdings_import(actor=user, content=upload.read(), filename=upload.name or "holdings")
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
def ranking_dashboard(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    page = selectors.ranking_page(user, request.GET.get("quarter"), business_date_get())
    exported = _export(request, tables.ranking_tables(page), page.end_day)
    if exported:
        return exported
    classes = [
        (value, str(label), [row for row in page.rows if row.growth.klass == value])
        for value, label in (
            ("priority", _("Priority")),
            ("follow_up", _("Follow-up")),
            ("specialty", _("Specialty")),
        )
    ]
    charts = {
        "names": [row.growth.name for row in page.rows],
        "balance": [_float(row.growth.balance_growth, 10_000) for row in page.rows],
        "customers": [row.growth.customers_growth for row in page.rows],
        "labels": {"balance": _("balance increase (10k yuan)")},
    }
    context = {
        "page": page,
        "classes": [item for item in classes if item[2]],
        "tab": "ranking",
        "charts": charts,
        "weights": {part: int(weight * 100) for part, weight in WEIGHTS.items()},
        "latest": page.end_day,
    }
    return render(request, "postloan/dashboards/ranking.html", context)
