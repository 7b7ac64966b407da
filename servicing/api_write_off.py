"""Write-offs in the API (beyond the contract): GET/POST ``/write-offs/``, POST ``/write-offs/{id}/approve/``
and ``/reject/``. A proposal names a loss-class loan; two approvals by two people other than the proposer
write it off."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.fields import MoneyField, ScopedPrimaryKeyRelatedField
from origination.models import Loan, WriteOff
from origination.selectors import visible_loans
from partners.auth import acting_user
from servicing.write_off import write_off_approve, write_off_propose, write_off_reject


class WriteOffSerializer(serializers.ModelSerializer[WriteOff]):
    principal = MoneyField()
    interest = MoneyField()
    penalty = MoneyField()

    class Meta:
        model = WriteOff
        fields = [
            "id",
            "loan",
            "status",
            "reason",
            "proposed_by",
            "proposed_on",
            "first_approver",
            "second_approver",
            "decided_on",
            "principal",
            "interest",
            "penalty",
        ]
        read_only_fields = fields


class WriteOffProposal(serializers.Serializer[Any]):
    loan = ScopedPrimaryKeyRelatedField(queryset=Loan.objects.all())
    reason = serializers.CharField(max_length=2000)


class WriteOffRejection(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=2000)


class WriteOffViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[WriteOff]
):
    serializer_class = WriteOffSerializer
    filterset_fields = ["status", "loan"]

    def get_queryset(self) -> QuerySet[WriteOff]:
        return WriteOff.objects.filter(loan__in=visible_loans(acting_user(self.request))).order_by("-id")

    @extend_schema(request=WriteOffProposal, responses={201: WriteOffSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = WriteOffProposal(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        proposal = write_off_propose(
            loan=payload.validated_data["loan"], reason=payload.validated_data["reason"], actor=acting_user(request)
        )
        return Response(WriteOffSerializer(proposal).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=WriteOffSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        proposal = write_off_approve(write_off=self.get_object(), actor=acting_user(request))
        return Response(WriteOffSerializer(proposal).data)

    @extend_schema(request=WriteOffRejection, responses=WriteOffSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        payload = WriteOffRejection(data=request.data)
        payload.is_valid(raise_exception=True)
        proposal = write_off_reject(
            write_off=self.get_object(), actor=acting_user(request), note=payload.validated_data["note"]
        )
        return Response(WriteOffSerializer(proposal).data)
