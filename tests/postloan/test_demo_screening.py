"""The demo's screening piece: a processed second list with refused and review rows beside passed ones."""

import pytest

from origination.models import Batch, BatchRow
from postloan import demo
from postloan.demo_parts.screening import demo_screening_ensure


@pytest.mark.django_db
def test_the_demo_leaves_a_processed_list_with_every_outcome_and_a_second_run_changes_nothing():
    assert demo_screening_ensure() is None  # no demo programme yet: nothing to add to
    demo.demo_org_tree_ensure()
    demo.demo_users_ensure()
    demo.demo_anchor_ensure()
    batch = demo_screening_ensure()
    assert batch is not None and batch.status == Batch.Status.PROCESSED
    rows = {row.row - 2: row for row in BatchRow.objects.filter(batch=batch)}
    outcomes = {index: row.screening for index, row in rows.items()}
    assert [i for i, s in sorted(outcomes.items()) if s == "refused"] == [2, 3, 5, 9, 14]
    assert [i for i, s in sorted(outcomes.items()) if s == "review"] == [12, 15]
    assert outcomes[18] == outcomes[21] == "passed"
    assert rows[2].screening_reasons == ["dishonest"] and rows[3].screening_reasons == ["low_score"]
    assert rows[5].screening_evidence[0]["value"] == "86000.00"
    assert rows[12].computed_limit and rows[12].computed_limit > 0
    batches, rows_before = Batch.objects.count(), BatchRow.objects.count()
    assert demo_screening_ensure() == batch
    assert (Batch.objects.count(), BatchRow.objects.count()) == (batches, rows_before)
