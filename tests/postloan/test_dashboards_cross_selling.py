"""Cross-selling (综合营销): holdings imported from a file (idempotent, bad rows reported) or entered by hand."""

import datetime as dt
import io

import pytest
from django.core.cache import cache
from openpyxl import Workbook

from core.errors import DomainError
from core.roles import Role
from partners.models import HoldingImport, Product, ProductHolding
from postloan.dashboards.aggregates import aggregates_write
from postloan.dashboards.selectors import cross_selling_dashboard
from postloan.dashboards.services import holding_record, holdings_import
from tests.factories import make_user, resident_id_with_check
from tests.postloan.dashboard_book import DAY, make_book, on

NEXT = DAY + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The dashboards keep derived figures in the cache; every test starts from its own database."""
    cache.clear()


def _csv(lines):
    return ("\n".join(["身份证号,产品代码,开通日期", *lines]) + "\n").encode("gbk")


def _holdings():
    return sorted(ProductHolding.objects.values_list("farmer__name", "product__code", "opened_on"))


@pytest.fixture
def book(users, org):
    return make_book(users, org)


def test_a_file_of_holdings_is_imported_with_each_bad_row_reported(users, book):
    a, b = book.farmer_a.id_number, book.farmer_b.id_number
    stranger = resident_id_with_check("11010119900307002")  # a valid number, but of nobody we know
    content = _csv(
        [
            f"{a},debit_card,2027-01-05",
            f"{b},MOBILE_BANKING,",  # no date: the business date
            f"{a[:-1]}{'0' if a[-1] != '0' else '1'},DEBIT_CARD,2027-01-05",  # check digit wrong
            f"{stranger},DEBIT_CARD,2027-01-05",
            f"{b},GOLD_BAR,2027-01-05",
            f"{b},WEALTH,2027-13-01",
            f"{b},PAYROLL,2027-07-01",  # after the business date
            f"{a},DEBIT_CARD,2026-12-31",  # the same farmer and product again
            ",DEBIT_CARD,2027-01-05",
        ]
    )

    record = holdings_import(actor=users["admin"], content=content, filename="产品开通清单.csv")

    assert _holdings() == [("李四", "MOBILE_BANKING", DAY), ("胡磊涛", "DEBIT_CARD", dt.date(2027, 1, 5))]
    assert (record.rows_total, record.rows_created, record.rows_unchanged, record.rows_refused) == (9, 2, 0, 7)
    assert [(e["row"], e["column"], e["code"]) for e in record.errors] == [
        (4, "id_number", "invalid_id_checksum"),
        (5, "id_number", "unknown_farmer"),
        (6, "product_code", "unknown_product"),
        (7, "opened_on", "invalid_date"),
        (8, "opened_on", "future_date"),
        (9, "id_number", "duplicate_in_file"),
        (10, "id_number", "required"),
    ]
    assert all("*" in e["value"] for e in record.errors if e["column"] == "id_number" and e["value"])


def test_importing_the_same_file_twice_changes_nothing(users, book):
    content = _csv([f"{book.farmer_a.id_number},DEBIT_CARD,2027-01-05", f"{book.farmer_b.id_number},WEALTH,2027-02-01"])
    holdings_import(actor=users["admin"], content=content, filename="a.csv")
    before = _holdings()

    again = holdings_import(actor=users["admin"], content=content, filename="a.csv")

    assert _holdings() == before
    assert (again.rows_created, again.rows_updated, again.rows_unchanged, again.rows_refused) == (0, 0, 2, 0)
    assert HoldingImport.objects.count() == 2  # both imports are on record, the file kept once


def test_an_earlier_opening_date_wins_whatever_the_order_of_the_files(users, book):
    number = book.farmer_a.id_number
    holdings_import(actor=users["admin"], content=_csv([f"{number},DEBIT_CARD,2027-03-01"]), filename="late.csv")
    earlier = holdings_import(actor=users["admin"], content=_csv([f"{number},DEBIT_CARD,2026-08-08"]), filename="b.csv")
    later = holdings_import(actor=users["admin"], content=_csv([f"{number},DEBIT_CARD,2027-05-05"]), filename="c.csv")
    assert (earlier.rows_updated, later.rows_unchanged) == (1, 1)
    assert _holdings() == [("胡磊涛", "DEBIT_CARD", dt.date(2026, 8, 8))]


def test_an_xlsx_file_with_english_headers_is_read_too(users, book):
    book_xlsx = Workbook()
    sheet = book_xlsx.active
    sheet.append(["id_number", "product_code", "opened_on"])
    sheet.append([book.farmer_b.id_number, "ACQUIRING", dt.datetime(2027, 4, 1)])
    buffer = io.BytesIO()
    book_xlsx.save(buffer)
    record = holdings_import(actor=users["admin"], content=buffer.getvalue(), filename="holdings.xlsx")
    assert (record.rows_created, record.rows_refused) == (1, 0)
    assert _holdings() == [("李四", "ACQUIRING", dt.date(2027, 4, 1))]


def test_an_account_manager_imports_only_for_his_own_farmers(users, book):
    content = _csv([f"{book.farmer_a.id_number},DEBIT_CARD,2027-01-05", f"{book.farmer_b.id_number},DEBIT_CARD,"])
    record = holdings_import(actor=users["manager_b"], content=content, filename="mine.csv")
    assert [(e["row"], e["code"]) for e in record.errors] == [(2, "unknown_farmer")]
    assert _holdings() == [("李四", "DEBIT_CARD", DAY)]


def test_a_branch_manager_reads_the_dashboards_but_imports_nothing(users, book):
    with pytest.raises(DomainError) as refused:
        holdings_import(actor=users["leader"], content=_csv([]), filename="x.csv")
    assert refused.value.status == 403


def test_a_product_entered_on_a_farmer_counts_in_the_penetration(users, org, book):
    debit = Product.objects.get(code="DEBIT_CARD")
    holding_record(actor=users["manager"], farmer=book.farmer_a, product=debit, opened_on=DAY - dt.timedelta(days=3))
    with pytest.raises(DomainError):
        holding_record(actor=users["manager"], farmer=book.farmer_a, product=debit, opened_on=NEXT)
    with pytest.raises(DomainError):  # not his farmer
        holding_record(actor=users["manager"], farmer=book.farmer_b, product=debit, opened_on=DAY)

    aggregates_write(NEXT)
    on(NEXT)
    board = cross_selling_dashboard(users["leader"], NEXT)

    assert (board.total.borrowers, board.total.holders) == (2, {debit.pk: 1})
    assert board.total.rate(debit.pk) == pytest.approx(0.5)
    assert [(p.label, p.borrowers, p.rate(debit.pk)) for p in board.by_sub_branch] == [
        ("高新支行", 1, 1),
        ("双流支行", 1, 0),
    ]
    assert [(p.label, p.borrowers) for p in board.by_program] == [(book.program.name, 2)]
    # a leader of sub-branch B sees only B's borrowers
    leader_b = make_user("leader_b", Role.BRANCH_MANAGER, org.sub_b)
    mine = cross_selling_dashboard(leader_b, NEXT)
    assert (mine.total.borrowers, [p.label for p in mine.by_sub_branch]) == (1, ["双流支行"])
