"""create_user: makes or updates a user of one role, with a clear one-line refusal for each mistake."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from core.models import AuditEvent
from core.roles import Role
from partners.models import User
from tests.factories import make_anchor
from tests.processes import database_url

PASSWORD = "Tianfu#2027"


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv("CREATE_USER_PASSWORD", PASSWORD)


def create_user(*args):
    out = io.StringIO()
    call_command("create_user", *args, stdout=out)
    return out.getvalue().strip()


def test_an_account_manager_is_made_at_the_node_given(org, password):
    assert create_user("zhang", "--role", "account_manager", "--org-node", "OA") == (
        "created zhang: account_manager at OA"
    )
    user = User.objects.get(username="zhang")
    assert (user.role, user.org_node, user.anchor, user.is_staff, user.is_superuser) == (
        Role.ACCOUNT_MANAGER,
        org.outlet_a,
        None,
        False,
        False,
    )
    assert user.check_password(PASSWORD)
    assert AuditEvent.objects.filter(action="user_create", object_id=str(user.pk)).exists()


def test_a_staff_user_without_a_node_sits_at_the_branch_root(org, password):
    create_user("chen", "--role", "risk_approver")
    assert User.objects.get(username="chen").org_node == org.branch


def test_an_anchor_operator_acts_for_the_anchor_given(users, password):
    anchor = make_anchor(users["manager"])
    create_user("clerk", "--role", "anchor_operator", "--anchor", str(anchor.pk))
    clerk = User.objects.get(username="clerk")
    assert (clerk.role, clerk.anchor, clerk.org_node) == (Role.ANCHOR_OPERATOR, anchor, None)


def test_an_administrator_may_use_the_admin_site_as_a_superuser(org, password):
    create_user("root", "--role", "administrator")
    root = User.objects.get(username="root")
    assert (root.is_staff, root.is_superuser, root.org_node) == (True, True, org.branch)


def test_running_it_again_updates_the_same_user(org, password, monkeypatch):
    create_user("zhang", "--role", "account_manager", "--org-node", "OA")
    monkeypatch.setenv("CREATE_USER_PASSWORD", "Shuangliu#2027")
    assert create_user("zhang", "--role", "branch_manager", "--org-node", "SB") == (
        "updated zhang: branch_manager at SB"
    )
    user = User.objects.get(username="zhang")
    assert (user.role, user.org_node) == (Role.BRANCH_MANAGER, org.sub_b)
    assert user.check_password("Shuangliu#2027")
    assert User.objects.filter(username="zhang").count() == 1


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--role", "teller"), "unknown_role"),
        (("--role", "account_manager", "--org-node", "NOWHERE"), "unknown_org_node"),
        (("--role", "anchor_operator", "--anchor", "999999"), "unknown_anchor"),
        (("--role", "anchor_operator", "--anchor", "abc"), "unknown_anchor"),
        (("--role", "anchor_operator"), "anchor_required"),
        (("--role", "account_manager", "--anchor", "{anchor}"), "anchor_not_allowed"),
    ],
)
def test_each_mistake_is_refused_in_one_line_naming_it_and_no_user_is_made(users, password, args, code):
    anchor = make_anchor(users["manager"])
    with pytest.raises(CommandError) as refused:
        create_user("wang", *(arg.format(anchor=anchor.pk) for arg in args))
    assert str(refused.value).startswith(f"{code}: ")
    assert "\n" not in str(refused.value)
    assert not User.objects.filter(username="wang").exists()


def test_a_missing_password_is_refused(org, monkeypatch):
    monkeypatch.delenv("CREATE_USER_PASSWORD", raising=False)
    with pytest.raises(CommandError, match=r"^password_required: "):
        create_user("wang", "--role", "account_manager")
    assert not User.objects.filter(username="wang").exists()


def test_a_weak_password_is_refused(org, monkeypatch):
    monkeypatch.setenv("CREATE_USER_PASSWORD", "12345678")
    with pytest.raises(CommandError, match=r"^invalid_password: "):
        create_user("wang", "--role", "account_manager")


def test_from_the_shell_a_mistake_exits_non_zero_with_one_line_and_no_traceback(db):
    url = database_url()
    # a process on DATABASE_URL is a deployment: it needs a secret key, the run's
    secret = os.environ.get("SECRET_KEY") or settings.SECRET_KEY
    env = {**os.environ, "DATABASE_URL": url, "CREATE_USER_PASSWORD": PASSWORD, "SECRET_KEY": secret}
    done = subprocess.run(
        [sys.executable, "manage.py", "create_user", "wang", "--role", "teller"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown_role" in lines[0]
    assert "Traceback" not in done.stderr
