"""The campaigns' browser forms: what a person types; the services check the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.models import SmsTemplate
from partners.models import Anchor, OrgNode, Program


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("template name"), max_length=100)
    body = forms.CharField(
        label=_("text"),
        widget=forms.Textarea,
        max_length=300,
        help_text=_("Variables are listed below the form. The sender, 95588 and 回复T退订 are added to every message."),
    )


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("campaign name"), max_length=100)
    template = forms.ModelChoiceField(label=_("template"), queryset=SmsTemplate.objects.none())
    program = forms.ModelChoiceField(
        label=_("programme"), queryset=Program.objects.none(), required=False, empty_label=_("All")
    )
    anchor = forms.ModelChoiceField(
        label=_("anchor"), queryset=Anchor.objects.none(), required=False, empty_label=_("All")
    )
    org_node = forms.ModelChoiceField(
        label=_("node"), queryset=OrgNode.objects.none(), required=False, empty_label=_("My node")
    )
    min_amount = forms.DecimalField(label=_("limit from"), required=False, max_digits=18, decimal_places=2)
    max_amount = forms.DecimalField(label=_("limit up to"), required=False, max_digits=18, decimal_places=2)
    send_after = forms.DateTimeField(
        label=_("send from"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Empty: as soon as it is approved. Quiet hours are kept in any case."),
    )

    def __init__(
        self,
        *args: Any,
        templates: Any,
        programs: Any,
        anchors: Any,
        nodes: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates  # type: ignore[attr-defined]
        self.fields["program"].queryset = programs  # type: ignore[attr-defined]
        self.fields["anchor"].queryset = anchors  # type: ignore[attr-defined]
        self.fields["org_node"].queryset = nodes  # type: ignore[attr-defined]
        self.fields["send_after"].widget.input_type = "datetime-local"


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500)


class OptOutForm(forms.Form):
    phone = forms.CharField(label=_("mobile phone"), max_length=11, min_length=11)
