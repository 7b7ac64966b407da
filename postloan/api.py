"""Warnings in the API: the list with the contract's filters, and their handling."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.fields import ScopedPrimaryKeyRelatedField
from origination.models import Loan
from origination.selectors import visible_loans
from partners.auth import acting_user
from partners.models import User
from postloan.models import PostDrawdownCheck, RiskWarning, WarningAction
from postloan.selectors import WarningFilters, warnings_filter
from postloan.services import (
    postdrawdown_check_record,
    visible_warnings,
    warning_action_add,
    warning_close,
    warning_fact,
)


def _assignees(request: Request | None) -> QuerySet[User]:
    """The assignees one may filter on: oneself and those of the warnings one sees (others are not found)."""
    if request is None:  # the schema being built
        return User.objects.none()
    user = acting_user(request)
    return User.objects.filter(Q(pk=user.pk) | Q(pk__in=visible_warnings(user).values("assignee_id")))


class WarningFilter(django_filters.FilterSet):  # type: ignore[misc]
    """The API's filters: read and checked here, applied by the selector the page uses too (one meaning each)."""

    rule = django_filters.CharFilter(field_name="rule__code")
    assignee = django_filters.ModelChoiceFilter(queryset=_assignees)
    branch = django_filters.CharFilter(label="org node code (its subtree)")

    class Meta:
        model = RiskWarning
        fields = ["rule", "status", "severity", "subject_type", "assignee", "escalated"]

    def filter_queryset(self, queryset: QuerySet[RiskWarning]) -> QuerySet[RiskWarning]:
        given = self.form.cleaned_data
        assignee = given.get("assignee")
        filters = WarningFilters(
            rule=given.get("rule") or "",
            status=given.get("status") or "",
            severity=given.get("severity") or "",
            subject_type=given.get("subject_type") or "",
            branch=given.get("branch") or "",
            assignee=assignee.pk if assignee is not None else None,
            escalated=given.get("escalated"),
        )
        return warnings_filter(queryset, filters)


class WarningActionSerializer(serializers.ModelSerializer[WarningAction]):
    class Meta:
        model = WarningAction
        fields = ["id", "kind", "note", "actor", "business_date"]
        read_only_fields = ["actor", "business_date"]


class WarningSerializer(serializers.ModelSerializer[RiskWarning]):
    rule = serializers.CharField(source="rule.code")
    rule_name = serializers.CharField(source="rule.name")
    fact = serializers.SerializerMethodField()

    class Meta:
        model = RiskWarning
        fields = [
            "id",
            "rule",
            "rule_name",
            "subject_type",
            "subject_id",
            "severity",
            "status",
            "raised_on",
            "deadline",
            "fact",
            "active",
            "resolution",
            "assignee",
            "escalated",
            "escalated_to",
            "closed_on",
            "org_node",
            "program",
        ]

    def get_fact(self, warning: RiskWarning) -> str:
        return warning_fact(warning, acting_user(self.context["request"]))


class WarningDetailSerializer(WarningSerializer):
    actions = WarningActionSerializer(many=True, read_only=True)

    class Meta(WarningSerializer.Meta):
        fields = [*WarningSerializer.Meta.fields, "close_reason", "actions"]


class CloseSerializer(serializers.Serializer[Any]):
    resolution = serializers.ChoiceField(choices=[RiskWarning.Resolution.CONFIRMED, RiskWarning.Resolution.FALSE_ALARM])
    reason = serializers.CharField()


class WarningViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[RiskWarning]):
    filterset_class = WarningFilter

    def get_queryset(self) -> QuerySet[RiskWarning]:
        return visible_warnings(acting_user(self.request)).select_related("rule").order_by("-raised_on", "-id")

    def get_serializer_class(self) -> type[WarningSerializer]:
        return WarningDetailSerializer if self.action != "list" else WarningSerializer

    @extend_schema(request=WarningActionSerializer, responses={201: WarningActionSerializer})
    @action(detail=True, methods=["post"])
    def actions(self, request: Request, pk: str | None = None) -> Response:
        payload = WarningActionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        handled = warning_action_add(
            warning=self.get_object(),
            actor=acting_user(request),
            kind=payload.validated_data["kind"],
            note=payload.validated_data["note"],
        )
        return Response(WarningActionSerializer(handled).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CloseSerializer, responses=WarningDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        payload = CloseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        warning = warning_close(
            warning=self.get_object(),
            actor=acting_user(request),
            resolution=payload.validated_data["resolution"],
            reason=payload.validated_data["reason"],
        )
        return Response(self.get_serializer(warning).data)


class CheckSerializer(serializers.ModelSerializer[PostDrawdownCheck]):
    loan = ScopedPrimaryKeyRelatedField(queryset=Loan.objects.all())

    class Meta:
        model = PostDrawdownCheck
        fields = ["id", "loan", "kind", "result", "note", "done_on"]
        read_only_fields = ["done_on"]


class CheckViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet[PostDrawdownCheck]):
    serializer_class = CheckSerializer
    filterset_fields = ["loan", "kind"]

    def get_queryset(self) -> QuerySet[PostDrawdownCheck]:
        return PostDrawdownCheck.objects.filter(loan__in=visible_loans(acting_user(self.request))).order_by("-id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = CheckSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        check = postdrawdown_check_record(
            loan=payload.validated_data["loan"],
            actor=acting_user(request),
            kind=payload.validated_data["kind"],
            result=payload.validated_data["result"],
            note=payload.validated_data.get("note", ""),
        )
        return Response(CheckSerializer(check).data, status=status.HTTP_201_CREATED)
