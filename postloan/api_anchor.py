"""The anchor's window in the API: its overview, and the monthly statements with their files.

Beyond the contract: GET ``/anchor-window/`` and GET ``/statements/`` (list, detail, ``{id}/xlsx/``,
``{id}/pdf/``). Scoped as the pages are: an anchor operator his enterprise's only, staff their reach.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.business_date import business_date_get
from origination.figures import programs_figures
from partners.auth import acting_user
from partners.scoping import visible_programs
from postloan.anchor_window import anchor_window
from postloan.models_statements import MonthlyStatement
from postloan.statements import visible_statements


def _money(value: Any) -> str:
    return f"{value:.2f}"


class StatementSerializer(serializers.ModelSerializer[MonthlyStatement]):
    program_name = serializers.CharField(source="program.name")
    xlsx_sha256 = serializers.CharField(source="xlsx.sha256")
    pdf_sha256 = serializers.CharField(source="pdf.sha256")

    class Meta:
        model = MonthlyStatement
        fields = ["id", "program", "program_name", "month", "generated_on", "figures", "xlsx_sha256", "pdf_sha256"]


class StatementViewSet(viewsets.ReadOnlyModelViewSet[MonthlyStatement]):
    serializer_class = StatementSerializer

    def get_queryset(self) -> QuerySet[MonthlyStatement]:
        user = acting_user(self.request)
        return visible_statements(user).select_related("program", "xlsx", "pdf").order_by("-month", "program_id")

    def _file(self, kind: str) -> FileResponse:
        statement = self.get_object()
        stored = statement.xlsx if kind == "xlsx" else statement.pdf
        return FileResponse(
            stored.content.open("rb"), as_attachment=True, filename=stored.name, content_type=stored.content_type
        )

    @extend_schema(responses={200: OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def xlsx(self, request: Request, pk: str | None = None) -> FileResponse:
        return self._file("xlsx")

    @extend_schema(responses={200: OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str | None = None) -> FileResponse:
        return self._file("pdf")


class AnchorWindowView(APIView):
    """The anchor operator's home in figures: programmes, latest batches, demands and claims, statements."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        user = acting_user(request)
        today = business_date_get()
        programs = list(visible_programs(user).order_by("name", "id"))
        figures = programs_figures(programs)
        window = anchor_window(user, today)
        return Response(
            {
                "business_date": today.isoformat(),
                "programs": [
                    {
                        "id": program.pk,
                        "name": program.name,
                        "status": program.status,
                        "annual_rate": f"{program.annual_rate}",
                        "total_cap": _money(program.total_cap),
                        "per_farmer_cap": _money(program.per_farmer_cap),
                        "margin_ratio": f"{program.margin_ratio}",
                        "farmers_with_limits": window.farmers_with_limits.get(program.pk, 0),
                        "approved_limits": _money(figures[program.pk].approved_limits),
                        "outstanding_principal": _money(figures[program.pk].outstanding_principal),
                        "margin_balance": _money(figures[program.pk].margin_balance),
                        "margin_required": _money(figures[program.pk].margin_required),
                        "margin_shortfall": _money(figures[program.pk].margin_shortfall),
                    }
                    for program in programs
                ],
                "batches": [
                    {
                        "id": row.batch.pk,
                        "program": row.batch.program_id,
                        "status": row.batch.status,
                        "approved_rows": row.approved,
                        "refused_rows": row.refused,
                        "pending_rows": row.pending,
                        "approved_amount": _money(row.approved_amount),
                    }
                    for row in window.batches
                ],
                "demands": {
                    total.status: {"count": total.count, "amount": _money(total.amount)}
                    for total in window.demand_totals
                },
                "unsettled_demands": [
                    {
                        "id": row.demand.pk,
                        "loan": row.demand.loan_id,
                        "program": row.demand.program_id,
                        "raised_on": row.demand.raised_on.isoformat(),
                        "deadline": row.deadline.isoformat(),
                        "status": row.demand.status,
                        "owed": _money(row.owed),
                    }
                    for row in window.open_demands
                ],
                "statements": StatementSerializer(window.statements, many=True).data,
                "payments": [
                    {
                        "id": payment.pk,
                        "reference": payment.reference,
                        "amount": _money(payment.amount),
                        "value_date": payment.value_date.isoformat(),
                        "status": payment.status,
                    }
                    for payment in window.payments
                ],
            }
        )
