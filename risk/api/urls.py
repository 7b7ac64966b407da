"""Routes of the risk app under /api/v1/ (included by config/api_urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from risk.api.views import (
    MonitoringEventImportView,
    MonitoringEventPushView,
    OutbreakViewSet,
    SettlementAccountImportView,
    TradeRecordImportView,
    TradeRecordPushView,
)

router = SimpleRouter()
router.register("outbreaks", OutbreakViewSet, basename="outbreak")

urlpatterns = [
    path("trade-records/import/", TradeRecordImportView.as_view(), name="api-trade-record-import"),
    path("monitoring-events/import/", MonitoringEventImportView.as_view(), name="api-monitoring-event-import"),
    path("settlement-accounts/import/", SettlementAccountImportView.as_view(), name="api-settlement-account-import"),
    path("provider/trade-records/", TradeRecordPushView.as_view(), name="api-provider-trade-records"),
    path(
        "provider/monitoring-events/",
        MonitoringEventPushView.as_view(),
        name="api-provider-monitoring-events",
    ),
    *router.urls,
]
