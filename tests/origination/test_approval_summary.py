"""The approver sees what approval grants before he confirms, and the message after it says what it did."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils.translation import gettext, override

from origination.models import BatchRow, CreditLimit, Notification
from tests.factories import make_farmer
from tests.origination.test_batch_processing import batch  # noqa: F401 - the fixture


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def processed(users, batch):  # noqa: F811
    client_for(users["manager"]).post(f"/batches/{batch.pk}/process/")
    return batch


def zh(msgid: str, **values: object) -> str:
    """The page's sentence in Chinese (the msgid while the catalogue has yet to take it)."""
    with override("zh-hans"):
        return gettext(msgid) % values


NONE_GRANTED = "Approved, but no limit was granted: all %(refused)s rows were refused and no notice was sent."
GRANTED = (
    "Approved: limits granted to %(granted)s farmers, %(total)s yuan in all; %(refused)s rows refused; "
    "%(notices)s notices queued for sending."
)


def figure(page: str, testid: str) -> str:
    start = page.index(f'data-testid="{testid}">') + len(f'data-testid="{testid}">')
    return page[start : page.index("<", start)].strip()


def test_approving_a_batch_whose_rows_were_all_refused_says_nothing_was_granted(users, processed):
    # given: the manager refuses the one matched row; the others are a mismatch and no data, left pending
    manager = client_for(users["manager"])
    manager.post(f"/batches/{processed.pk}/rows/2/decide/", {"approve": "0", "reason": "外出务工，停养"})
    manager.post(f"/batches/{processed.pk}/submit/")
    approver = client_for(users["approver"])
    # the approver is told before confirming
    page = approver.get(f"/batches/{processed.pk}/review/").content.decode()
    assert figure(page, "rows-granted") == "0" and figure(page, "rows-refused") == "3"
    assert 'data-testid="nothing-granted"' in page
    # when: he approves
    response = approver.post(f"/batches/{processed.pk}/approve/", follow=True)
    # then: the message says no limit was granted, and nothing about notices sent
    text = response.content.decode()
    assert zh(NONE_GRANTED, refused=3) in text
    old = "The batch is approved: limits granted, farmers whitelisted and notified."
    assert zh(old) not in text and zh(GRANTED, granted=0, total="0.00", refused=3, notices=0) not in text
    assert not CreditLimit.objects.exists() and not Notification.objects.exists()


def test_a_mixed_batch_gives_the_counts_and_the_total(users, processed):
    # given: the matched row stands; the manager approves the mismatch at 25,000; the third has no data
    manager = client_for(users["manager"])
    manager.post(f"/batches/{processed.pk}/rows/3/decide/", {"approve": "1", "amount": "25000"})
    manager.post(f"/batches/{processed.pk}/submit/")
    # when
    response = client_for(users["approver"]).post(f"/batches/{processed.pk}/approve/", follow=True)
    # then: two limits, 300,000 + 25,000, one row refused, two notices queued
    amounts = sorted(CreditLimit.objects.values_list("amount", flat=True))
    assert amounts == [Decimal("25000.00"), Decimal("300000.00")]
    assert Notification.objects.count() == 2
    assert BatchRow.objects.filter(batch=processed, decision="refused").count() == 1
    expected = zh(GRANTED, granted=2, total="325,000.00", refused=1, notices=2)
    assert expected in response.content.decode()


def test_the_summary_panel_gives_the_figures_approval_will_use(users, processed):
    # given: another farmer already holds a limit of 1,000,000 in the programme (total cap 400,000,000)
    program = processed.program
    other = make_farmer(users["manager"].org_node, body17="51012419800101123", name="王五", anchor=program.anchor)
    CreditLimit.objects.create(
        farmer=other,
        program=program,
        amount=Decimal("1000000.00"),
        approved_on=dt.date(2027, 3, 1),
        expires_on=dt.date(2028, 3, 1),
        approved_by=users["approver"],
    )
    manager = client_for(users["manager"])
    manager.post(f"/batches/{processed.pk}/rows/3/decide/", {"approve": "1", "amount": "25000"})
    manager.post(f"/batches/{processed.pk}/submit/")
    # when: the approver opens the review
    page = client_for(users["approver"]).get(f"/batches/{processed.pk}/review/").content.decode()
    # then: 2 granted, 1 refused, 325,000 in all, and 400,000,000 − 1,000,000 − 325,000 left under the cap
    assert figure(page, "rows-granted") == "2"
    assert figure(page, "rows-refused") == "1"
    assert figure(page, "total-granted") == "325,000.00"
    assert figure(page, "headroom-after") == "398,675,000.00"
    assert page.index('data-testid="approval-summary"') < page.index("批准额度")
    # and the approval grants exactly what the panel said
    client_for(users["approver"]).post(f"/batches/{processed.pk}/approve/")
    assert sum(CreditLimit.objects.filter(batch_row__batch=processed).values_list("amount", flat=True)) == Decimal(
        "325000.00"
    )


def test_the_summary_is_not_shown_to_the_maker(users, processed):
    client_for(users["manager"]).post(f"/batches/{processed.pk}/submit/")
    page = client_for(users["manager"]).get(f"/batches/{processed.pk}/review/").content.decode()
    assert 'data-testid="approval-summary"' not in page
