"""The forms of a programme change: every parameter prefilled with its value, the date it takes effect, why."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from origination.forms import ProgramForm
from origination.services.program_changes import parameter_text
from partners.models import Program
from partners.services.programs import PROGRAM_PARAMETERS


class DateInput(forms.DateInput):
    input_type = "date"


class ProgramChangeForm(forms.Form):
    """The parameters as on the creation form (same labels and bounds), each required and set to its value."""

    effective_from = forms.DateField(
        label=_("effective from"),
        widget=DateInput(format="%Y-%m-%d"),
        help_text=_("The business date from which the new values apply; today's or a later one."),
    )
    reason = forms.CharField(label=_("reason for the change"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, program: Program, today: dt.date, **kwargs: Any) -> None:
        initial = kwargs.setdefault("initial", {})
        # As text: the page writes the values as typed, not in the language's number and date formats.
        initial.setdefault("effective_from", today.isoformat())
        for name in PROGRAM_PARAMETERS:
            initial.setdefault(name, str(parameter_text(name, getattr(program, name))))
        super().__init__(*args, **kwargs)
        parameters = {}
        for name in PROGRAM_PARAMETERS:
            field = copy.deepcopy(ProgramForm.base_fields[name])
            field.required = True
            parameters[name] = field
        # The parameters first, in the programme's order; then the date and the reason.
        self.fields = {**parameters, **self.fields}

    def parameter_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in PROGRAM_PARAMETERS}


class ProgramChangeDecisionForm(forms.Form):
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
