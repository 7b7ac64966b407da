"""Provider data in the API: file imports by staff, signed pushes by the provider, outbreaks."""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.error_codes import ErrorCode
from core.errors import DomainError
from core.uploads import upload_open
from partners.auth import acting_user
from partners.scoping import visible_anchors
from risk.api.serializers import (
    DeliveryResultSerializer,
    EventImportSerializer,
    EventPushSerializer,
    OutbreakSerializer,
    SettlementAccountImportSerializer,
    SettlementAccountResultSerializer,
    TradeImportSerializer,
    TradePushSerializer,
)
from risk.importers import provider_max_bytes
from risk.models import Outbreak
from risk.services.accounts import settlement_accounts_import
from risk.services.deliveries import (
    DeliveryResult,
    monitoring_events_import,
    monitoring_events_push,
    trade_records_import,
    trade_records_push,
)
from risk.services.outbreaks import outbreak_create

SIGNATURE_HEADERS = [
    OpenApiParameter("X-Provider", str, OpenApiParameter.HEADER, required=True, description="provider code"),
    OpenApiParameter("X-Timestamp", str, OpenApiParameter.HEADER, required=True, description="Unix seconds"),
    OpenApiParameter(
        "X-Signature",
        str,
        OpenApiParameter.HEADER,
        required=True,
        description='hex HMAC-SHA256 under the provider\'s secret of "<X-Timestamp>." + body',
    ),
]


class TradeRecordImportView(APIView):
    """POST /api/v1/trade-records/import/: multipart ``anchor`` and ``file`` (三方交易数据)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=TradeImportSerializer, responses=DeliveryResultSerializer)
    def post(self, request: Request) -> Response:
        form = TradeImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = acting_user(request)
        anchor = get_object_or_404(visible_anchors(user), pk=form.validated_data["anchor"])
        upload = form.validated_data["file"]
        content, name = upload_open(upload, max_bytes=provider_max_bytes())
        result = trade_records_import(anchor=anchor, content=content, filename=name, actor=user)
        return Response(result.as_dict())


class MonitoringEventImportView(APIView):
    """POST /api/v1/monitoring-events/import/: multipart ``file`` (三方监测数据)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=EventImportSerializer, responses=DeliveryResultSerializer)
    def post(self, request: Request) -> Response:
        form = EventImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        content, name = upload_open(upload, max_bytes=provider_max_bytes())
        result = monitoring_events_import(content=content, filename=name, actor=acting_user(request))
        return Response(result.as_dict())


class SettlementAccountImportView(APIView):
    """POST /api/v1/settlement-accounts/import/: multipart ``kind`` and ``file`` (the core's 结算账户数据).

    The file is all or nothing: any bad row → 400 ``file_rejected`` with ``errors``, nothing kept.
    """

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=SettlementAccountImportSerializer, responses=SettlementAccountResultSerializer)
    def post(self, request: Request) -> Response:
        form = SettlementAccountImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        content, name = upload_open(form.validated_data["file"], max_bytes=provider_max_bytes())
        result = settlement_accounts_import(
            kind=form.validated_data["kind"], content=content, filename=name, actor=acting_user(request)
        )
        return Response(result.as_dict())


class _SignedPushView(APIView):
    """Authenticated by the provider's signature alone: no user, no session, hence no CSRF."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def _push(self, request: Request, push: Any) -> Response:
        try:
            body = request.body  # the signed bytes, exactly as sent
        except RequestDataTooBig:
            raise DomainError(
                ErrorCode.PAYLOAD_TOO_LARGE,
                _("The request body is too large: send the records in parts."),
                status=413,
            ) from None
        result: DeliveryResult = push(
            provider_code=request.headers.get("X-Provider", ""),
            timestamp=request.headers.get("X-Timestamp", ""),
            signature=request.headers.get("X-Signature", ""),
            body=body,
            now=time.time(),
        )
        return Response(result.as_dict())


class TradeRecordPushView(_SignedPushView):
    """POST /api/v1/provider/trade-records/: the provider pushes an anchor's orders."""

    @extend_schema(request=TradePushSerializer, responses=DeliveryResultSerializer, parameters=SIGNATURE_HEADERS)
    def post(self, request: Request) -> Response:
        return self._push(request, trade_records_push)


class MonitoringEventPushView(_SignedPushView):
    """POST /api/v1/provider/monitoring-events/: the provider pushes monitoring events."""

    @extend_schema(request=EventPushSerializer, responses=DeliveryResultSerializer, parameters=SIGNATURE_HEADERS)
    def post(self, request: Request) -> Response:
        return self._push(request, monitoring_events_push)


class OutbreakViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[Outbreak]):
    """Regional outbreaks (区域疫情): public facts, listed to every signed-in user; recorded by staff."""

    serializer_class = OutbreakSerializer
    filterset_fields = ["region_code", "disease"]

    def get_queryset(self) -> QuerySet[Outbreak]:
        return Outbreak.objects.select_related("created_by").order_by("-declared_on", "-id")

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = outbreak_create(actor=acting_user(self.request), **serializer.validated_data)
