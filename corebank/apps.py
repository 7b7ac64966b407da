from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CorebankConfig(AppConfig):
    """The files the core banking system sends in: its daily debits of the borrowers' repayments, kept with
    their SHA-256 and applied by the close of their value date."""

    name = "corebank"
    verbose_name = _("Core system files")
