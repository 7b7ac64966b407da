from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostloanConfig(AppConfig):
    """The close of business lists all its steps itself (``postloan.cob.STEPS``): nothing registers here."""

    name = "postloan"
    verbose_name = _("Post-loan management")

    def ready(self) -> None:
        # The statements' tasks live beside their service; Celery's discovery imports only ``postloan.tasks``.
        from postloan import statement_tasks  # noqa: F401
