"""The sample files and the demo world live in one database: a new batch from the samples is no dead end."""

import pytest

from core.business_date import business_date_set
from origination.models import Batch, BatchRow
from origination.services.intake import Upload, batch_upload
from origination.tasks import batch_process_dispatch
from partners.models import User
from postloan import demo
from postloan.demo_book import trades_csv
from postloan.demo_data import demo_farmers, demo_trades
from risk.models import TradeRecord
from risk.services.deliveries import trade_records_import
from samples.make_samples import farmers as sample_farmers
from samples.make_samples import trades as sample_trades


def test_sample_people_and_orders_are_not_the_demo_s():
    people = sample_farmers(300)
    demo_people = demo_farmers(demo.DEMO_FARMER_COUNT) + demo_farmers(40, seed=1453)
    assert not {p.id_number for p in people} & {p.id_number for p in demo_people}
    demo_orders = {t[1] for t in demo_trades(demo_people, until=demo.DEMO_START)}
    assert not {o.order_no for o in sample_trades(people)} & demo_orders


@pytest.mark.django_db
def test_the_sample_trade_file_in_the_demo_world_gives_matched_rows(sample_files):
    demo.demo_org_tree_ensure()
    demo.demo_users_ensure()
    program = demo.demo_anchor_ensure()
    demo_batch = demo.demo_batch_ensure(program)
    manager = User.objects.get(username="manager")
    demo_people = demo_farmers(demo.DEMO_FARMER_COUNT)
    trade_records_import(
        anchor=program.anchor,
        content=trades_csv(demo_trades(demo_people, until=demo.DEMO_START)),
        filename="demo.csv",
        actor=manager,
    )
    before = TradeRecord.objects.count()

    result = trade_records_import(
        anchor=program.anchor,
        content=sample_files.read("provider_trades.csv"),
        filename="provider_trades.csv",
        actor=manager,
    )

    # every sample order is a new record: none is silently taken for one already there
    assert TradeRecord.objects.count() - before == sample_files.trades
    assert (result.created, result.duplicates, result.errors_total) == (sample_files.trades, 0, 0)
    business_date_set(new_date=sample_files.submission, backwards_allowed=True)
    batch = batch_upload(
        program=program,
        actor=User.objects.get(username="anchor"),
        farmer_list=Upload(content=sample_files.read("farmer_list_utf8_bom.csv"), name="samples.csv"),
    )
    assert batch.pk != demo_batch.pk and batch.rows_valid == sample_files.farmers
    batch_process_dispatch(batch, manager)
    outcomes = set(BatchRow.objects.filter(batch=batch).values_list("validation", flat=True))
    assert BatchRow.Validation.MATCHED in outcomes
    assert BatchRow.Validation.NO_TRADE_DATA not in outcomes
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.PROCESSED
