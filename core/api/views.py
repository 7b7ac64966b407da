from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.business_date import business_date_get


class BusinessDateView(APIView):
    """GET /api/v1/business-date/ → ``{"date": "YYYY-MM-DD"}``."""

    @extend_schema(responses=inline_serializer("BusinessDate", {"date": serializers.DateField()}))
    def get(self, request: Request) -> Response:
        return Response({"date": business_date_get().isoformat()})
