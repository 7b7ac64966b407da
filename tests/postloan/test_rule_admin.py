"""系统管理: an administrator edits a warning rule in a typed form and switches rules off; no one else may."""

import pytest

from core.models import AuditEvent
from postloan.models import WarningRule
from postloan.warning_run import rules_ensure

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(db):
    rules_ensure()
    return {rule.code: rule for rule in WarningRule.objects.all()}


def test_the_administrator_finds_the_page_in_the_menu_with_every_rule_in_chinese(client, users, rules):
    client.force_login(users["admin"])
    home = client.get("/").content.decode()
    assert 'href="/system/"' in home and "系统管理" in home
    page = client.get("/system/").content.decode()
    assert 'href="/admin/"' in page
    for rule in rules.values():
        assert rule.name in page
        assert rule.code not in page  # the code is the application's, not the reader's
    assert "预警规则" in page and "处理时限" in page
    assert "站点管理" in client.get("/admin/").content.decode()  # Django's admin, in Chinese (zh-hans)


def test_a_parameter_is_changed_through_the_form_and_a_bad_value_saves_nothing(client, users, rules):
    rule = rules["ORDERS_DROP"]
    before = (rule.parameters, rule.deadline_days)
    client.force_login(users["admin"])
    form = client.get(f"/system/rules/{rule.pk}/").content.decode()
    assert 'name="ratio"' in form and 'name="months"' in form and 'name="deadline_days"' in form

    refused = client.post(f"/system/rules/{rule.pk}/", {"deadline_days": 9, "ratio": "1.5", "months": 3})
    assert refused.status_code == 200
    assert "is-invalid" in refused.content.decode()
    rule.refresh_from_db()
    assert (rule.parameters, rule.deadline_days) == before
    assert not AuditEvent.objects.filter(action__startswith="warning_rule").exists()

    saved = client.post(f"/system/rules/{rule.pk}/", {"deadline_days": 9, "ratio": "0.4", "months": 3})
    assert saved.status_code == 302 and saved["Location"] == "/system/"
    rule.refresh_from_db()
    assert rule.parameters == {"ratio": "0.4", "months": 3}
    assert rule.deadline_days == 9
    assert set(AuditEvent.objects.filter(action__startswith="warning_rule").values_list("action", flat=True)) == {
        "warning_rule_parameters_set",
        "warning_rule_settings_set",
    }


def test_the_administrator_switches_a_rule_off_and_on_and_it_is_never_deleted(client, users, rules):
    rule = rules["MATURITY_SOON"]
    client.force_login(users["admin"])
    assert client.get(f"/system/rules/{rule.pk}/enabled/").status_code == 405
    off = client.post(f"/system/rules/{rule.pk}/enabled/", {"enabled": "0"})
    assert off.status_code == 302
    rule.refresh_from_db()
    assert rule.enabled is False
    event = AuditEvent.objects.get(action="warning_rule_settings_set")
    assert event.data["before"]["enabled"] is True and event.data["after"]["enabled"] is False
    row = client.get("/system/").content.decode().split(f'data-rule="{rule.pk}"')[1].split("</tr>")[0]
    assert "已停用" in row and "启用" in row

    client.post(f"/system/rules/{rule.pk}/enabled/", {"enabled": "1"})
    rule.refresh_from_db()
    assert rule.enabled is True
    assert WarningRule.objects.filter(pk=rule.pk).exists()


@pytest.mark.parametrize("username", ["leader", "approver", "manager"])
def test_other_roles_are_refused(client, users, rules, username):
    rule = rules["MATURITY_SOON"]
    before = (rule.enabled, rule.deadline_days, rule.parameters)
    client.force_login(users[username])
    assert 'href="/system/"' not in client.get("/").content.decode()
    assert client.get("/system/").status_code == 403
    assert client.get(f"/system/rules/{rule.pk}/").status_code == 403
    assert client.post(f"/system/rules/{rule.pk}/", {"deadline_days": 9, "days": 40}).status_code == 403
    assert client.post(f"/system/rules/{rule.pk}/enabled/", {"enabled": "0"}).status_code == 403
    rule.refresh_from_db()
    assert (rule.enabled, rule.deadline_days, rule.parameters) == before
    assert not AuditEvent.objects.filter(action__startswith="warning_rule").exists()
