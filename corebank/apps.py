from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CorebankConfig(AppConfig):
    """The files the core banking system sends in: its daily debits of the borrowers' repayments, kept with
    their SHA-256 and applied by the close of their value date."""

    name = "corebank"
    verbose_name = _("Core system files")

    def ready(self) -> None:
        # The settlement step (servicing, below this app) applies the day's debits through its hook.
        from corebank.apply import debits_apply
        from servicing.settlement import BEFORE_OVERDUE

        if debits_apply not in BEFORE_OVERDUE:
            BEFORE_OVERDUE.append(debits_apply)
