from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountingConfig(AppConfig):
    """What this system sends to the core banking system: the disbursement instructions of approved
    drawdowns and their confirmations, and each business day's ledger as a general-ledger journal."""

    name = "accounting"
    verbose_name = _("Accounting with the core system")
