from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DistributionConfig(AppConfig):
    """白名单分发: the lists of customers the branch markets to (a programme's whitelist, the bank's own
    pre-approved lists), handed down to outlets and their staff, and what each contact came to."""

    name = "distribution"
    verbose_name = _("Whitelist distribution")
