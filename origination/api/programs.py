"""Programmes in the API: parameters with the book's figures, margin entries, resumption."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.fields import MoneyField, RatioField, ScopedPrimaryKeyRelatedField, ScoreField
from origination.api.batches import BatchSerializer, UploadRequest, program_batch_upload
from origination.api.program_changes import ProgramChangeProposal, ProgramChangeSerializer
from origination.figures import program_figures
from origination.program_history import changes_shown
from origination.services.margin import margin_withdraw
from origination.services.program_changes import program_change_propose
from partners.api.serializers import MarginEntrySerializer
from partners.auth import acting_user
from partners.models import Anchor, MarginEntry, Program, ProgramChange
from partners.scoping import visible_programs
from partners.services.margin import margin_balance, margin_deposit
from partners.services.programs import PROGRAM_PARAMETERS, program_create, program_parameters_shown, program_resume


class ProgramSerializer(serializers.ModelSerializer[Program]):
    anchor = ScopedPrimaryKeyRelatedField(queryset=Anchor.objects.all())
    annual_rate = RatioField()
    total_cap = MoneyField(required=False)
    per_farmer_cap = MoneyField(required=False)
    order_ratio = RatioField(required=False)
    lookback_months = serializers.IntegerField(required=False, min_value=1, max_value=36)
    margin_ratio = RatioField(required=False)
    max_term_months = serializers.IntegerField(required=False, min_value=1, max_value=36)
    limit_validity_months = serializers.IntegerField(required=False, min_value=1, max_value=36)
    mismatch_tolerance = RatioField(required=False)
    npl_warning_ratio = RatioField(required=False)
    npl_suspend_ratio = RatioField(required=False)
    penalty_markup = RatioField(required=False)
    min_score = ScoreField(required=False)
    screening_lookback_days = serializers.IntegerField(required=False, min_value=30, max_value=1095)
    multi_lender_review_count = serializers.IntegerField(required=False, min_value=2, max_value=50)

    class Meta:
        model = Program
        fields = [
            "id",
            "anchor",
            "name",
            "status",
            "annual_rate",
            "total_cap",
            "per_farmer_cap",
            "order_ratio",
            "lookback_months",
            "margin_ratio",
            "max_term_months",
            "limit_validity_months",
            "mismatch_tolerance",
            "npl_warning_ratio",
            "npl_suspend_ratio",
            "penalty_markup",
            "min_score",
            "screening_lookback_days",
            "multi_lender_review_count",
            "created_at",
        ]
        read_only_fields = ["status", "created_at"]

    def to_representation(self, instance: Program) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None:
            for name in set(PROGRAM_PARAMETERS) - set(program_parameters_shown(acting_user(request))):
                data.pop(name, None)
        return data


class ProgramDetailSerializer(ProgramSerializer):
    """The parameters plus the book's figures on the business date."""

    def to_representation(self, instance: Program) -> dict[str, Any]:
        data = super().to_representation(instance)
        figures = program_figures(instance)
        data.update(
            outstanding_principal=f"{figures.outstanding_principal:.2f}",
            approved_limits=f"{figures.approved_limits:.2f}",
            headroom=f"{figures.headroom:.2f}",
            npl_ratio=RatioField().to_representation(figures.npl_ratio),
            margin_balance=f"{figures.margin_balance:.2f}",
            margin_required=f"{figures.margin_required:.2f}",
        )
        return data


class ProgramViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Program],
):
    filterset_fields = ["anchor", "status"]

    def get_queryset(self) -> QuerySet[Program]:
        return visible_programs(acting_user(self.request)).select_related("anchor")

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return ProgramDetailSerializer if self.action in {"retrieve", "create", "resume"} else ProgramSerializer

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = program_create(actor=acting_user(self.request), **serializer.validated_data)

    @extend_schema(request=MarginEntrySerializer, responses={201: MarginEntrySerializer})
    @action(detail=True, methods=["post"])
    def margin(self, request: Request, pk: str | None = None) -> Response:
        """Bank staff post a deposit or a withdrawal; an anchor operator's deposit waits (``pending``)."""
        program = self.get_object()
        entry_in = MarginEntrySerializer(data=request.data)
        entry_in.is_valid(raise_exception=True)
        values = entry_in.validated_data
        post = margin_deposit if values["kind"] == MarginEntry.Kind.DEPOSIT else margin_withdraw
        entry = post(program=program, amount=values["amount"], actor=acting_user(request), note=values.get("note", ""))
        data = dict(MarginEntrySerializer(entry).data)
        data["balance"] = f"{margin_balance(program.pk):.2f}"
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UploadRequest, responses={201: BatchSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def batches(self, request: Request, pk: str | None = None) -> Response:
        return program_batch_upload(request, self.get_object())

    @extend_schema(
        request=inline_serializer("Resume", {"assessment": serializers.CharField()}),
        responses=ProgramDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        program = self.get_object()
        assessment = str(request.data.get("assessment", ""))
        npl_ratio = program_figures(program).npl_ratio
        program = program_resume(
            program=program, actor=acting_user(request), assessment=assessment, npl_ratio=npl_ratio
        )
        return Response(ProgramDetailSerializer(program, context={"request": request}).data)

    @extend_schema(methods=["GET"], request=None, responses=ProgramChangeSerializer(many=True))
    @extend_schema(methods=["POST"], request=ProgramChangeProposal, responses={201: ProgramChangeSerializer})
    @action(detail=True, methods=["get", "post"])
    def changes(self, request: Request, pk: str | None = None) -> Response:
        """The programme's changes, newest first; a POST proposes one (``values``, ``effective_from``, ``reason``)."""
        program = self.get_object()
        user = acting_user(request)
        if request.method == "POST":
            proposal = ProgramChangeProposal(data=request.data)
            proposal.is_valid(raise_exception=True)
            change = program_change_propose(program=program, actor=user, **proposal.validated_data)
            return Response(
                ProgramChangeSerializer(change, context={"request": request}).data, status=status.HTTP_201_CREATED
            )
        changes = changes_shown(ProgramChange.objects.filter(program=program).order_by("-id"), user)
        paginator = self.paginator
        assert paginator is not None  # the API's default pagination (core.api.pagination)
        page = paginator.paginate_queryset(changes, request, view=self)
        return paginator.get_paginated_response(
            ProgramChangeSerializer(page, many=True, context={"request": request}).data
        )
