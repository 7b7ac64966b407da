"""The demo's renewal: limits due within 60 days on the renewal page, and one renewal batch processed."""

import pytest
from django.core.management import call_command
from django.db.models import F
from django.test import Client

from core.business_date import business_date_get
from core.models import AuditEvent
from origination.expiring import expiring
from origination.models import Batch, BatchRow, CreditLimit, Loan
from partners.models import User
from postloan.demo_parts.renewal import demo_renewal_ensure


@pytest.mark.slow
def test_the_demo_has_limits_due_for_renewal_and_a_processed_renewal_batch_and_a_second_run_changes_nothing(db):
    call_command("seed_demo")
    batch = demo_renewal_ensure()
    assert batch is not None and batch.kind == "renewal" and batch.status == "processed"
    rows = BatchRow.objects.filter(batch=batch)
    assert rows.count() == 5 and not rows.filter(renews__isnull=True).exists()
    assert not rows.filter(validation="").exists()
    today = business_date_get()
    due = expiring(CreditLimit.objects.all(), today)
    assert due.count() >= 10
    assert due.values("farmer__account_manager").distinct().count() >= 3
    # no loan matures after the limit it was drawn on
    assert not Loan.objects.filter(status="active", credit_limit__expires_on__lt=F("maturity_on")).exists()

    audit_rows = AuditEvent.objects.count()
    assert demo_renewal_ensure() == batch
    assert AuditEvent.objects.count() == audit_rows and Batch.objects.filter(kind="renewal").count() == 1

    client = Client()
    client.force_login(User.objects.get(username="approver"))
    page = client.get("/renewals/")
    assert page.status_code == 200 and page.context["groups"]
