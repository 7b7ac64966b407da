"""Loans in the API: drawdown, the loan as of the business date, repayments."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.fields import MoneyField, RatioField, ScopedPrimaryKeyRelatedField
from core.business_date import business_date_get
from origination.models import CreditLimit, Loan
from origination.selectors import visible_loans
from origination.services.drawdown import loan_disburse
from partners.auth import acting_user
from servicing.services.repayments import accrued_interest, accrued_penalty, loan_dpd, repayment_record


class LoanSerializer(serializers.ModelSerializer[Loan]):
    principal = MoneyField()
    annual_rate = RatioField()
    principal_outstanding = MoneyField()

    class Meta:
        model = Loan
        fields = [
            "id",
            "credit_limit",
            "farmer",
            "program",
            "principal",
            "annual_rate",
            "term_months",
            "disbursed_on",
            "maturity_on",
            "principal_outstanding",
            "status",
            "classification",
        ]

    def to_representation(self, loan: Loan) -> dict[str, Any]:
        """The loan as of the business date: accruals to yesterday's close, DPD counted to today."""
        data = dict(super().to_representation(loan))
        today = business_date_get()
        yesterday = today.fromordinal(today.toordinal() - 1)
        interest = loan.interest_due + loan.interest_overdue + accrued_interest(loan, yesterday)
        penalty = loan.penalty_due + accrued_penalty(loan, yesterday)
        data.update(
            interest_due=f"{interest:.2f}",
            penalty_due=f"{penalty:.2f}",
            overdue_amount=f"{loan.interest_overdue + loan.principal_overdue:.2f}",
            principal_overdue=f"{loan.principal_overdue:.2f}",
            dpd=loan_dpd(loan, today),
            shadow_dpd=(today - loan.shadow_oldest_due_date).days if loan.shadow_oldest_due_date else 0,
            compensated=f"{loan.compensated:.2f}",
        )
        return data


class DrawdownSerializer(serializers.Serializer[Any]):
    credit_limit = ScopedPrimaryKeyRelatedField(queryset=CreditLimit.objects.all())
    amount = MoneyField(min_value=0)
    term_months = serializers.IntegerField(min_value=1)


class RepaymentSerializer(serializers.Serializer[Any]):
    amount = MoneyField(min_value=0)


class LoanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Loan]):
    serializer_class = LoanSerializer
    filterset_fields = ["program", "farmer", "status", "classification"]

    def get_queryset(self) -> QuerySet[Loan]:
        return visible_loans(acting_user(self.request)).order_by("id")

    @extend_schema(request=DrawdownSerializer, responses={201: LoanSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = DrawdownSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        user = acting_user(request)
        loan = loan_disburse(
            credit_limit=payload.validated_data["credit_limit"],
            amount=payload.validated_data["amount"],
            term_months=payload.validated_data["term_months"],
            actor=user,
        )
        return Response(LoanSerializer(loan).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=RepaymentSerializer,
        responses={
            201: inline_serializer(
                "RepaymentAllocated",
                {
                    "allocated": inline_serializer(
                        "Allocation",
                        {"penalty": MoneyField(), "interest": MoneyField(), "principal": MoneyField()},
                    )
                },
            )
        },
    )
    @action(detail=True, methods=["post"])
    def repayments(self, request: Request, pk: str | None = None) -> Response:
        payload = RepaymentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        repayment = repayment_record(
            loan=self.get_object(), amount=payload.validated_data["amount"], actor=acting_user(request)
        )
        allocated = {
            "penalty": f"{repayment.penalty:.2f}",
            "interest": f"{repayment.interest:.2f}",
            "principal": f"{repayment.principal:.2f}",
        }
        return Response({"id": repayment.pk, "allocated": allocated}, status=status.HTTP_201_CREATED)
