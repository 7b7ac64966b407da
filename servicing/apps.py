from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicingConfig(AppConfig):
    """Loans after drawdown: interest, repayment waterfall, settlement, compensation, the breaker.

    It has no tables of its own: the loan, its ledger, dues and compensation demands are origination's
    models, which only servicing's services and the close of business write after drawdown.
    """

    name = "servicing"
    verbose_name = _("Loan servicing")
