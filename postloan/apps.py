from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostloanConfig(AppConfig):
    name = "postloan"
    verbose_name = _("Post-loan management")

    def ready(self) -> None:
        # The warning run ends every close of business; the dashboards' daily figures follow it.
        from postloan.cob import Step, register_step
        from postloan.dashboards.aggregates import aggregates_step
        from postloan.warning_run import escalation_step, warning_chunks, warnings_chunk

        # The rules go to the workers side by side; the escalation waits for all of them.
        register_step(Step("warnings", warnings_chunk, chunked=True, chunks=warning_chunks))
        register_step(Step("escalation", escalation_step, chunked=False))
        register_step(Step("aggregates", aggregates_step, chunked=False))
