from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """营销活动: SMS campaigns to the listed farmers, approved by a second person and sent through the
    SMS gateway over HTTP, exactly once per farmer."""

    name = "campaigns"
    verbose_name = _("Outreach campaigns")
