"""Renewal (年审) in the API: the limits due for renewal, and a renewal batch started for some of them.

POST ``/renewals/`` ``{program, credit_limits: [ids]}`` answers 201 with the batch (as ``/batches/{id}/``),
which then goes the usual way (process, submit, approve). GET ``/renewals/expiring/?program=`` lists the
live limits expiring within 60 days. A programme or a limit outside the user's reach is not found (404).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.fields import MoneyField
from core.api.pagination import StandardPagination
from core.business_date import business_date_get
from core.permissions import require_role
from core.roles import STAFF_ROLES
from origination.api.batches import BatchSerializer
from origination.expiring import expiring_limits_for
from origination.models import CreditLimit
from origination.selectors import visible_limits
from origination.services.renewal import renewal_batch_create
from partners.auth import acting_user
from partners.scoping import visible_programs

ID_MAX = 2**63 - 1  # a bigint: a larger number names nothing, and is refused as a bad value


class RenewalRequestSerializer(serializers.Serializer[Any]):
    program = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    credit_limits = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX), allow_empty=False, max_length=10_000
    )


class ExpiringLimitSerializer(serializers.ModelSerializer[CreditLimit]):
    """A limit due for renewal: who manages the farmer, what is drawn, the days left, a renewal under way."""

    farmer_name = serializers.CharField(source="farmer.name")
    id_number = serializers.CharField(source="farmer.id_masked")
    account_manager = serializers.IntegerField(source="farmer.account_manager_id", allow_null=True)
    amount = MoneyField()
    outstanding = MoneyField()
    days_left = serializers.SerializerMethodField()
    renewal_batch = serializers.IntegerField(allow_null=True)

    class Meta:
        model = CreditLimit
        fields = [
            "id",
            "farmer",
            "farmer_name",
            "id_number",
            "program",
            "account_manager",
            "amount",
            "outstanding",
            "expires_on",
            "days_left",
            "status",
            "renewal_batch",
        ]

    def get_days_left(self, limit: CreditLimit) -> int:
        today: dt.date = self.context["today"]
        return (limit.expires_on - today).days


class RenewalViewSet(viewsets.GenericViewSet[CreditLimit]):
    serializer_class = ExpiringLimitSerializer

    @extend_schema(request=RenewalRequestSerializer, responses={201: BatchSerializer})
    def create(self, request: Request) -> Response:
        payload = RenewalRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = acting_user(request)
        program = visible_programs(user).filter(pk=payload.validated_data["program"]).first()
        wanted = set(payload.validated_data["credit_limits"])
        limits = list(visible_limits(user).filter(pk__in=wanted))
        # A limit out of reach answers as one that does not exist.
        if program is None or len(limits) != len(wanted):
            raise NotFound()
        batch = renewal_batch_create(program=program, limits=limits, actor=user)
        return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("program", int, required=False)],
        responses=ExpiringLimitSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def expiring(self, request: Request) -> Response:
        user = acting_user(request)
        require_role(user, *STAFF_ROLES)
        today = business_date_get()
        limits = expiring_limits_for(user, today)
        program = request.query_params.get("program", "")
        if program:
            if not program.isdigit() or not visible_programs(user).filter(pk=int(program)).exists():
                raise NotFound()
            limits = limits.filter(program_id=int(program))
        paginator = StandardPagination()
        page = paginator.paginate_queryset(limits, request, view=self)
        data = ExpiringLimitSerializer(page, many=True, context={"today": today}).data
        return paginator.get_paginated_response(data)
