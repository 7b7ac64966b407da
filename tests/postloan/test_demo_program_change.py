"""The demo's programme changes: one in force (two versions in the history) and one waiting for approval on the
smaller programme, so that the feed group's page still offers a new proposal."""

from django.test import Client

from core.models import AuditEvent
from partners.models import ProgramChange, User
from postloan.demo import (
    demo_anchor_ensure,
    demo_org_tree_ensure,
    demo_small_program_ensure,
    demo_users_ensure,
)
from postloan.demo_parts.program_change import demo_program_change_ensure


def test_the_demo_programme_has_a_change_in_force_and_one_waiting_and_a_second_run_changes_nothing(db):
    demo_org_tree_ensure()
    demo_users_ensure()
    program = demo_anchor_ensure()
    small = demo_small_program_ensure()

    changes = demo_program_change_ensure()

    assert [(change.program, change.status) for change in changes] == [(program, "applied"), (small, "proposed")]
    program.refresh_from_db()
    small.refresh_from_db()
    assert str(program.total_cap) == "450000000.00" and str(small.annual_rate) != "0.041500"  # the rate waits
    audit_rows = AuditEvent.objects.count()
    assert demo_program_change_ensure() == changes
    assert AuditEvent.objects.count() == audit_rows and ProgramChange.objects.count() == 2

    client = Client()
    client.force_login(User.objects.get(username="approver"))
    page = client.get(f"/programs/{program.pk}/").content.decode()
    assert 'data-version="2"' in page and f"/programs/{program.pk}/changes/new/" in page
    assert 'data-testid="approve-change"' in client.get(f"/programs/{small.pk}/").content.decode()
