"""Credit limits in the API: the list with what is available, and the limit's life after the grant."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from rest_framework import mixins, serializers, viewsets

from core.api.fields import MoneyField
from core.business_date import business_date_get
from origination.figures import limits_with_available
from origination.models import CreditLimit
from origination.selectors import visible_limits
from partners.auth import acting_user


class CreditLimitSerializer(serializers.ModelSerializer[CreditLimit]):
    id_number = serializers.CharField(source="farmer.id_masked")
    farmer_name = serializers.CharField(source="farmer.name")
    amount = MoneyField()
    available = MoneyField()
    status = serializers.SerializerMethodField()

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
        ]

    def get_status(self, limit: CreditLimit) -> str:
        """An active limit past its expiry reads as expired even before the nightly job marks it."""
        if limit.status == CreditLimit.Status.ACTIVE and limit.expires_on <= self._business_date():
            return CreditLimit.Status.EXPIRED
        return limit.status

    def _business_date(self) -> dt.date:
        """Read once per answer and kept in the context its list shares: not one query per limit."""
        context = self.context
        if "business_date" not in context:
            context["business_date"] = business_date_get()
        today: dt.date = context["business_date"]
        return today


class CreditLimitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[CreditLimit]):
    serializer_class = CreditLimitSerializer
    filterset_fields = ["program", "farmer", "status"]

    def get_queryset(self) -> QuerySet[CreditLimit]:
        limits = visible_limits(acting_user(self.request)).select_related("farmer").order_by("id")
        return limits_with_available(limits)
