"""Recommendation batches in the API: upload, read, and (later) process, submit, approve."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.fields import MoneyField
from core.api.pagination import StandardPagination
from core.error_codes import ErrorCode
from core.errors import DomainError
from origination.models import Batch, BatchRow
from origination.selectors import (
    sees_provider_figures,
    visible_batch_rows,
    visible_batches,
)
from origination.services.approval import Decision, batch_approve, batch_reject, batch_submit
from origination.services.uploads import upload_job_create_and_run, upload_of
from origination.tasks import batch_process_dispatch
from partners.auth import acting_user
from partners.models import Program


class BatchListSerializer(serializers.ModelSerializer[Batch]):
    class Meta:
        model = Batch
        fields = ["id", "program", "status", "submitted_on", "rows_total", "rows_valid", "created_at"]


class BatchSerializer(BatchListSerializer):
    """A batch with every row error (``errors`` names a serializer attribute, so it is added here)."""

    def to_representation(self, instance: Batch) -> dict[str, Any]:
        data = dict(super().to_representation(instance))
        errors = instance.row_errors.order_by("row", "id").values("row", "column", "code", "detail")
        data["errors"] = [dict(error) for error in errors]
        return data


UploadRequest = inline_serializer(
    "BatchUpload",
    {
        "farmer_list": serializers.FileField(),
        "scorecard": serializers.FileField(required=False),
        "recommendation_letter": serializers.FileField(required=False),
        "guarantee_letter": serializers.FileField(required=False),
    },
)


def program_batch_upload(request: Request, program: Program) -> Response:
    """POST /programs/{id}/batches/ (wired on the programme view set): the upload page's job, run at once."""
    farmer_list = upload_of(request.FILES.get("farmer_list"), default_name="farmer_list")
    if farmer_list is None:
        raise DomainError(ErrorCode.FARMER_LIST_REQUIRED, _("Attach the farmer list (farmer_list)."))
    batch = upload_job_create_and_run(
        program=program,
        actor=acting_user(request),
        farmer_list=farmer_list,
        scorecard=upload_of(request.FILES.get("scorecard"), default_name="scorecard"),
        recommendation_letter=upload_of(
            request.FILES.get("recommendation_letter"), default_name="recommendation_letter"
        ),
        guarantee_letter=upload_of(request.FILES.get("guarantee_letter"), default_name="guarantee_letter"),
    )
    return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)


class BatchResultSerializer(serializers.ModelSerializer[BatchRow]):
    """One valid row: the anchor's figures, the provider's, the screening, the limit and why.

    ``screening_evidence`` lists what each reason rests on: the event (number, type, date, value) or, for
    ``low_score``, the score and the programme's minimum.
    """

    id_number = serializers.CharField(source="id_masked")
    recommended_amount = MoneyField()
    declared_orders_12m = MoneyField()
    verified_orders_12m = MoneyField(allow_null=True)
    limit = serializers.SerializerMethodField()
    status = serializers.CharField(source="decision")

    class Meta:
        model = BatchRow
        fields = [
            "row",
            "name",
            "id_number",
            "recommended_amount",
            "declared_orders_12m",
            "verified_orders_12m",
            "validation",
            "limit",
            "bound_by",
            "status",
            "screening",
            "screening_reasons",
            "screening_evidence",
            "window_start",
            "window_end",
            "trade_count",
        ]

    def get_limit(self, row: BatchRow) -> str | None:
        amount = row.decided_amount if row.decision == BatchRow.Decision.APPROVED else row.computed_limit
        return None if amount is None else f"{amount:.2f}"


