"""Forms of the network pages: a target, a visit with its follow-up actions, a training, feedback."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from network.models import OutletVisit
from network.services import MAX_ACTIONS
from partners.models import OrgNode, User

ACTION_ROWS = 3


def _user_choices(users: Any) -> list[tuple[str, str]]:
    return [("", "—")] + [(str(u.pk), str(u)) for u in users]


class TargetForm(forms.Form):
    node = forms.ChoiceField(label=_("Sub-branch"))
    quarter = forms.CharField(label=_("Quarter"), max_length=7)
    balance_growth = forms.DecimalField(
        label=_("balance increase target (yuan)"), min_value=Decimal(0), max_digits=18, decimal_places=2
    )
    borrowers_growth = forms.IntegerField(label=_("borrowers increase target"), min_value=0, max_value=10_000_000)
    npl_ceiling = forms.DecimalField(
        label=_("NPL ratio ceiling (%)"), min_value=Decimal(0), max_value=Decimal(100), decimal_places=2
    )
    reason = forms.CharField(label=_("reason for a change"), max_length=200, required=False)

    def __init__(self, *args: Any, nodes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nodes: dict[str, OrgNode] = {str(n.pk): n for n in nodes}
        node_field: Any = self.fields["node"]
        node_field.choices = [(key, node.name) for key, node in self.nodes.items()]

    def chosen_node(self) -> OrgNode:
        return self.nodes[self.cleaned_data["node"]]


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("visited on"), widget=forms.DateInput(attrs={"type": "date"}))
    visitor = forms.ChoiceField(label=_("visitor"))
    rating = forms.ChoiceField(label=_("rating"), choices=OutletVisit.Rating.choices)
    findings = forms.CharField(label=_("findings"), widget=forms.Textarea, max_length=4000)

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff: dict[str, User] = {str(u.pk): u for u in staff}
        choices = _user_choices(self.staff.values())
        visitor_field: Any = self.fields["visitor"]
        visitor_field.choices = choices[1:]
        for i in range(1, ACTION_ROWS + 1):
            self.fields[f"action_{i}"] = forms.CharField(
                label=_("follow-up action %(n)s") % {"n": i}, max_length=300, required=False
            )
            self.fields[f"owner_{i}"] = forms.ChoiceField(label=_("owner"), choices=choices, required=False)
            self.fields[f"due_{i}"] = forms.DateField(
                label=_("due on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
            )

    def visitor_user(self) -> User:
        return self.staff[self.cleaned_data["visitor"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for i in range(1, ACTION_ROWS + 1):
            text, owner, due = data.get(f"action_{i}"), data.get(f"owner_{i}"), data.get(f"due_{i}")
            if text and (not owner or not due):
                self.add_error(f"action_{i}", _("A follow-up action needs its owner and its due date."))
        return data

    def actions(self) -> list[tuple[str, User, Any]]:
        found = []
        for i in range(1, min(ACTION_ROWS, MAX_ACTIONS) + 1):
            text = self.cleaned_data.get(f"action_{i}")
            if text:
                found.append((text, self.staff[self.cleaned_data[f"owner_{i}"]], self.cleaned_data[f"due_{i}"]))
        return found


class ActionDoneForm(forms.Form):
    note = forms.CharField(label=_("how it was done"), max_length=300, required=False)


class TrainingForm(forms.Form):
    node = forms.ChoiceField(label=_("held for"))
    held_on = forms.DateField(label=_("held on"), widget=forms.DateInput(attrs={"type": "date"}))
    topic = forms.CharField(label=_("topic"), max_length=200)
    trainer = forms.CharField(label=_("trainer"), max_length=100)
    attendees = forms.MultipleChoiceField(label=_("attendees"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, nodes: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nodes: dict[str, OrgNode] = {str(n.pk): n for n in nodes}
        self.staff: dict[str, User] = {str(u.pk): u for u in staff}
        node_field: Any = self.fields["node"]
        node_field.choices = [(k, f"{n.get_kind_display()} · {n.name}") for k, n in self.nodes.items()]
        attendees_field: Any = self.fields["attendees"]
        attendees_field.choices = [(k, str(u)) for k, u in self.staff.items()]

    def chosen_node(self) -> OrgNode:
        return self.nodes[self.cleaned_data["node"]]

    def attendee_users(self) -> list[User]:
        return [self.staff[k] for k in self.cleaned_data["attendees"]]


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("rating"), coerce=int, choices=[(str(n), str(n)) for n in range(5, 0, -1)])
    comment = forms.CharField(label=_("comment"), max_length=500, required=False, widget=forms.Textarea)
