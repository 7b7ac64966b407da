"""系统管理: the administrator's page in the product. The warning rules are listed in Chinese; each is edited
in a form with one typed field per parameter (its kind and range from ``postloan.rule_parameters``), and a
rule is switched off rather than deleted. The rest of the data is Django's admin, linked from here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.permissions import require_role
from core.roles import Role
from core.views import call_service
from partners.auth import acting_user
from postloan.models import WarningRule
from postloan.rule_parameters import DECIMAL_PLACES, ParameterSpec
from postloan.rules import RULES_BY_CODE
from postloan.services import DEADLINE_DAYS_RANGE, warning_rule_parameters_set, warning_rule_settings_set

# The label of each parameter name of ``postloan.rule_parameters.RANGES``, as the form shows it.
PARAMETER_LABELS: dict[str, Any] = {
    "days": gettext_lazy("Window (days)"),
    "lookback_days": gettext_lazy("Look-back (days)"),
    "months": gettext_lazy("Months averaged"),
    "ratio": gettext_lazy("Ratio (0.01 to 1)"),
    "lenders": gettext_lazy("Lenders at once"),
    "max_age": gettext_lazy("Age at maturity"),
}


class RuleForm(forms.Form):
    """Days to handle, and one field per parameter of the rule, typed and bounded by its schema."""

    deadline_days = forms.IntegerField(
        label=gettext_lazy("Days to handle"), min_value=DEADLINE_DAYS_RANGE[0], max_value=DEADLINE_DAYS_RANGE[1]
    )

    def __init__(self, *args: Any, rule: WarningRule, **kwargs: Any) -> None:
        self.schema: tuple[ParameterSpec, ...] = RULES_BY_CODE[rule.code].parameter_schema
        defaults = RULES_BY_CODE[rule.code].parameters
        kwargs["initial"] = {
            "deadline_days": rule.deadline_days,
            **{spec.name: rule.parameters.get(spec.name, defaults[spec.name]) for spec in self.schema},
        }
        super().__init__(*args, **kwargs)
        for spec in self.schema:
            label = PARAMETER_LABELS.get(spec.name, spec.name)
            field: forms.Field
            if spec.whole:
                field = forms.IntegerField(label=label, min_value=int(spec.low), max_value=int(spec.high))
            else:
                field = forms.DecimalField(
                    label=label, min_value=spec.low, max_value=spec.high, decimal_places=DECIMAL_PLACES
                )
            self.fields[spec.name] = field

    def parameters(self) -> dict[str, int | str]:
        values: dict[str, int | str] = {}
        for spec in self.schema:
            value = self.cleaned_data[spec.name]
            values[spec.name] = int(value) if spec.whole else str(Decimal(value).normalize())
        return values


def _admin_only(request: HttpRequest) -> None:
    require_role(acting_user(request), Role.ADMINISTRATOR)


@login_required
def system_admin(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    rules = list(WarningRule.objects.order_by("code"))
    for rule in rules:
        schema = RULES_BY_CODE[rule.code].parameter_schema if rule.code in RULES_BY_CODE else ()
        defaults = RULES_BY_CODE[rule.code].parameters if rule.code in RULES_BY_CODE else {}
        rule.parameter_rows = [  # type: ignore[attr-defined]
            (PARAMETER_LABELS.get(spec.name, spec.name), rule.parameters.get(spec.name, defaults.get(spec.name)))
            for spec in schema
        ]
    return render(request, "postloan/system_admin.html", {"rules": rules})


@login_required
def warning_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _admin_only(request)
    rule = get_object_or_404(WarningRule, pk=pk, code__in=list(RULES_BY_CODE))
    form = RuleForm(request.POST or None, rule=rule)
    if request.method == "POST" and form.is_valid():
        actor = acting_user(request)

        def save() -> WarningRule:
            with transaction.atomic():
                warning_rule_settings_set(
                    rule=rule, actor=actor, enabled=rule.enabled, deadline_days=form.cleaned_data["deadline_days"]
                )
                return warning_rule_parameters_set(rule=rule, actor=actor, parameters=form.parameters())

        if call_service(form, save) is not None:
            messages.success(request, _("The rule %(name)s is saved; the next close uses it.") % {"name": rule.name})
            return redirect("system-admin")
    return render(request, "postloan/warning_rule_form.html", {"rule": rule, "form": form})


@login_required
@require_POST
def warning_rule_enabled(request: HttpRequest, pk: int) -> HttpResponse:
    _admin_only(request)
    rule = get_object_or_404(WarningRule, pk=pk, code__in=list(RULES_BY_CODE))
    enabled = request.POST.get("enabled") == "1"
    warning_rule_settings_set(rule=rule, actor=acting_user(request), enabled=enabled, deadline_days=rule.deadline_days)
    if enabled:
        messages.success(request, _("The rule %(name)s is switched on.") % {"name": rule.name})
    else:
        messages.success(request, _("The rule %(name)s is switched off.") % {"name": rule.name})
    return redirect("system-admin")
