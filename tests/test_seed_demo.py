from django.core.management import call_command

from core.models import AuditEvent
from partners.models import OrgNode, User


def _counts() -> tuple[int, int, int]:
    return OrgNode.objects.count(), User.objects.count(), AuditEvent.objects.count()


def test_seed_demo_builds_the_world_once_and_a_second_run_changes_nothing(db, capsys):
    call_command("seed_demo")
    first = _counts()
    out = capsys.readouterr().out
    assert "Demo logins" in out and "approver" in out
    call_command("seed_demo")
    assert _counts() == first
    assert OrgNode.objects.filter(kind=OrgNode.Kind.SUB_BRANCH).values("sub_branch_class").distinct().count() == 3
    assert set(User.objects.values_list("role", flat=True)) >= {
        "administrator",
        "branch_manager",
        "risk_approver",
        "account_manager",
    }
