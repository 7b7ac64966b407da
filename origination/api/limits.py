"""Credit limits in the API: the list with what is available, and the limit's life after the grant.

``status`` is one of the contract's three (``active``, ``frozen``, ``expired``): a closed or revoked limit
reads ``expired``, as it will never lend again, and ``state`` says which (``origination.limit_status``).
``?status=`` filters on the status as shown. Freeze and unfreeze are the contract's; reduce and close are
ours, for the bank's systems, with the same rules as the pages (``origination.services.limit_life``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.fields import MoneyField
from core.business_date import business_date_get
from origination.figures import limits_with_available
from origination.limit_status import SHOWN_STATUSES, limit_state, shown_status, shown_status_q
from origination.models import CreditLimit
from origination.selectors import visible_limits
from origination.services.limit_life import (
    credit_limit_close,
    credit_limit_freeze,
    credit_limit_reduce,
    credit_limit_unfreeze,
)
from partners.auth import acting_user


class CreditLimitSerializer(serializers.ModelSerializer[CreditLimit]):
    id_number = serializers.CharField(source="farmer.id_masked")
    farmer_name = serializers.CharField(source="farmer.name")
    amount = MoneyField()
    available = MoneyField()
    status = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()

    class Meta:
        model = CreditLimit
        fields = [
            "id",
            "farmer",
            "farmer_name",
            "id_number",
            "program",
            "amount",
            "available",
            "approved_on",
            "expires_on",
            "status",
            "state",
        ]

    def get_status(self, limit: CreditLimit) -> str:
        """An active limit past its expiry reads as expired even before the nightly job marks it."""
        return shown_status(limit, self._business_date())

    def get_state(self, limit: CreditLimit) -> str:
        """The limit's life as stored: ``closed`` and ``revoked`` apart from ``expired``."""
        return limit_state(limit, self._business_date())

    def _business_date(self) -> dt.date:
        """Read once per answer and kept in the context its list shares: not one query per limit."""
        context = self.context
        if "business_date" not in context:
            context["business_date"] = business_date_get()
        today: dt.date = context["business_date"]
        return today


class CreditLimitFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter ships no types
    status = django_filters.ChoiceFilter(
        choices=[(status.value, status.label) for status in SHOWN_STATUSES], method="status_filter"
    )

    class Meta:
        model = CreditLimit
        fields = ["program", "farmer", "status"]

    def status_filter(self, queryset: QuerySet[CreditLimit], name: str, value: str) -> QuerySet[CreditLimit]:
        return queryset.filter(shown_status_q(value, business_date_get()))


Reason = inline_serializer("LimitReason", {"reason": serializers.CharField()})


class ReduceSerializer(serializers.Serializer[Any]):
    amount = MoneyField()
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class CreditLimitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[CreditLimit]):
    serializer_class = CreditLimitSerializer
    filterset_class = CreditLimitFilter

    def get_queryset(self) -> QuerySet[CreditLimit]:
        limits = visible_limits(acting_user(self.request)).select_related("farmer").order_by("id")
        return limits_with_available(limits)

    def _answer(self, limit: CreditLimit) -> Response:
        """The limit as the list shows it, read again after the change."""
        return Response(self.get_serializer(self.get_queryset().get(pk=limit.pk)).data)

    @staticmethod
    def _reason(request: Request) -> str:
        reason = request.data.get("reason", "")
        return reason if isinstance(reason, str) else ""

    @extend_schema(request=Reason, responses=CreditLimitSerializer)
    @action(detail=True, methods=["post"])
    def freeze(self, request: Request, pk: str | None = None) -> Response:
        limit = credit_limit_freeze(
            credit_limit=self.get_object(), actor=acting_user(request), reason=self._reason(request)
        )
        return self._answer(limit)

    @extend_schema(request=Reason, responses=CreditLimitSerializer)
    @action(detail=True, methods=["post"])
    def unfreeze(self, request: Request, pk: str | None = None) -> Response:
        limit = credit_limit_unfreeze(
            credit_limit=self.get_object(), actor=acting_user(request), reason=self._reason(request)
        )
        return self._answer(limit)

    @extend_schema(request=ReduceSerializer, responses=CreditLimitSerializer)
    @action(detail=True, methods=["post"])
    def reduce(self, request: Request, pk: str | None = None) -> Response:
        limit = self.get_object()
        payload = ReduceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        changed = credit_limit_reduce(
            credit_limit=limit, actor=acting_user(request), amount=values["amount"], reason=values["reason"]
        )
        return self._answer(changed)

    @extend_schema(request=Reason, responses=CreditLimitSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        limit = credit_limit_close(
            credit_limit=self.get_object(), actor=acting_user(request), reason=self._reason(request)
        )
        return self._answer(limit)
