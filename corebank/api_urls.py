"""Routes of the corebank app under /api/v1/ (included by config/api_urls.py)."""

from django.urls import path

from corebank.api import DebitFileImportView

urlpatterns = [
    path("core/repayments/import/", DebitFileImportView.as_view(), name="api-core-repayments-import"),
]
