"""SMS campaigns in the API (``/api/v1/sms-campaigns/``, ``/api/v1/sms-templates/``) and the gateway's
signed callback (``POST /api/v1/sms-gateway/receipts/``: delivery receipts and the farmers' replies)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.models import Campaign, Message, SmsTemplate
from campaigns.selectors import campaign_preview, campaign_progress, visible_campaigns
from campaigns.services import (
    campaign_approve,
    campaign_create,
    campaign_reject,
    inbound_apply,
    receipts_apply,
    sms_template_create,
)
from core.api.fields import MoneyField, ScopedPrimaryKeyRelatedField
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.masking import mask_phone
from core.permissions import require_role
from core.roles import STAFF_ROLES
from origination.outbox import notification_receipts_apply
from origination.sms import signature_verify
from partners.auth import acting_user
from partners.models import Anchor, OrgNode, Program


def _staff(request: Request) -> Any:
    user = acting_user(request)
    require_role(user, *STAFF_ROLES)
    return user


class TemplateSerializer(serializers.ModelSerializer[SmsTemplate]):
    class Meta:
        model = SmsTemplate
        fields = ["id", "name", "body", "created_at"]
        read_only_fields = ["id", "created_at"]


class TemplateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[SmsTemplate]
):
    """The SMS templates; POST ``{name, body}`` keeps a new one (variables checked)."""

    serializer_class = TemplateSerializer

    def get_queryset(self) -> QuerySet[SmsTemplate]:
        _staff(self.request)
        return SmsTemplate.objects.order_by("-id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = TemplateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        template = sms_template_create(actor=_staff(request), **form.validated_data)
        return Response(TemplateSerializer(template).data, status=201)


class CampaignSerializer(serializers.ModelSerializer[Campaign]):
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "template",
            "status",
            "org_node",
            "program",
            "anchor",
            "min_amount",
            "max_amount",
            "send_after",
            "created_by",
            "created_at",
            "decided_by",
            "decided_at",
            "reject_reason",
            "finished_at",
        ]
        read_only_fields = fields

    def to_representation(self, campaign: Campaign) -> dict[str, Any]:
        data = dict(super().to_representation(campaign))
        if self.context.get("detail"):
            data["progress"] = campaign_progress(campaign)
        return data


class CampaignCreate(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    template = serializers.PrimaryKeyRelatedField(queryset=SmsTemplate.objects.all())
    org_node = ScopedPrimaryKeyRelatedField(queryset=OrgNode.objects.all(), required=False, allow_null=True)
    program = ScopedPrimaryKeyRelatedField(queryset=Program.objects.all(), required=False, allow_null=True)
    anchor = ScopedPrimaryKeyRelatedField(queryset=Anchor.objects.all(), required=False, allow_null=True)
    min_amount = MoneyField(required=False, allow_null=True)
    max_amount = MoneyField(required=False, allow_null=True)
    send_after = serializers.DateTimeField(required=False, allow_null=True)


class RejectSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500)


class MessageSerializer(serializers.ModelSerializer[Message]):
    class Meta:
        model = Message
        fields = ["id", "farmer", "status", "attempts", "gateway_message_id", "sent_at", "receipt_at", "last_error"]

    def to_representation(self, message: Message) -> dict[str, Any]:
        data = dict(super().to_representation(message))
        data["phone"] = mask_phone(message.phone)
        data["farmer_name"] = message.farmer.name
        return data


class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Campaign]):
    """Campaigns made in the user's subtree. POST makes one (waiting for approval); ``preview``, ``approve``,
    ``reject`` and ``messages`` (phones masked) act on one."""

    serializer_class = CampaignSerializer
    filterset_fields = ["status"]

    def get_queryset(self) -> QuerySet[Campaign]:
        return visible_campaigns(_staff(self.request)).order_by("-id")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "detail": self.action != "list"}

    @extend_schema(request=CampaignCreate, responses=CampaignSerializer)
    def create(self, request: Request) -> Response:
        user = _staff(request)
        form = CampaignCreate(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        campaign = campaign_create(actor=user, **form.validated_data)
        return Response(self.get_serializer(campaign).data, status=201)

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "CampaignPreview",
            {
                "audience": serializers.IntegerField(),
                "opted_out": serializers.IntegerField(),
                "capped": serializers.IntegerField(),
                "to_send": serializers.IntegerField(),
                "samples": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    @action(detail=True, methods=["get"])
    def preview(self, request: Request, pk: str) -> Response:
        return Response(campaign_preview(self.get_object()).as_dict())

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        campaign = campaign_approve(campaign=self.get_object(), actor=acting_user(request))
        return Response(self.get_serializer(campaign).data)

    @extend_schema(request=RejectSerializer, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        form = RejectSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        campaign = campaign_reject(
            campaign=self.get_object(), actor=acting_user(request), reason=form.validated_data["reason"]
        )
        return Response(self.get_serializer(campaign).data)

    @extend_schema(request=None, responses=MessageSerializer(many=True))
    @action(detail=True, methods=["get"])
    def messages(self, request: Request, pk: str) -> Response:
        campaign = self.get_object()
        rows = Message.objects.filter(campaign=campaign).select_related("farmer").order_by("id")
        status = request.query_params.get("status")
        if status:
            rows = rows.filter(status=status)
        page = self.paginate_queryset(rows)  # type: ignore[arg-type]
        data = MessageSerializer(page if page is not None else rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)


class GatewayCallbackView(APIView):
    """The gateway's callback, signed with ``SMS_GATEWAY_KEY`` (``X-Timestamp``, ``X-Signature``): no user.

    Body: ``{"receipts": [{"message_id", "status": "delivered"|"failed", "error"?}], "replies": [{"from",
    "text"}]}``. Receipts update the campaign messages and the outbox's notifications; a reply ``T`` opts the
    phone out. Sending the same body again changes nothing.
    """

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=inline_serializer(
            "GatewayCallback",
            {
                "receipts": serializers.ListField(child=serializers.DictField()),
                "replies": serializers.ListField(child=serializers.DictField()),
            },
        ),
        responses=inline_serializer(
            "GatewayCallbackResult",
            {
                "applied": serializers.IntegerField(),
                "unknown": serializers.IntegerField(),
                "notifications_failed": serializers.IntegerField(),
                "opted_out": serializers.IntegerField(),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        body = request.body
        if not signature_verify(
            key=settings.SMS_GATEWAY_KEY,
            timestamp=request.headers.get("X-Timestamp", ""),
            signature=request.headers.get("X-Signature", ""),
            body=body,
            now=time.time(),
        ):
            raise DomainError(ErrorCode.BAD_SIGNATURE, _("The signature does not match the body."), status=401)
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise DomainError(ErrorCode.INVALID_JSON, _("The body is not a JSON object."))
        receipts = [r for r in data.get("receipts") or [] if isinstance(r, dict)]
        replies = [r for r in data.get("replies") or [] if isinstance(r, dict)]
        result = receipts_apply(receipts)
        return Response(
            {
                "applied": result["applied"],
                "unknown": result["unknown"],
                "notifications_failed": notification_receipts_apply(receipts),
                "opted_out": inbound_apply(replies),
            }
        )
