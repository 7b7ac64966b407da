"""Routes of the campaigns app under /api/v1/ (included by config/api_urls.py)."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import DefaultRouter

from campaigns.api import CampaignViewSet, GatewayCallbackView, TemplateViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("sms-campaigns", CampaignViewSet, basename="sms-campaign")
router.register("sms-templates", TemplateViewSet, basename="sms-template")

urlpatterns: list[URLPattern | URLResolver] = [
    path("sms-gateway/receipts/", GatewayCallbackView.as_view(), name="api-sms-gateway-receipts"),
    *router.urls,
]
