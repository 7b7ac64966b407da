"""Warnings name their subject, their rule and their fact in words; status badges are coloured by meaning."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.apps import apps

from core.templatetags.badges import STATUS_COLOURS, status_badge
from origination.models import Loan
from postloan.models import RiskWarning, WarningRule
from postloan.templatetags.warning_facts import fact_in_words
from postloan.warning_run import rules_ensure, warnings_run
from tests.factories import SOUND_BOOK_DAY as TODAY

pytestmark = pytest.mark.django_db

BADGED_FIELDS = ("status", "classification", "result", "validation")
RULE_CODES = re.compile(r"\b[A-Z]{3,}_[A-Z_]+\b")


@pytest.fixture
def warned(world):
    """An overdue interest on the world's loan, an enforcement on its farmer, a margin shortfall on its programme."""
    loan = world["loan"]
    Loan.objects.filter(pk=loan.pk).update(interest_overdue=Decimal("391.5"), oldest_due_date=TODAY)
    warnings_run(TODAY)
    rules_ensure()

    def warning(code, subject_type, subject_id, fact):
        rule = WarningRule.objects.get(code=code)
        return RiskWarning.objects.create(
            rule=rule,
            subject_type=subject_type,
            subject_id=subject_id,
            severity=rule.severity,
            org_node=loan.org_node,
            assignee=world["users"]["manager"],
            raised_on=TODAY,
            deadline=TODAY + dt.timedelta(days=rule.deadline_days),
            fact=fact,
        )

    return {
        "interest": RiskWarning.objects.get(rule__code="INTEREST_OVERDUE"),
        "enforcement": warning("ENFORCEMENT", "farmer", world["farmer"].pk, "enforcement 2027-06-01"),
        "margin": warning("MARGIN_SHORTFALL", "program", world["program"].pk, "1200.5"),
        **world,
    }


def _no_codes(html):
    """No code in what the page shows (its text, not the values of its filter form)."""
    html = re.sub(r"<[^>]*>", " ", html)
    assert not RULE_CODES.findall(html), RULE_CODES.findall(html)
    assert "loan:" not in html
    assert "enforcement" not in html


def test_the_warning_list_names_subjects_and_rules(client, warned):
    client.force_login(warned["users"]["manager"])
    html = client.get("/warnings/").content.decode()
    assert "欠息" in html and "被执行/失信" in html and "保证金不足" in html
    assert f"#{warned['loan'].pk}" in html
    assert warned["farmer"].name in html
    assert warned["farmer"].id_masked[-4:] in html
    assert warned["program"].name in html
    _no_codes(html)


def test_my_warnings_show_the_fact_with_its_unit(client, warned):
    client.force_login(warned["users"]["manager"])
    html = client.get("/warnings/mine/").content.decode()
    assert "391.50" in html and "1,200.50" in html
    assert warned["farmer"].name in html
    _no_codes(html)


def test_the_warning_detail_names_its_subject_rule_and_event(client, warned):
    client.force_login(warned["users"]["manager"])
    for key in ("interest", "enforcement", "margin"):
        html = client.get(f"/warnings/{warned[key].pk}/").content.decode()
        assert warned[key].rule.name in html
        _no_codes(html)
    html = client.get(f"/warnings/{warned['interest'].pk}/").content.decode()
    assert f"#{warned['loan'].pk}" in html and warned["farmer"].name in html and "391.50" in html


def test_a_fact_reads_with_its_label_and_unit():
    interest = fact_in_words("INTEREST_OVERDUE", "391.5")
    assert "391.50" in interest and interest != "391.50"  # a label and a unit around the amount
    assert "enforcement" not in fact_in_words("ENFORCEMENT", "enforcement 2027-06-01")
    assert "2027-06-01" in fact_in_words("ENFORCEMENT", "enforcement 2027-06-01")
    assert fact_in_words("NO_SUCH_RULE", "x") == "x"


def test_rejected_and_approved_badges_differ():
    assert status_badge("approved") == "success"
    assert status_badge("rejected") == "danger"
    assert status_badge("pending") == "warning"
    assert status_badge("closed") == "secondary"
    assert status_badge("loss") == "danger"


def test_every_status_of_every_model_has_a_colour_by_meaning():
    unknown = set()
    for model in apps.get_models():
        if model._meta.app_label not in ("partners", "risk", "origination", "postloan"):
            continue
        for field in model._meta.get_fields():
            if getattr(field, "name", "") in BADGED_FIELDS and getattr(field, "choices", None):
                unknown |= {value for value, _label in field.choices if value not in STATUS_COLOURS}
    assert not unknown
