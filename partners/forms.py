from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.models import Agreement, AnchorAssessment

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class AnchorForm(forms.Form):
    name = forms.CharField(label=_("enterprise name"), max_length=200)
    uscc = forms.CharField(label=_("unified social credit code"), max_length=32)
    guarantee_capacity = forms.DecimalField(label=_("guarantee capacity (yuan)"), max_digits=18, decimal_places=2)
    legal_representative = forms.CharField(label=_("legal representative"), max_length=50, required=False)
    registered_capital = forms.DecimalField(
        label=_("registered capital (yuan)"), max_digits=18, decimal_places=2, required=False
    )
    industry = forms.CharField(label=_("industry"), max_length=100, required=False)
    contact_name = forms.CharField(label=_("contact person"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("contact phone"), max_length=20, required=False)
    address = forms.CharField(label=_("address"), max_length=200, required=False)


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(label=_("assessed on"), widget=DATE_INPUT)
    guarantee_capacity = forms.DecimalField(label=_("guarantee capacity (yuan)"), max_digits=18, decimal_places=2)
    net_assets = forms.DecimalField(label=_("net assets (yuan)"), max_digits=18, decimal_places=2, required=False)
    revenue = forms.DecimalField(label=_("annual revenue (yuan)"), max_digits=18, decimal_places=2, required=False)
    existing_guarantees = forms.DecimalField(
        label=_("existing guarantees (yuan)"), max_digits=18, decimal_places=2, required=False
    )
    rating = forms.ChoiceField(label=_("rating"), choices=[("", "—"), *AnchorAssessment.Rating.choices], required=False)
    note = forms.CharField(label=_("assessment note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class AgreementForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=Agreement.Kind.choices)
    number = forms.CharField(label=_("agreement number"), max_length=64)
    signed_on = forms.DateField(label=_("signed on"), widget=DATE_INPUT)
    expires_on = forms.DateField(label=_("expires on"), widget=DATE_INPUT)
    scan = forms.FileField(label=_("scan (PDF or image)"), required=False)


class StatusReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500)
