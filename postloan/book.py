"""Facts about the whole loan book that commands above every app need."""

from __future__ import annotations

from django.apps import apps


def book_has_loans() -> bool:
    """True once any loan has been disbursed; the business date can then only move forward."""
    if not apps.is_installed("origination") or "loan" not in apps.all_models["origination"]:
        return False
    return bool(apps.get_model("origination", "Loan").objects.exists())
