"""The programme board: lending figures per programme against its cap, NPL lines and margin."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db.models import Count, F, Sum

from core.money import ZERO, money, ratio
from origination.figures import ProgramFigures
from origination.models import Repayment, WriteOff
from partners.models import Program, User
from partners.scoping import visible_programs
from partners.services.margin import margin_balances
from postloan.dashboards.aggregates import LOAN_FIGURES
from postloan.dashboards.selectors.common import (
    Figures,
    cached,
    figures_of,
    period_start,
)
from postloan.models_dashboards import DailyNodeFigures

MONEY_SUMS = (*LOAN_FIGURES, "limits_approved")


@dataclass
class ProgramHealth:
    program: Program
    figures: dict[str, Any]  # the day's aggregates, summed over the programme's nodes
    margin_balance: Decimal

    @cached_property
    def book(self) -> ProgramFigures:
        """The figures the programme page shows, from the aggregates of the day."""
        return ProgramFigures.of(self.program, self.figures, self.figures["limits_approved"], self.margin_balance)

    @property
    def npl_ratio(self) -> Decimal:
        return self.book.npl_ratio

    @property
    def band(self) -> str:
        """Where the NPL ratio stands against the programme's lines: ok, warning or suspension."""
        if self.npl_ratio >= self.program.npl_suspend_ratio:
            return "suspension"
        if self.npl_ratio >= self.program.npl_warning_ratio:
            return "warning"
        return "ok"

    @property
    def headroom(self) -> Decimal:
        return self.book.headroom

    @property
    def cap_used_ratio(self) -> Decimal:
        return ratio(self.figures["limits_approved"], self.program.total_cap)

    @property
    def limit_usage_ratio(self) -> Decimal:
        """Used (outstanding) ÷ approved limits."""
        return ratio(self.figures["outstanding"], self.figures["limits_approved"])

    @property
    def gross_delinquency(self) -> Decimal:
        return self.book.gross_delinquency

    @property
    def gross_delinquency_ratio(self) -> Decimal:
        return ratio(self.gross_delinquency, self.figures["outstanding"])

    @property
    def margin_required(self) -> Decimal:
        return self.book.margin_required

    @property
    def margin_coverage(self) -> Decimal | None:
        return ratio(self.margin_balance, self.margin_required) if self.margin_required else None

    @property
    def margin_shortfall(self) -> Decimal:
        return self.book.margin_shortfall


@dataclass
class ProgramDashboard:
    latest: dt.date | None
    rows: list[ProgramHealth]
    trend_days: list[dt.date]
    trend: dict[int, dict[str, list[Decimal]]]  # programme id → series name → one value per day


def _money_sums() -> dict[str, Sum]:
    return {name: Sum(name) for name in MONEY_SUMS}


def _zero_figures() -> dict[str, Any]:
    return {**dict.fromkeys(MONEY_SUMS, ZERO), "loans": 0, "customers": 0, "limits_count": 0}


def _program_figures(
    ids: list[int], latest: dt.date | None
) -> tuple[dict[int, dict[str, Any]], list[dt.date], dict[int, dict[str, list[Decimal]]]]:
    """Programme-wide figures of the latest day and the daily series behind the trend charts."""
    figures: dict[int, dict[str, Any]] = {pk: _zero_figures() for pk in ids}
    trend_days: list[dt.date] = []
    trend: dict[int, dict[str, list[Decimal]]] = {}
    if latest is None:
        return figures, trend_days, trend
    rows = DailyNodeFigures.objects.filter(day=latest, program_id__in=ids).values("program_id")
    for row in rows.annotate(
        loans=Sum("loans"), customers=Sum("customers"), limits_count=Sum("limits_count"), **_money_sums()
    ):
        pk = row.pop("program_id")
        figures[pk] = {k: money(v or 0) if k in MONEY_SUMS else (v or 0) for k, v in row.items()}
    _write_off_figures(figures, ids, latest)
    daily = (
        DailyNodeFigures.objects.filter(day__range=(period_start(latest), latest), program_id__in=ids)
        .values("day", "program_id")
        .annotate(
            outstanding=Sum("outstanding"),
            npl=Sum("npl"),
            overdue=Sum(F("principal_overdue") + F("interest_overdue")),
            compensated=Sum("compensated"),
        )
        .order_by("day")
    )
    by_day: dict[dt.date, dict[int, dict[str, Decimal]]] = {}
    for row in daily:
        by_day.setdefault(row["day"], {})[row["program_id"]] = row
    trend_days = sorted(by_day)
    for pk in ids:
        points = [by_day[day].get(pk) for day in trend_days]
        trend[pk] = {
            "outstanding": [money(p["outstanding"]) if p else ZERO for p in points],
            "npl_ratio": [ratio(p["npl"], p["outstanding"]) if p else ZERO for p in points],
            "gross_delinquency": [money(p["overdue"] + p["compensated"]) if p else ZERO for p in points],
        }
    return figures, trend_days, trend


def _write_off_figures(figures: dict[int, dict[str, Any]], ids: list[int], latest: dt.date) -> None:
    """Write-offs and the recoveries after them to the day (number and amount), read from the loans' own
    records: written once, never changed, so the day's figure is the sum up to it."""
    for pk in ids:
        figures[pk].update(write_offs=0, written_off=ZERO, recoveries=0, recovered=ZERO)
    write_offs = (
        WriteOff.objects.filter(status=WriteOff.Status.APPROVED, loan__program_id__in=ids, decided_on__lte=latest)
        .values("loan__program_id")
        .annotate(number=Count("id"), amount=Sum(F("principal") + F("interest") + F("penalty")))
    )
    for row in write_offs:
        figures[row["loan__program_id"]].update(write_offs=row["number"], written_off=money(row["amount"]))
    recoveries = (
        Repayment.objects.filter(after_write_off__gt=0, loan__program_id__in=ids, business_date__lte=latest)
        .values("loan__program_id")
        .annotate(number=Count("id"), amount=Sum("after_write_off"))
    )
    for row in recoveries:
        figures[row["loan__program_id"]].update(recoveries=row["number"], recovered=money(row["amount"]))


def program_dashboard(user: User, today: dt.date) -> ProgramDashboard:
    version = figures_of(today)
    return cached("program-board", user, version, lambda: _program_board(user, version), reads_live_figures=True)


def _program_board(user: User, version: Figures) -> ProgramDashboard:
    """Programmes, their status and margin are read live; the aggregates' figures come through the cache."""
    programs = list(visible_programs(user).select_related("anchor").order_by("anchor__name", "name"))
    ids = [p.pk for p in programs]
    figures, trend_days, trend = cached(
        "programs", user, version, lambda: _program_figures(ids, version.latest), version.latest, *ids
    )
    margins = margin_balances(ids)
    rows_out = [ProgramHealth(p, figures[p.pk], margins.get(p.pk, ZERO)) for p in programs]
    return ProgramDashboard(latest=version.latest, rows=rows_out, trend_days=trend_days, trend=trend)
