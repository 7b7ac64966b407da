from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    """网点支撑: the branch's work with its outlets: targets per sub-branch and quarter, field research
    visits (蹲点) with their follow-up actions, and training sessions by level."""

    name = "network"
    verbose_name = _("Outlet network")
