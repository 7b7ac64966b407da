"""Every endpoint of /api/v1/ (the contract), routed to the app that owns it."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from core.api.views import BusinessDateView
from origination.api.batches import BatchViewSet
from origination.api.limits import CreditLimitViewSet
from origination.api.program_changes import ProgramChangeViewSet
from origination.api.programs import ProgramViewSet
from origination.api.renewals import RenewalViewSet
from partners.api.views import AnchorViewSet, FarmerViewSet, MarginEntryViewSet, TokenView
from postloan.api import CheckViewSet, WarningViewSet
from postloan.api_anchor import AnchorWindowView, StatementViewSet
from servicing.api import LoanViewSet
from servicing.api_compensation import DemandViewSet, PaymentViewSet
from servicing.api_write_off import WriteOffViewSet

router = DefaultRouter()
router.register("anchors", AnchorViewSet, basename="anchor")
router.register("farmers", FarmerViewSet, basename="farmer")
router.register("programs", ProgramViewSet, basename="program")
router.register("margin-entries", MarginEntryViewSet, basename="margin-entry")
router.register("program-changes", ProgramChangeViewSet, basename="program-change")
router.register("batches", BatchViewSet, basename="batch")
router.register("credit-limits", CreditLimitViewSet, basename="credit-limit")
router.register("renewals", RenewalViewSet, basename="renewal")
router.register("loans", LoanViewSet, basename="loan")
router.register("compensation-demands", DemandViewSet, basename="compensation-demand")
router.register("anchor-payments", PaymentViewSet, basename="anchor-payment")
router.register("write-offs", WriteOffViewSet, basename="write-off")
router.register("warnings", WarningViewSet, basename="warning")
router.register("post-drawdown-checks", CheckViewSet, basename="post-drawdown-check")
router.register("statements", StatementViewSet, basename="statement")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("business-date/", BusinessDateView.as_view(), name="api-business-date"),
    path("anchor-window/", AnchorWindowView.as_view(), name="api-anchor-window"),
    path("", include(router.urls)),
    path("", include("risk.api.urls")),
    path("", include("accounting.api_urls")),
    path("", include("corebank.api_urls")),
    path("", include("distribution.api_urls")),
    path("", include("campaigns.api_urls")),
    path("", include("network.api_urls")),
]
