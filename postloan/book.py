"""Facts about the whole loan book that commands above every app need."""

from __future__ import annotations

from origination.models import Loan


def book_has_loans() -> bool:
    """True once any loan has been disbursed; the business date can then only move forward."""
    return Loan.objects.exists()
