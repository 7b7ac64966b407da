"""Screening on the pages: the outcome and its reasons on the review page, the evidence in the row panel,
the counts on the batch page, the filter; none of it for the anchor operator."""

import re

from django.test import Client

from origination.models import BatchRow
from tests.factories import make_anchor_operator
from tests.origination.test_screening import FARMERS, screened  # noqa: F401 - the fixture


def page(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def row_of(batch, name: str) -> int:
    return BatchRow.objects.get(batch=batch, name=name).row


def test_the_review_page_shows_each_outcome_with_its_reasons(users, screened):  # noqa: F811
    html = page(users["manager"], f"/batches/{screened.pk}/review/?page=1")
    cell = re.search(rf'data-testid="screening-{row_of(screened, "双因")}">(.*?)</td>', html, re.S)
    assert cell is not None
    assert 'data-screening="refused"' in cell.group(1)
    assert 'data-reason="low_score"' in cell.group(1) and 'data-reason="multi_lender"' in cell.group(1)
    assert 'data-screening="review"' in html and 'data-screening="passed"' in html
    assert "失信被执行人" in html  # a reason by its Chinese name
    counts = re.search(r'data-testid="screening-filter"(.*?)</ul>', html, re.S)
    assert counts is not None and "(6)" in counts.group(1) and "(1)" in counts.group(1)


def test_the_review_page_filters_by_screening(users, screened):  # noqa: F811
    html = page(users["manager"], f"/batches/{screened.pk}/review/?screening=review")
    assert html.count('data-screening="') == 1 and 'data-screening="review"' in html
    # a review row is decided by a person: its decision form is there; a refused row has none
    assert f"/batches/{screened.pk}/rows/{row_of(screened, '三家')}/decide/" in html
    refused = page(users["manager"], f"/batches/{screened.pk}/review/?screening=refused")
    assert "/decide/" not in refused


def test_the_row_panel_gives_the_evidence(users, screened):  # noqa: F811
    row = BatchRow.objects.get(batch=screened, name="执行")
    event_id = row.screening_evidence[0]["event_id"]
    html = page(users["manager"], f"/batches/{screened.pk}/rows/{row.row}/")
    assert 'data-testid="screening-evidence"' in html
    assert event_id in html and "2027-02-01" in html and "120000.00" in html
    low = page(users["manager"], f"/batches/{screened.pk}/rows/{row_of(screened, '低分')}/")
    assert "75.50" in low and "80.00" in low


def test_the_batch_page_counts_the_outcomes(users, screened):  # noqa: F811
    html = page(users["manager"], f"/batches/{screened.pk}/")
    assert 'data-testid="screening-counts"' in html
    for outcome, count in (("passed", 6), ("review", 1), ("refused", 6)):
        assert re.search(rf'data-testid="screening-{outcome}">{count}<', html)


def test_the_anchor_operator_sees_no_screening_on_the_pages(users, screened):  # noqa: F811
    operator = make_anchor_operator("tq_clerk", screened.program.anchor)
    review = page(operator, f"/batches/{screened.pk}/review/?screening=refused")
    assert "data-screening=" not in review and 'data-testid="screening-filter"' not in review
    assert review.count("<tr>") - 1 == len(FARMERS)  # the filter is not applied for him
    assert 'data-testid="screening-counts"' not in page(operator, f"/batches/{screened.pk}/")
    panel = page(operator, f"/batches/{screened.pk}/rows/{row_of(screened, '失信')}/")
    assert "screening" not in panel
