"""A rule's parameters are checked when they are edited (admin form, service), never first by the close."""

import pytest
from django.core.exceptions import ValidationError

from core.errors import DomainError
from core.models import AuditEvent
from postloan.models import WarningRule
from postloan.rule_parameters import parameters_checked
from postloan.rules import RULES, RULES_BY_CODE
from postloan.services import warning_rule_parameters_set
from postloan.warning_run import rules_ensure


def _check(code, values):
    return parameters_checked(rule_code=code, schema=RULES_BY_CODE[code].parameter_schema, values=values)


def test_every_rule_accepts_its_own_defaults_and_its_schema_names_them():
    for rule in RULES:
        assert {spec.name for spec in rule.parameter_schema} == set(rule.parameters), rule.code
        assert _check(rule.code, dict(rule.parameters)) == rule.parameters, rule.code


@pytest.mark.parametrize(
    ("code", "values"),
    [
        ("ORDERS_DROP", {"months": 0}),  # a divisor of the rule's average
        ("ORDERS_DROP", {"months": "6"}),  # a whole number written as text
        ("ORDERS_DROP", {"months": 6.0}),
        ("ORDERS_DROP", {"ratio": "abc"}),
        ("ORDERS_DROP", {"ratio": "1.5"}),
        ("ORDERS_DROP", {"ratio": "0.12345"}),  # more decimals than a ratio is given
        ("ORDERS_DROP", {"ratio": "NaN"}),
        ("ORDERS_DROP", {"ratio": True}),
        ("MATURITY_SOON", {"days": -30}),
        ("MATURITY_SOON", {"days": True}),
        ("MATURITY_SOON", {"dayz": 30}),  # a misspelt name would otherwise be ignored, the default kept
        ("INTEREST_OVERDUE", {"days": 3}),  # a rule without parameters
        ("MATURITY_SOON", [30]),
        ("MULTI_LENDER", {"lenders": None}),
    ],
)
def test_a_value_of_the_wrong_name_kind_or_range_is_refused(code, values):
    with pytest.raises(DomainError) as refused:
        _check(code, values)
    assert refused.value.code == "invalid_parameter"
    assert refused.value.detail


def test_a_refusal_says_what_is_wrong():
    with pytest.raises(DomainError) as refused:
        _check("MULTI_LENDER", {"lenders": 1})
    assert "lenders" in refused.value.detail and "2" in refused.value.detail and "50" in refused.value.detail
    with pytest.raises(DomainError) as refused:
        _check("MULTI_LENDER", {"lender": 3})
    assert "lender" in refused.value.detail and "lookback_days" in refused.value.detail


def test_a_decimal_is_kept_as_its_text_and_a_part_of_the_parameters_is_enough():
    assert _check("LIMIT_HIGH_USAGE", {"ratio": 0.9}) == {"ratio": "0.9"}
    assert _check("ORDERS_DROP", {"months": 3}) == {"months": 3}
    assert _check("ORDERS_DROP", {}) == {}


@pytest.fixture
def rules(db):
    rules_ensure()
    return {rule.code: rule for rule in WarningRule.objects.all()}


def _admin_post(client, rule, parameters):
    return client.post(
        f"/admin/postloan/warningrule/{rule.pk}/change/",
        {
            "name": rule.name,
            "description": rule.description,
            "severity": rule.severity,
            "parameters": parameters,
            "deadline_days": rule.deadline_days,
            "enabled": "on",
        },
    )


def test_the_admin_form_refuses_a_bad_parameter_and_saves_a_good_one(client, users, rules):
    client.force_login(users["admin"])
    rule = rules["ORDERS_DROP"]
    refused = _admin_post(client, rule, '{"ratio": "0.5", "months": 0}')
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors.as_data()["parameters"]
    assert [error.code for error in errors] == ["invalid_parameter"]
    rule.refresh_from_db()
    assert rule.parameters == {"ratio": "0.5", "months": 6}

    accepted = _admin_post(client, rule, '{"ratio": 0.4, "months": 3}')
    assert accepted.status_code == 302
    rule.refresh_from_db()
    assert rule.parameters == {"ratio": "0.4", "months": 3}


def test_the_service_refuses_a_bad_parameter_and_sets_a_good_one(users, rules):
    rule = rules["MATURITY_SOON"]
    with pytest.raises(DomainError) as refused:
        warning_rule_parameters_set(rule=rule, actor=users["admin"], parameters={"days": "thirty"})
    assert refused.value.code == "invalid_parameter"
    rule.refresh_from_db()
    assert rule.parameters == {"days": 30}

    warning_rule_parameters_set(rule=rule, actor=users["admin"], parameters={"days": 45})
    rule.refresh_from_db()
    assert rule.parameters == {"days": 45}
    event = AuditEvent.objects.get(action="warning_rule_parameters_set")
    assert event.data == {"before": {"days": 30}, "after": {"days": 45}}
    assert rule.history.latest().history_user == users["admin"]


def test_only_an_administrator_sets_parameters(users, rules):
    with pytest.raises(DomainError) as refused:
        warning_rule_parameters_set(rule=rules["MATURITY_SOON"], actor=users["approver"], parameters={"days": 45})
    assert refused.value.code == "permission_denied"


def test_rules_are_neither_added_nor_deleted_in_the_admin_and_an_unknown_code_is_refused(client, users, rules):
    client.force_login(users["admin"])
    assert client.get("/admin/postloan/warningrule/add/").status_code == 403
    assert client.get(f"/admin/postloan/warningrule/{rules['ORDERS_DROP'].pk}/delete/").status_code == 403
    assert WarningRule.objects.count() == len(RULES)
    with pytest.raises(ValidationError) as refused:
        WarningRule(code="NO_SUCH_RULE", name="?", parameters={}).clean()
    assert "code" in refused.value.message_dict
