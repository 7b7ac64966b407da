"""Routes of the accounting app under /api/v1/ (included by config/api_urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from accounting.api import ConfirmationImportView, InstructionFileViewSet, InstructionViewSet, JournalFileViewSet

router = SimpleRouter()
router.register("disbursement-instruction-files", InstructionFileViewSet, basename="instruction-file")
router.register("disbursement-instructions", InstructionViewSet, basename="disbursement-instruction")
router.register("journal-files", JournalFileViewSet, basename="journal-file")

urlpatterns = [
    path("disbursement-confirmations/import/", ConfirmationImportView.as_view(), name="api-disbursement-confirmations"),
    *router.urls,
]
