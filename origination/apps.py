from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OriginationConfig(AppConfig):
    name = "origination"
    verbose_name = _("Credit and loans")

    def ready(self) -> None:
        # What an id in the API may name (core.api.scopes): the same rules as every list and page.
        from core.api.scopes import scope_register
        from origination.models import Batch, CreditLimit, Loan
        from origination.selectors import visible_batches, visible_limits, visible_loans

        scope_register(Batch, visible_batches)
        scope_register(CreditLimit, visible_limits)
        scope_register(Loan, visible_loans)
