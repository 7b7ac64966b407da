import pytest
from django.core.management import call_command

from core.models import AuditEvent
from origination.models import Notification
from partners.models import OrgNode, User


def _counts() -> tuple[int, int, int]:
    return OrgNode.objects.count(), User.objects.count(), AuditEvent.objects.count()


@pytest.mark.slow
def test_seed_demo_builds_a_world_that_shows_every_capability_and_a_second_run_changes_nothing(db, capsys):
    """What a person opening the demo expects to see: each page of each issue has something to show.

    One test, because building the world takes most of two minutes."""
    from django.db.models import Count, F

    from core.business_date import business_date_get
    from origination.models import Batch, BatchRow, CreditLimit, Loan
    from postloan.dashboards import selectors
    from postloan.models import RiskWarning

    call_command("seed_demo")
    first = _counts()
    out = capsys.readouterr().out
    assert "Demo logins" in out and "approver" in out
    # the text messages the demo sends are one summary line, and every one of them is in the outbox
    assert f"{Notification.objects.count()} SMS notifications written to the outbox" in out
    assert Notification.objects.filter(status=Notification.Status.SENT).exists()
    today = business_date_get()

    # intake and processing: a processed batch of a few hundred farmers, all three outcomes, limits granted
    batch = Batch.objects.annotate(n=Count("rows")).order_by("-n").first()
    assert batch is not None and batch.n >= 200
    outcomes = set(BatchRow.objects.filter(batch=batch).values_list("validation", flat=True))
    assert outcomes >= {"matched", "mismatch", "no_trade_data"}
    assert CreditLimit.objects.filter(batch_row__batch=batch).count() > 0

    # loans in every state
    loans = Loan.objects.all()
    assert loans.filter(status="active", oldest_due_date__isnull=True).exists()  # current
    assert loans.filter(status="closed", closed_on__lt=F("maturity_on")).exists()  # paid early
    overdue_days = [
        (today - due).days
        for due in loans.filter(status="active", oldest_due_date__isnull=False).values_list(
            "oldest_due_date", flat=True
        )
    ]
    assert any(1 <= days <= 30 for days in overdue_days) and any(31 <= days <= 90 for days in overdue_days)
    assert loans.filter(classification__in=["substandard", "doubtful", "loss"]).exists()
    assert loans.filter(compensated__gt=0).exists()

    # warnings: open, handled by a person and past their deadline, of many rules
    warnings = RiskWarning.objects.all()
    assert warnings.filter(status="open").exists()
    assert warnings.filter(resolution__in=["confirmed_risk", "false_alarm"]).exists()
    assert warnings.filter(status="open", deadline__lt=today).exists()
    assert warnings.values("rule").distinct().count() >= 6
    # the settlement accounts' rules each fire on the core's demo delivery (postloan.demo_parts.settlement_accounts)
    assert {"FUNDS_DIVERTED", "SETTLEMENT_FLOW_DROP"} <= set(warnings.values_list("rule__code", flat=True))

    # the dashboards, as the branch leader reads them
    leader = User.objects.get(username="leader")
    board = selectors.warning_dashboard(leader, today)
    assert board.total.open > 0 and board.total.handled > 0 and len(board.by_rule) >= 6
    assert len(board.by_sub_branch) >= 2 and len(board.by_assignee) >= 2
    assert len(board.trend) >= 60  # the demo closes months of business days
    programs = selectors.program_dashboard(leader, today)
    assert programs.rows and all(row.figures["outstanding"] > 0 for row in programs.rows)
    assert any(row.npl_ratio and row.npl_ratio > 0 for row in programs.rows)
    selling = selectors.cross_selling_dashboard(leader, today)
    penetrated = [p for p in selling.products if (selling.total.rate(p.pk) or 0) > 0]
    assert len(penetrated) >= 4 and len(selling.by_sub_branch) >= 2
    ranking = selectors.ranking_page(leader, None, today)
    classes = {row.growth.klass for row in ranking.rows}
    assert classes == {"priority", "follow_up", "specialty"}
    assert any(row.last for row in ranking.rows)
    assert ranking.start_day is not None and ranking.end_day is not None and ranking.start_day < ranking.end_day

    # the monthly statements of the months the book closed (March to June), the anchor's among them
    from postloan.models_statements import MonthlyStatement

    anchor = User.objects.get(username="anchor")
    months = set(MonthlyStatement.objects.filter(program__anchor=anchor.anchor).values_list("month", flat=True))
    assert {(m.year, m.month) for m in months} == {(2027, 3), (2027, 4), (2027, 5), (2027, 6)}

    # running it again changes nothing
    call_command("seed_demo")
    assert _counts() == first
    assert OrgNode.objects.filter(kind=OrgNode.Kind.SUB_BRANCH).values("sub_branch_class").distinct().count() == 3
    assert set(User.objects.values_list("role", flat=True)) >= {
        "administrator",
        "branch_manager",
        "risk_approver",
        "account_manager",
    }
