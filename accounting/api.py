"""The files exchanged with the core in the API (/api/v1/): instruction files, confirmations, journals.

Only the branch's operations (administrators and branch managers) reach them; every answer to anyone
else is 403 ``permission_denied``. Downloads answer the kept bytes with their SHA-256 in ``X-SHA256``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.confirmations import confirmations_import
from accounting.files import CSV_CONTENT_TYPE
from accounting.instructions import instruction_file_download, instruction_file_generate
from accounting.journal import journal_file_bytes, journal_file_generate
from accounting.models import DisbursementInstruction, InstructionFile, JournalFile
from accounting.permissions import require_file_role
from core.api.fields import MoneyField
from core.uploads import upload_read
from partners.auth import acting_user


class DaySerializer(serializers.Serializer[Any]):
    business_date = serializers.DateField()


class InstructionFileSerializer(serializers.ModelSerializer[InstructionFile]):
    total = MoneyField()
    name = serializers.CharField(source="stored_file.name")

    class Meta:
        model = InstructionFile
        fields = ["id", "business_date", "name", "sha256", "lines", "total", "created_at"]


class JournalFileSerializer(serializers.ModelSerializer[JournalFile]):
    total_debit = MoneyField()
    total_credit = MoneyField()
    name = serializers.CharField(source="stored_file.name")

    class Meta:
        model = JournalFile
        fields = ["id", "business_date", "name", "sha256", "lines", "total_debit", "total_credit", "created_at"]


class InstructionSerializer(serializers.ModelSerializer[DisbursementInstruction]):
    amount = MoneyField()
    confirmed_amount = MoneyField(allow_null=True)
    business_date = serializers.DateField(source="file.business_date")

    class Meta:
        model = DisbursementInstruction
        fields = [
            "number",
            "loan",
            "program",
            "amount",
            "value_date",
            "business_date",
            "status",
            "core_reference",
            "confirmed_amount",
            "processed_on",
            "reason",
        ]


def _download(name: str, sha256: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-SHA256"] = sha256
    return response


class _FileRoleMixin:
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        require_file_role(acting_user(request))


class InstructionFileViewSet(_FileRoleMixin, mixins.ListModelMixin, viewsets.GenericViewSet[InstructionFile]):
    """GET/POST /api/v1/disbursement-instruction-files/; GET …/{id}/download/."""

    serializer_class = InstructionFileSerializer
    filter_backends: list[type] = []

    def get_queryset(self) -> QuerySet[InstructionFile]:
        return InstructionFile.objects.select_related("stored_file").order_by("-business_date")

    @extend_schema(request=DaySerializer, responses=InstructionFileSerializer)
    def create(self, request: Request) -> Response:
        form = DaySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        record = instruction_file_generate(day=form.validated_data["business_date"], actor=acting_user(request))
        return Response(InstructionFileSerializer(record).data)

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(description="the kept file, byte for byte")})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> HttpResponse:
        record = self.get_object()
        content = instruction_file_download(record=record, actor=acting_user(request))
        return _download(record.stored_file.name, record.sha256, content)


class InstructionViewSet(_FileRoleMixin, mixins.ListModelMixin, viewsets.GenericViewSet[DisbursementInstruction]):
    """GET /api/v1/disbursement-instructions/?status=pending|accepted|rejected&loan=<id>."""

    serializer_class = InstructionSerializer
    filter_backends: list[type] = []

    def get_queryset(self) -> QuerySet[DisbursementInstruction]:
        instructions = DisbursementInstruction.objects.select_related("file").order_by("number")
        status = self.request.query_params.get("status", "")
        if status in DisbursementInstruction.Status.values:
            instructions = instructions.filter(status=status)
        loan = self.request.query_params.get("loan", "")
        if loan.isdigit() and len(loan) < 19:
            instructions = instructions.filter(loan_id=int(loan))
        return instructions


class ConfirmationUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()


class ConfirmationImportView(APIView):
    """POST /api/v1/disbursement-confirmations/import/: multipart ``file`` (the core's 放款确认文件)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request=ConfirmationUploadSerializer,
        responses=inline_serializer(
            "ConfirmationResult",
            {
                "id": serializers.IntegerField(),
                "sha256": serializers.CharField(),
                "rows": serializers.IntegerField(),
                "accepted": serializers.IntegerField(),
                "rejected": serializers.IntegerField(),
                "unchanged": serializers.IntegerField(),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        user = acting_user(request)
        require_file_role(user)
        form = ConfirmationUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        content, name = upload_read(form.validated_data["file"], max_bytes=settings.UPLOAD_MAX_BYTES)
        result = confirmations_import(content=content, filename=name, actor=user)
        return Response(result.as_dict())


class JournalFileViewSet(_FileRoleMixin, mixins.ListModelMixin, viewsets.GenericViewSet[JournalFile]):
    """GET/POST /api/v1/journal-files/; GET …/{id}/download/."""

    serializer_class = JournalFileSerializer
    filter_backends: list[type] = []

    def get_queryset(self) -> QuerySet[JournalFile]:
        return JournalFile.objects.select_related("stored_file").order_by("-business_date")

    @extend_schema(request=DaySerializer, responses=JournalFileSerializer)
    def create(self, request: Request) -> Response:
        form = DaySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        record = journal_file_generate(day=form.validated_data["business_date"], actor=acting_user(request))
        return Response(JournalFileSerializer(record).data)

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(description="the kept file, byte for byte")})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> HttpResponse:
        record = self.get_object()
        return _download(record.stored_file.name, record.sha256, journal_file_bytes(record))