class AnchorBatchResultSerializer(serializers.ModelSerializer[BatchRow]):
    """A row as the anchor operator sees it: his own declared figures and the decision, nothing of the provider.

    No verified orders, validation, computed limit or binding term (see ``sees_provider_figures``); the
    decision reads ``pending`` until the batch is approved, and ``limit`` is then the limit granted.
    """

    id_number = serializers.CharField(source="id_masked")
    recommended_amount = MoneyField()
    declared_orders_12m = MoneyField()
    limit = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()

    class Meta:
        model = BatchRow
        fields = ["row", "name", "id_number", "recommended_amount", "declared_orders_12m", "limit", "status"]

    def _granted(self, row: BatchRow) -> bool:
        return row.batch.status == Batch.Status.APPROVED and row.decision == BatchRow.Decision.APPROVED

    def get_limit(self, row: BatchRow) -> str | None:
        return f"{row.decided_amount:.2f}" if self._granted(row) and row.decided_amount is not None else None

    def get_status(self, row: BatchRow) -> str:
        return row.decision if row.batch.status == Batch.Status.APPROVED else BatchRow.Decision.PENDING


class DecisionSerializer(serializers.Serializer[Decision]):
    row = serializers.IntegerField(min_value=2)
    approve = serializers.BooleanField()
    amount = MoneyField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ApproveSerializer(serializers.Serializer[Any]):
    decisions = DecisionSerializer(many=True, required=False)


class BatchActionsMixin(viewsets.GenericViewSet[Batch]):
    """Processing, results, submission and approval of a batch."""

    def _answer(self, batch: Batch, code: int = status.HTTP_200_OK) -> Response:
        return Response(BatchSerializer(batch).data, status=code)

    @extend_schema(request=None, responses=BatchSerializer)
    @action(detail=True, methods=["post"])
    def process(self, request: Request, pk: str | None = None) -> Response:
        batch = self.get_object()
        batch_process_dispatch(batch, acting_user(request))
        batch.refresh_from_db()
        done = batch.status == Batch.Status.PROCESSED and batch.rows_processed == batch.rows_valid
        return self._answer(batch, status.HTTP_200_OK if done else status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[
            OpenApiParameter("screening", str, enum=BatchRow.Screening.values, description="staff only: one outcome")
        ],
        responses=BatchResultSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def results(self, request: Request, pk: str | None = None) -> Response:
        """The rows the user may see; to an anchor operator his declared figures and the decision only.

        ``?screening=`` keeps the rows of one screening outcome; an anchor operator sees no screening, so
        the filter is not applied for him (it would tell the outcome).
        """
        user = acting_user(request)
        rows = visible_batch_rows(user, self.get_object()).select_related("batch").order_by("row")
        provider_figures = sees_provider_figures(user)
        screening = request.query_params.get("screening", "")
        if screening and provider_figures:
            if screening not in BatchRow.Screening.values:
                raise serializers.ValidationError(
                    {"screening": [_("Choose one of: %(values)s.") % {"values": ", ".join(BatchRow.Screening.values)}]}
                )
            rows = rows.filter(screening=screening)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        serializer = BatchResultSerializer if provider_figures else AnchorBatchResultSerializer
        return paginator.get_paginated_response(serializer(page, many=True).data)

    @extend_schema(request=None, responses=BatchSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(batch_submit(batch=self.get_object(), actor=acting_user(request)))

    @extend_schema(request=ApproveSerializer, responses=BatchSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        payload = ApproveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        decisions = [Decision(**item) for item in payload.validated_data.get("decisions", [])]
        batch, user = self.get_object(), acting_user(request)
        named = {decision.row for decision in decisions}
        # A row the approver does not see is not found, like a row the batch does not have.
        if visible_batch_rows(user, batch).filter(row__in=named).count() != len(named):
            raise NotFound()
        return self._answer(batch_approve(batch=batch, actor=user, decisions=decisions))

    @extend_schema(request=inline_serializer("Reject", {"reason": serializers.CharField()}), responses=BatchSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        reason = str(request.data.get("reason", ""))
        return self._answer(batch_reject(batch=self.get_object(), actor=acting_user(request), reason=reason))


class BatchViewSet(BatchActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    filterset_fields = ["program", "status"]

    def get_queryset(self) -> QuerySet[Batch]:
        return visible_batches(acting_user(self.request)).order_by("-id")

    def get_serializer_class(self) -> type[BatchListSerializer]:
        return BatchListSerializer if self.action == "list" else BatchSerializer
