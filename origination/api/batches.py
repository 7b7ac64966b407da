"""Recommendation batches in the API: upload, read, and (later) process, submit, approve."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import DomainError
from origination.models import Batch
from origination.services.intake import Upload, batch_upload
from partners.auth import acting_user
from partners.models import Program
from partners.scoping import visible_programs


def visible_batches(user: Any) -> QuerySet[Batch]:
    return Batch.objects.filter(program__in=visible_programs(user))


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


def upload_from(request: Request, name: str) -> Upload | None:
    file = request.FILES.get(name)
    if file is None:
        return None
    return Upload(content=file.read(), name=file.name or name, content_type=file.content_type or "")


def program_batch_upload(request: Request, program: Program) -> Response:
    """POST /programs/{id}/batches/ (wired on the programme view set)."""
    farmer_list = upload_from(request, "farmer_list")
    if farmer_list is None:
        raise DomainError("farmer_list_required", _("Attach the farmer list (farmer_list)."))
    batch = batch_upload(
        program=program,
        actor=acting_user(request),
        farmer_list=farmer_list,
        scorecard=upload_from(request, "scorecard"),
        recommendation_letter=upload_from(request, "recommendation_letter"),
        guarantee_letter=upload_from(request, "guarantee_letter"),
    )
    return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)


class BatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Batch]):
    filterset_fields = ["program", "status"]

    def get_queryset(self) -> QuerySet[Batch]:
        return visible_batches(acting_user(self.request)).order_by("-id")

    def get_serializer_class(self) -> type[BatchListSerializer]:
        return BatchListSerializer if self.action == "list" else BatchSerializer
