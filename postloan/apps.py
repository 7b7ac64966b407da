from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostloanConfig(AppConfig):
    name = "postloan"
    verbose_name = _("Post-loan management")

    def ready(self) -> None:
        # The warning run ends every close of business; the dashboards' daily figures follow it.
        from postloan.cob import Step, register_step
        from postloan.dashboards.aggregates import aggregates_step
        from postloan.warnings import warnings_step

        register_step(Step("warnings", warnings_step, chunked=False))
        register_step(Step("aggregates", aggregates_step, chunked=False))
