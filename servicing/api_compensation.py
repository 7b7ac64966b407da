"""Compensation in the API: the anchor's demands and claims, and its payments from its own funds.

Beyond the contract: GET ``/compensation-demands/`` (list, detail), GET/POST ``/anchor-payments/``,
POST ``/anchor-payments/{id}/approve/`` and ``/reject/``, GET ``/anchor-payments/owed/?anchor=``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.fields import MoneyField, ScopedPrimaryKeyRelatedField
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from origination.models import AnchorPayment, CompensationDemand
from origination.selectors import visible_loans
from partners.auth import acting_user
from partners.models import Anchor
from partners.scoping import visible_anchors
from servicing.anchor_payments import (
    UNSETTLED,
    anchor_owed_total,
    anchor_payment_approve,
    anchor_payment_record,
    anchor_payment_reject,
    loan_overdue_owed,
)
from servicing.services.repayments import loan_dpd


def _money(value: Any) -> str:
    return f"{value:.2f}"


class DemandSerializer(serializers.ModelSerializer[CompensationDemand]):
    class Meta:
        model = CompensationDemand
        fields = ["id", "program", "loan", "raised_on", "status", "settled_on"]

    def to_representation(self, demand: CompensationDemand) -> dict[str, Any]:
        data = dict(super().to_representation(demand))
        today = business_date_get()
        loan = demand.loan
        owed = loan_overdue_owed(loan, today).total if demand.status in UNSETTLED else 0
        data.update(
            anchor=demand.program.anchor_id,
            farmer=loan.farmer.name,
            deadline=demand.deadline.isoformat(),
            amount=_money(demand.amount),
            compensated=_money(demand.compensated),
            anchor_paid=_money(demand.anchor_paid),
            unrecovered=_money(demand.unrecovered),
            loan_overdue_now=_money(owed),
        )
        if self.context.get("detail"):
            data["loan_detail"] = {
                "id": loan.pk,
                "farmer": loan.farmer.name,
                "principal": _money(loan.principal),
                "principal_outstanding": _money(loan.principal_outstanding),
                "principal_overdue": _money(loan.principal_overdue),
                "interest_overdue": _money(loan.interest_overdue),
                "penalty_due": _money(loan.penalty_due),
                "dpd": loan_dpd(loan, today),
                "maturity_on": loan.maturity_on.isoformat(),
                "status": loan.status,
            }
            data["payments"] = [
                {"payment": line.payment_id, "reference": line.payment.reference, "amount": _money(line.amount)}
                for line in demand.payment_lines.select_related("payment").order_by("id")
            ]
        return data


class DemandViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[CompensationDemand]):
    """The demands on the loans the user sees: an anchor operator sees his own enterprise's only."""

    serializer_class = DemandSerializer
    filterset_fields = ["status", "program", "raised_on"]

    def get_queryset(self) -> QuerySet[CompensationDemand]:
        user = acting_user(self.request)
        return (
            CompensationDemand.objects.filter(loan__in=visible_loans(user))
            .select_related("loan", "loan__farmer", "program")
            .order_by("-raised_on", "-id")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "detail": self.action == "retrieve"}


class PaymentSerializer(serializers.ModelSerializer[AnchorPayment]):
    amount = MoneyField()
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    checked_by = serializers.CharField(source="checked_by.username", read_only=True, default=None)

    class Meta:
        model = AnchorPayment
        fields = [
            "id",
            "anchor",
            "reference",
            "amount",
            "value_date",
            "status",
            "note",
            "recorded_by",
            "recorded_on",
            "checked_by",
            "checked_on",
        ]
        read_only_fields = fields

    def to_representation(self, payment: AnchorPayment) -> dict[str, Any]:
        data = dict(super().to_representation(payment))
        data["lines"] = [
            {
                "demand": line.demand_id,
                "loan": line.loan_id,
                "amount": _money(line.amount),
                "penalty": _money(line.penalty),
                "interest": _money(line.interest),
                "principal": _money(line.principal),
            }
            for line in payment.lines.all()
        ]
        return data


class PaymentCreate(serializers.Serializer[Any]):
    anchor = ScopedPrimaryKeyRelatedField(queryset=Anchor.objects.all())
    reference = serializers.CharField(max_length=64)
    amount = MoneyField()
    value_date = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class PaymentRejection(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=200)


class PaymentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[AnchorPayment]
):
    """An anchor's payments: recorded by bank staff, applied when a second person approves."""

    serializer_class = PaymentSerializer
    filterset_fields = ["anchor", "status"]

    def get_queryset(self) -> QuerySet[AnchorPayment]:
        user = acting_user(self.request)
        return (
            AnchorPayment.objects.filter(anchor__in=visible_anchors(user))
            .select_related("recorded_by", "checked_by")
            .prefetch_related("lines")
            .order_by("-id")
        )

    @extend_schema(request=PaymentCreate, responses={201: PaymentSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = PaymentCreate(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        payment = anchor_payment_record(
            anchor=data["anchor"],
            reference=data["reference"],
            amount=data["amount"],
            value_date=data["value_date"],
            note=data.get("note", ""),
            actor=acting_user(request),
        )
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PaymentSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        payment = anchor_payment_approve(payment=self.get_object(), actor=acting_user(request))
        return Response(PaymentSerializer(AnchorPayment.objects.get(pk=payment.pk)).data)

    @extend_schema(request=PaymentRejection, responses=PaymentSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        payload = PaymentRejection(data=request.data)
        payload.is_valid(raise_exception=True)
        payment = anchor_payment_reject(
            payment=self.get_object(), actor=acting_user(request), note=payload.validated_data["note"]
        )
        return Response(PaymentSerializer(payment).data)

    @extend_schema(
        parameters=[OpenApiParameter("anchor", int, required=True)],
        responses=inline_serializer("AnchorOwed", {"anchor": serializers.IntegerField(), "owed": MoneyField()}),
    )
    @action(detail=False, methods=["get"])
    def owed(self, request: Request) -> Response:
        """What the anchor owes today on its open demands and claims (what a payment may settle)."""
        anchor_id = request.query_params.get("anchor", "")
        if not anchor_id.isdigit() or not visible_anchors(acting_user(request)).filter(pk=anchor_id).exists():
            raise DomainError(ErrorCode.NOT_FOUND, _("No such anchor enterprise."), status=404)
        return Response(
            {"anchor": int(anchor_id), "owed": _money(anchor_owed_total(int(anchor_id), business_date_get()))}
        )
