from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.money import format_yuan, money
from core.views import typed_amount
from partners.models import Anchor, MarginEntry
from partners.services.programs import PROGRAM_DEFAULTS

RATIO_HELP = _("As a decimal: 0.30 means 30 %.")


class ProgramForm(forms.Form):
    anchor: forms.ModelChoiceField[Anchor] = forms.ModelChoiceField(label=_("anchor"), queryset=Anchor.objects.none())
    name = forms.CharField(label=_("programme name"), max_length=200)
    annual_rate = forms.DecimalField(
        label=_("annual interest rate"), max_digits=9, decimal_places=6, help_text=RATIO_HELP
    )
    total_cap = forms.DecimalField(label=_("total cap (yuan)"), max_digits=18, decimal_places=2)
    per_farmer_cap = forms.DecimalField(label=_("per-farmer cap (yuan)"), max_digits=18, decimal_places=2)
    order_ratio = forms.DecimalField(label=_("order ratio"), max_digits=9, decimal_places=6, help_text=RATIO_HELP)
    lookback_months = forms.IntegerField(label=_("look-back months"), min_value=1, max_value=36)
    margin_ratio = forms.DecimalField(label=_("margin ratio"), max_digits=9, decimal_places=6)
    max_term_months = forms.IntegerField(label=_("maximum term (months)"), min_value=1, max_value=36)
    limit_validity_months = forms.IntegerField(label=_("limit validity (months)"), min_value=1, max_value=36)
    mismatch_tolerance = forms.DecimalField(label=_("mismatch tolerance"), max_digits=9, decimal_places=6)
    npl_warning_ratio = forms.DecimalField(label=_("NPL warning ratio"), max_digits=9, decimal_places=6)
    npl_suspend_ratio = forms.DecimalField(label=_("NPL suspension ratio"), max_digits=9, decimal_places=6)
    penalty_markup = forms.DecimalField(label=_("penalty markup"), max_digits=9, decimal_places=6)
    # Screening: left empty, the programme defaults apply.
    min_score = forms.DecimalField(
        label=_("minimum score"), max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    screening_lookback_days = forms.IntegerField(
        label=_("screening look-back (days)"), min_value=30, max_value=1095, required=False
    )
    multi_lender_review_count = forms.IntegerField(
        label=_("lenders that send a farmer to review"), min_value=2, max_value=50, required=False
    )

    def __init__(self, *args: Any, anchors: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).update(PROGRAM_DEFAULTS)
        super().__init__(*args, **kwargs)
        self.fields["anchor"].queryset = anchors  # type: ignore[attr-defined]


class MarginForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=[(MarginEntry.Kind.DEPOSIT, _("Deposit")), (MarginEntry.Kind.WITHDRAWAL, _("Withdrawal"))],
    )
    amount = forms.DecimalField(label=_("amount (yuan)"), max_digits=18, decimal_places=2, min_value=0.01)
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args: Any, deposit_only: bool = False, **kwargs: Any) -> None:
        """An anchor operator is offered the deposit alone (the service refuses his withdrawal anyway)."""
        super().__init__(*args, **kwargs)
        if deposit_only:
            self.fields["kind"].choices = [(MarginEntry.Kind.DEPOSIT, _("Deposit"))]  # type: ignore[attr-defined]


class ResumeForm(forms.Form):
    assessment = forms.CharField(
        label=_("new risk assessment of the programme"),
        widget=forms.Textarea(attrs={"rows": 3}),
        min_length=10,
    )


class SuspendForm(forms.Form):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class DrawdownForm(forms.Form):
    """A drawdown from one limit: an amount up to what is available, a term from those that can work.

    The terms offered are exactly those ``loan_disburse`` accepts on the business date (``terms_within``);
    the service still makes every check, in the contract's order, when the loan is confirmed.
    """

    amount = forms.CharField(label=_("amount (yuan)"), max_length=30, widget=forms.TextInput({"inputmode": "decimal"}))
    term_months = forms.TypedChoiceField(label=_("term (months)"), coerce=int)

    def __init__(self, *args: Any, available: Decimal, terms: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.available = available
        self.fields["term_months"].choices = [(n, str(n)) for n in terms]  # type: ignore[attr-defined]
        if terms and "term_months" not in self.initial:
            self.initial["term_months"] = terms[-1]

    def clean_amount(self) -> Decimal:
        try:
            amount = money(typed_amount(self.cleaned_data["amount"]))
        except DomainError as exc:
            raise forms.ValidationError(exc.detail) from None
        if amount <= 0:
            raise forms.ValidationError(gettext("The amount must be greater than zero."))
        if amount > self.available:
            raise forms.ValidationError(
                gettext("Only %(available)s yuan of this limit is available.")
                % {"available": format_yuan(self.available)}
            )
        return amount
