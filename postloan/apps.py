from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostloanConfig(AppConfig):
    name = "postloan"
    verbose_name = _("Post-loan management")

    def ready(self) -> None:
        # The warning run is the last step of every close of business.
        from postloan.cob import Step, register_step
        from postloan.warnings import warnings_step

        register_step(Step("warnings", warnings_step, chunked=False))
