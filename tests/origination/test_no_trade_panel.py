"""A row with no trade data says why and what to do, and doing it gives the row its figures."""

import datetime as dt

from django.test import Client
from django.urls import reverse

from origination.models import BatchRow
from tests.factories import make_trades
from tests.origination.test_batch_processing import ID_NONE, batch  # noqa: F401 - the fixture


def _panel(user, batch, row):  # noqa: F811
    client = Client()
    client.force_login(user)
    return client.get(f"/batches/{batch.pk}/rows/{row}/").content.decode()


def test_the_panel_of_a_row_without_trade_data_explains_why_and_what_to_do(users, batch):  # noqa: F811
    client = Client()
    client.force_login(users["manager"])
    client.post(f"/batches/{batch.pk}/process/")
    none = BatchRow.objects.get(batch=batch, name="丙")
    assert none.validation == BatchRow.Validation.NO_TRADE_DATA

    panel = _panel(users["manager"], batch, none.row)

    assert 'data-testid="no-trade-help"' in panel
    assert batch.program.anchor.name in panel
    assert "2026-03-01" in panel and "2027-02-28" in panel  # the window
    assert "2026-09-01" in panel  # the provider's latest trade delivery for the anchor
    assert f'href="{reverse("provider-data")}"' in panel
    matched = BatchRow.objects.get(batch=batch, name="甲")
    assert 'data-testid="no-trade-help"' not in _panel(users["manager"], batch, matched.row)

    # doing what it says: the provider's records imported, the batch processed again
    make_trades(batch.program.anchor, ID_NONE, [(dt.date(2026, 12, 5), "280000.00")], prefix="N")
    client.post(f"/batches/{batch.pk}/process/")
    none.refresh_from_db()
    assert none.validation == BatchRow.Validation.MATCHED
    assert 'data-testid="no-trade-help"' not in _panel(users["manager"], batch, none.row)
