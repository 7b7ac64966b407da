"""The core system's files in the API: POST /api/v1/core/repayments/import/ (the daily debit file)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.uploads import upload_open
from corebank.debit_files import debit_file_import, max_bytes
from partners.auth import acting_user


class DebitFileUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()


class DebitFileImportView(APIView):
    """multipart ``file``: the core's debit file → 200 ``{accepted, duplicates}``; a bad row → 400 ``file_rejected``."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request=DebitFileUploadSerializer,
        responses=inline_serializer(
            "DebitFileImportResult",
            {
                "accepted": serializers.IntegerField(),
                "duplicates": serializers.IntegerField(),
                "file": serializers.IntegerField(),
                "sha256": serializers.CharField(),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        form = DebitFileUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        content, name = upload_open(form.validated_data["file"], max_bytes=max_bytes())
        result = debit_file_import(content=content, filename=name, actor=acting_user(request))
        return Response({**result.as_dict(), "file": result.file.pk, "sha256": result.file.sha256})
