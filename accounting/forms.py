from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class DayForm(forms.Form):
    business_date = forms.DateField(label=_("Business date"), widget=forms.DateInput(attrs={"type": "date"}))


class ConfirmationForm(forms.Form):
    file = forms.FileField(label=_("Confirmation file from the core (CSV or XLSX)"))
