from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authentication import BaseAuthentication
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.authentication import token_issue, token_revoke
from partners.api.serializers import AnchorSerializer, FarmerSerializer, MarginEntrySerializer
from partners.auth import acting_user
from partners.models import Anchor, Farmer, MarginEntry
from partners.scoping import visible_anchors, visible_farmers, visible_programs
from partners.selectors import with_latest_capacity
from partners.services.anchors import anchor_approve, anchor_create
from partners.services.farmers import farmer_identity_reveal
from partners.services.margin import margin_entry_confirm


class TokenView(APIView):
    """POST /api/v1/auth/token/ with ``{username, password}`` → ``{"token"}``; DELETE revokes the caller's.

    The token lasts ``API_TOKEN_TTL_HOURS`` after it was issued: asking again gives the same token while it
    is valid and a new one once it has expired (core.api.authentication).
    """

    def _asks_for_a_token(self) -> bool:
        return getattr(self.request, "method", None) == "POST"  # no request while the schema is built

    def get_authenticators(self) -> list[BaseAuthentication]:
        # Asking for a token proves who one is by the password alone: an old token sent along (expired,
        # say) must not get in the way, nor a session's CSRF check.
        if self._asks_for_a_token():
            return []
        return super().get_authenticators()

    def get_permissions(self) -> Sequence[Any]:
        if self._asks_for_a_token():
            return [AllowAny()]
        return super().get_permissions()

    @extend_schema(
        request=AuthTokenSerializer,
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token = token_issue(user=serializer.validated_data["user"])
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnchorViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[Anchor]
):
    serializer_class = AnchorSerializer
    filterset_fields = ["status"]

    def get_queryset(self) -> QuerySet[Anchor]:
        return with_latest_capacity(visible_anchors(acting_user(self.request))).select_related("org_node")

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = anchor_create(actor=acting_user(self.request), **serializer.validated_data)

    @extend_schema(request=None, responses=AnchorSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        anchor = anchor_approve(anchor=self.get_object(), actor=acting_user(request))
        return Response(self.get_serializer(anchor).data, status=status.HTTP_200_OK)


class FarmerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Farmer]):
    serializer_class = FarmerSerializer
    # Not region_code: a filter on it would tell the masked digits 5–6 of each identity number.
    filterset_fields = ["breed"]

    def get_queryset(self) -> QuerySet[Farmer]:
        return visible_farmers(acting_user(self.request)).order_by("id")

    @extend_schema(parameters=[OpenApiParameter("reveal", bool, description="show the full numbers (logged)")])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        farmer = self.get_object()
        data = dict(self.get_serializer(farmer).data)
        if request.query_params.get("reveal") in {"1", "true"}:
            identity = farmer_identity_reveal(farmer=farmer, actor=acting_user(request))
            data.update(
                id_number=identity.id_number,
                phone=identity.phone,
                region_code=farmer.region_code,
                birth_date=farmer.birth_date.isoformat(),
            )
        return Response(data)


class MarginEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[MarginEntry]):
    """The margin ledgers of the programmes the user sees; ``?status=pending`` lists the deposits to confirm."""

    serializer_class = MarginEntrySerializer
    filterset_fields = ["program", "status", "kind"]

    def get_queryset(self) -> QuerySet[MarginEntry]:
        return MarginEntry.objects.filter(program__in=visible_programs(acting_user(self.request))).order_by("-id")

    @extend_schema(request=None, responses=MarginEntrySerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """Bank staff confirm an anchor's announced deposit: it is posted and counts from now on."""
        entry = margin_entry_confirm(entry=self.get_object(), actor=acting_user(request))
        return Response(self.get_serializer(entry).data, status=status.HTTP_200_OK)
