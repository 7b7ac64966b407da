import io
import random
import zlib
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from core.identifiers import (
    InvalidValue,
    parse_amount,
    parse_date,
    parse_score,
    validate_mobile,
    validate_resident_id,
)
from core.tabular import (
    ColumnSpec,
    TableError,
    amounts,
    dates,
    mobiles,
    normalize_series,
    read_table,
    resident_ids,
    scores,
)
from samples.make_samples import SUBMISSION

TODAY = SUBMISSION  # the samples' submission date

FARMER_COLUMNS = (
    ColumnSpec("name", ("姓名", "name"), required=True),
    ColumnSpec("id_number", ("身份证号", "id_number"), required=True),
    ColumnSpec("phone", ("手机号", "phone"), required=True),
    ColumnSpec("recommended_amount", ("推荐金额", "recommended_amount"), required=True),
    ColumnSpec("declared_orders_12m", ("近12个月订单金额", "declared_orders_12m"), required=True),
    ColumnSpec("score", ("打分卡得分", "score"), required=True),
    ColumnSpec("customer_code", ("客户编号", "customer_code"), required=False),
    ColumnSpec("region_code", ("地区代码", "region_code"), required=False),
    ColumnSpec("breed", ("养殖品种", "breed"), required=False),
)
FIELDS = [spec.field for spec in FARMER_COLUMNS]
ZH_HEADER = "姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分"
EN_HEADER = "name,id_number,phone,recommended_amount,declared_orders_12m,score"
ROW_A = '胡磊涛,511521197008191967,17776820850,１２０万,"1,200,000.00",76'
ROW_B = "马丽军,510181196804133038,+86 184 3413 0324,2500000,197361,55"


def read(content: bytes, filename: str = "farmers.csv", max_rows: int = 1000) -> pd.DataFrame:
    return read_table(content, filename, FARMER_COLUMNS, max_rows=max_rows)


def table_error(content: bytes, filename: str = "farmers.csv", max_rows: int = 1000) -> TableError:
    with pytest.raises(TableError) as caught:
        read(content, filename, max_rows)
    assert caught.value.detail
    return caught.value


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=number, column=column, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def png_header() -> bytes:
    ihdr = b"IHDR" + (1).to_bytes(4, "big") * 2 + bytes([8, 6, 0, 0, 0])
    chunk = len(ihdr[4:]).to_bytes(4, "big") + ihdr + zlib.crc32(ihdr).to_bytes(4, "big")
    return b"\x89PNG\r\n\x1a\n" + chunk


# --- reading the sample files ------------------------------------------------------------


@pytest.mark.parametrize("filename", ["farmer_list_gbk.csv", "farmer_list_utf8_bom.csv", "farmer_list.xlsx"])
def test_each_sample_farmer_list_reads_into_the_spec_fields_with_row_numbers(filename, sample_files):
    frame = read(sample_files.read(filename), filename)
    assert list(frame.columns) == [*FIELDS, "row"]
    assert len(frame) == sample_files.farmers
    assert frame["row"].tolist() == list(range(2, len(frame) + 2))
    assert (frame["customer_code"] == "").all()  # optional and absent: added empty
    for field in FIELDS:
        assert frame[field].map(type).eq(str).all()


def test_the_gbk_the_utf8_and_the_xlsx_samples_give_the_same_values(sample_files):
    frames = [
        read(sample_files.read(name), name)
        for name in ("farmer_list_gbk.csv", "farmer_list_utf8_bom.csv", "farmer_list.xlsx")
    ]
    no_bom = sample_files.read("farmer_list_utf8_bom.csv").removeprefix(b"\xef\xbb\xbf")
    frames.append(read(no_bom, "farmer_list_utf8.csv"))
    first = frames[0]
    for frame in frames[1:]:
        for field in ("name", "id_number", "region_code", "breed"):
            assert frame[field].tolist() == first[field].tolist()
        for field in ("recommended_amount", "declared_orders_12m"):
            assert amounts(frame[field])[0].tolist() == amounts(first[field])[0].tolist()
        assert mobiles(frame["phone"])[0].tolist() == mobiles(first["phone"])[0].tolist()
        assert scores(frame["score"])[0].tolist() == scores(first["score"])[0].tolist()


@pytest.mark.parametrize("filename", ["farmer_list_gbk.csv", "farmer_list.xlsx"])
def test_every_value_of_the_samples_passes_the_normalisers(filename, sample_files):
    frame = read(sample_files.read(filename), filename)
    for field in ("recommended_amount", "declared_orders_12m"):
        values, codes = amounts(frame[field])
        assert (codes == "").all()
        assert all(isinstance(value, Decimal) and value > 0 for value in values)
    assert (resident_ids(frame["id_number"], today=TODAY)[1] == "").all()
    assert (mobiles(frame["phone"])[1] == "").all()
    assert (scores(frame["score"])[1] == "").all()


def test_the_gbk_sample_holds_full_width_and_separated_amounts(sample_files):
    frame = read(sample_files.read("farmer_list_gbk.csv"), "farmer_list_gbk.csv")
    raw = frame["recommended_amount"].tolist() + frame["declared_orders_12m"].tolist()
    assert any("０" in value for value in raw)
    assert any("," in value for value in raw)


def test_the_provider_files_read_with_their_own_columns(sample_files):
    trades = read_table(
        sample_files.read("provider_trades.csv"),
        "provider_trades.csv",
        [
            ColumnSpec("id_number", ("身份证号", "id_number"), required=True),
            ColumnSpec("order_no", ("订单号", "order_no"), required=True),
            ColumnSpec("order_date", ("订单日期", "order_date"), required=True),
            ColumnSpec("amount", ("订单金额", "amount"), required=True),
        ],
        max_rows=100_000,
    )
    assert len(trades) == sample_files.trades
    assert (dates(trades["order_date"])[1] == "").all()
    assert (amounts(trades["amount"])[1] == "").all()
    events = read_table(
        sample_files.read("provider_events.csv"),
        "provider_events.csv",
        [
            ColumnSpec("subject_id", ("主体证件号", "subject_id"), required=True),
            ColumnSpec("event_type", ("事件类型", "event_type"), required=True),
            ColumnSpec("event_date", ("事件日期", "event_date"), required=True),
            ColumnSpec("value", ("数值", "value"), required=False),
            ColumnSpec("detail", ("详情", "detail"), required=False),
            ColumnSpec("event_id", ("事件编号", "event_id"), required=True),
        ],
        max_rows=1000,
    )
    assert len(events) == sample_files.events
    assert (dates(events["event_date"])[1] == "").all()


# --- encodings and headers ---------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_a_csv_is_read_in_each_accepted_encoding(encoding):
    frame = read(f"{ZH_HEADER}\n{ROW_A}\n{ROW_B}\n".encode(encoding))
    assert frame["name"].tolist() == ["胡磊涛", "马丽军"]
    assert frame["recommended_amount"].tolist() == ["１２０万", "2500000"]
    assert frame["declared_orders_12m"].tolist() == ["1,200,000.00", "197361"]


def test_english_headers_are_accepted():
    frame = read(f"{EN_HEADER}\n{ROW_A}\n".encode())
    assert frame["id_number"].tolist() == ["511521197008191967"]


def test_headers_match_whatever_their_case_spaces_and_width():
    header = " Name ,ID_NUMBER,  Phone,Recommended Amount,ｄｅｃｌａｒｅｄ＿ｏｒｄｅｒｓ＿１２ｍ, 打分卡得分 *"
    frame = read(f"{header}\n{ROW_A}\n".encode())
    assert frame.iloc[0]["score"] == "76"
    assert frame.iloc[0]["declared_orders_12m"] == "1,200,000.00"


def test_columns_may_come_in_any_order_and_unknown_columns_are_dropped():
    frame = read(
        "备注,打分卡得分,手机号,姓名,身份证号,近12个月订单金额,推荐金额,养殖品种\n"
        "老客户,76,13812345678,王伟,511521197008191967,100,200,生猪\n".encode()
    )
    assert list(frame.columns) == [*FIELDS, "row"]
    assert frame.iloc[0].to_dict() == {
        "name": "王伟",
        "id_number": "511521197008191967",
        "phone": "13812345678",
        "recommended_amount": "200",
        "declared_orders_12m": "100",
        "score": "76",
        "customer_code": "",
        "region_code": "",
        "breed": "生猪",
        "row": 2,
    }


def test_values_are_stripped_and_quoted_commas_and_newlines_stay_in_their_cell():
    row = '  王伟 ,511521197008191967, 138 1234 5678 ,"1,200","x",76,"生猪,\n肉鸡"'
    frame = read(f"{ZH_HEADER},养殖品种\n{row}\n".encode())
    row = frame.iloc[0]
    assert row["name"] == "王伟"
    assert row["phone"] == "138 1234 5678"
    assert row["breed"] == "生猪,\n肉鸡"


def test_a_very_long_cell_is_stripped_like_any_other():
    note = "长" * 2000
    frame = read(f"{ZH_HEADER},养殖品种,备注\n{ROW_A},  {note}  ,{note}\n".encode())
    assert frame.iloc[0]["breed"] == note


def test_a_title_row_above_the_headers_is_skipped_and_rows_keep_their_numbers():
    frame = read(f"特驱集团融资客户清单,,,,,\n{ZH_HEADER}\n{ROW_A}\n".encode())
    assert frame["row"].tolist() == [3]


def test_blank_rows_are_dropped_but_counted_in_row_numbers():
    content = f"\n{ZH_HEADER}\n{ROW_A}\n\n,,,,,\n  ,  \n{ROW_B}\n\n".encode()
    frame = read(content)
    assert frame["name"].tolist() == ["胡磊涛", "马丽军"]
    assert frame["row"].tolist() == [3, 7]


def test_short_rows_are_padded_with_empty_values():
    frame = read(f"{ZH_HEADER},养殖品种\n王伟,511521197008191967\n".encode())
    assert frame.iloc[0]["phone"] == ""
    assert frame.iloc[0]["breed"] == ""


def test_a_header_only_file_gives_an_empty_frame_with_the_fields():
    frame = read(f"{ZH_HEADER}\n".encode())
    assert list(frame.columns) == [*FIELDS, "row"]
    assert len(frame) == 0


# --- XLSX -------------------------------------------------------------------------------------


def test_an_xlsx_with_numeric_cells_gives_the_digits_the_cells_show():
    content = xlsx(
        [
            ["姓名", "身份证号", "手机号", "推荐金额", "近12个月订单金额", "打分卡得分", "地区代码"],
            ["王伟", "511521197008191967", 17776820850, 1200000, 197361.5, 85, "510122"],
            ["李娜", "510181196804133038", 13812345678.0, 1200000.0, "1,200,000.00", 85.0, 510122],
        ]
    )
    frame = read(content, "farmers.xlsx")
    assert frame["phone"].tolist() == ["17776820850", "13812345678"]
    assert frame["recommended_amount"].tolist() == ["1200000", "1200000"]
    assert frame["declared_orders_12m"].tolist() == ["197361.5", "1,200,000.00"]
    assert frame["score"].tolist() == ["85", "85"]
    assert frame["region_code"].tolist() == ["510122", "510122"]
    assert frame["id_number"].tolist() == ["511521197008191967", "510181196804133038"]
    assert amounts(frame["declared_orders_12m"])[0].tolist() == [Decimal("197361.50"), Decimal("1200000.00")]


def test_other_xlsx_cells_read_as_a_spreadsheet_shows_them():
    content = xlsx(
        [
            ["身份证号", "订单日期", "订单金额", "数值", "详情"],
            [511521197008191967, datetime(2027, 2, 13, 10, 30), 0.1 + 0.2, True, 1e-05],
        ]
    )
    columns = [
        ColumnSpec("id_number", ("身份证号",), required=True),
        ColumnSpec("order_date", ("订单日期",), required=True),
        ColumnSpec("amount", ("订单金额",), required=True),
        ColumnSpec("value", ("数值",), required=True),
        ColumnSpec("detail", ("详情",), required=True),
    ]
    row = read_table(content, "mixed.xlsx", columns, max_rows=10).iloc[0]
    # An 18-digit number keeps only the 15 significant digits Excel shows; its check digit then fails.
    assert row["id_number"] == "511521197008192000"
    assert resident_ids(pd.Series([row["id_number"]]), today=TODAY)[1].tolist() == ["invalid_id_checksum"]
    assert row["order_date"] == "2027-02-13 10:30:00"
    assert dates(pd.Series([row["order_date"]]))[0].tolist() == [date(2027, 2, 13)]
    assert row["amount"] == "0.3"
    assert row["value"] == "True"
    assert row["detail"] == "0.00001"


def test_an_xlsx_date_cell_reads_as_a_date():
    content = xlsx([["订单日期"], [datetime(2027, 2, 13)], ["2027/2/14"]])
    frame = read_table(content, "trades.xlsx", [ColumnSpec("order_date", ("订单日期",), required=True)], max_rows=10)
    assert dates(frame["order_date"])[0].tolist() == [date(2027, 2, 13), date(2027, 2, 14)]


def test_an_xlsx_keeps_spreadsheet_row_numbers_across_blank_rows():
    content = xlsx(
        [
            [None],
            ["融资客户清单"],
            ["name", "id_number", "phone", "recommended_amount", "declared_orders_12m", "score"],
            ["王伟", "511521197008191967", "13812345678", "100", "100", "80"],
            [None],
            ["李娜", "510181196804133038", "13812345678", "100", "100", "80", None, None, "note"],
        ]
    )
    frame = read(content, "farmers.xlsx")
    assert frame["row"].tolist() == [4, 6]


def test_an_xlsx_is_recognised_by_its_content_whatever_its_name():
    content = xlsx([EN_HEADER.split(","), ["王伟", "511521197008191967", "13812345678", "1", "1", "1"]])
    assert len(read(content, "farmers.csv")) == 1


def test_only_the_first_sheet_of_a_workbook_is_read():
    book = openpyxl.Workbook()
    book.active.append(EN_HEADER.split(","))
    book.active.append(["王伟", "511521197008191967", "13812345678", "1", "1", "1"])
    other = book.create_sheet("other")
    other.append(EN_HEADER.split(","))
    other.append(["李娜", "510181196804133038", "13812345678", "1", "1", "1"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert read(buffer.getvalue(), "farmers.xlsx")["name"].tolist() == ["王伟"]


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"", "farmers.csv"),
        (b"  \r\n\n", "farmers.csv"),
        (b",,,\n,,,\n", "farmers.csv"),
        (random.Random(7).randbytes(4096), "farmers.csv"),
        (png_header(), "farmers.csv"),
        (b"\x89PNG\r\n\x1a\n", "farmers.png"),
        (b"PK\x03\x04" + random.Random(8).randbytes(512), "farmers.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "farmers.xls"),
        ("姓名,身份证号".encode("utf-16"), "farmers.csv"),
    ],
    ids=[
        "empty",
        "whitespace",
        "only-commas",
        "random-bytes",
        "png",
        "png-signature",
        "broken-zip",
        "xls",
        "utf-16",
    ],
)
def test_a_file_that_is_not_a_table_is_refused(content, filename):
    assert table_error(content, filename).code == "not_a_table"


def test_an_empty_workbook_is_not_a_table():
    assert table_error(xlsx([]), "farmers.xlsx").code == "not_a_table"


def test_a_file_whose_first_rows_name_no_known_column_has_no_header():
    error = table_error(f"{ROW_A}\n{ROW_B}\n".encode())
    assert error.code == "no_header"
    assert "姓名" in error.detail


def test_missing_required_columns_are_named_in_the_users_words():
    error = table_error("姓名,身份证号,推荐金额,近12个月订单金额,养殖品种\n王伟,1,1,1,生猪\n".encode())
    assert error.code == "missing_columns"
    assert error.fields == ("phone", "score")
    assert "手机号 (phone)" in error.detail
    assert "打分卡得分 (score)" in error.detail
    assert "养殖品种" not in error.detail  # optional


def test_a_column_given_twice_is_refused():
    error = table_error(f"{ZH_HEADER},name\n{ROW_A},王伟\n".encode())
    assert error.code == "duplicate_columns"
    assert error.fields == ("name",)


def test_more_rows_than_allowed_is_refused_and_blank_rows_do_not_count():
    content = f"{ZH_HEADER}\n{ROW_A}\n\n{ROW_B}\n{ROW_A}\n".encode()
    assert len(read(content, max_rows=3)) == 3
    error = table_error(content, max_rows=2)
    assert error.code == "file_too_large"
    assert "3" in error.detail


def test_an_unquoted_comma_that_shifts_values_is_refused_with_the_row_numbers():
    content = f"{ZH_HEADER}\n{ROW_A}\n王伟,511521197008191967,13812345678,1,200,000,100,76\n".encode()
    error = table_error(content)
    assert error.code == "extra_cells"
    assert error.rows == (3,)
    assert "3" in error.detail


def test_an_unquoted_comma_below_a_title_row_is_refused_too():
    content = f"清单,,,,,,,,,,\n{ZH_HEADER}\n王伟,511521197008191967,13812345678,1,200,000,100,76\n".encode()
    assert table_error(content).rows == (3,)


def test_an_ambiguous_column_spec_is_a_programming_error():
    with pytest.raises(ValueError, match="claimed"):
        read_table(
            b"a\n1\n",
            "x.csv",
            [ColumnSpec("a", ("名称",), required=True), ColumnSpec("b", ("名称",), required=True)],
            max_rows=1,
        )
    with pytest.raises(ValueError, match="reserved"):
        read_table(b"row\n1\n", "x.csv", [ColumnSpec("row", ("行",), required=True)], max_rows=1)


# --- normalisers -----------------------------------------------------------------------------


def test_normalize_series_turns_full_width_into_half_width_and_strips():
    assert normalize_series(pd.Series(["\u3000１２０万 ", "ＡＢＣ", ""])).tolist() == ["120万", "ABC", ""]


def test_amounts_read_every_spelling_and_report_each_error():
    values, codes = amounts(pd.Series(["120万", "１，２００", "1,200,000.00", " 5 ", "-1", "abc", "", "12.345"]))
    assert values.tolist() == [
        Decimal("1200000.00"),
        Decimal("1200.00"),
        Decimal("1200000.00"),
        Decimal("5.00"),
        None,
        None,
        None,
        Decimal("12.35"),
    ]
    assert codes.tolist() == ["", "", "", "", "negative_amount", "invalid_amount", "invalid_amount", ""]
    assert all(str(value).endswith(tuple("0123456789")) and "." in str(value) for value in values if value)


def test_resident_ids_report_each_error():
    future = "510122202703020015"
    future = future[:17] + ric.calc_check_digit(future)
    unknown = "990101198001010015"
    unknown = unknown[:17] + ric.calc_check_digit(unknown)
    feb_30 = "510122197002300015"
    feb_30 = feb_30[:17] + ric.calc_check_digit(feb_30)
    numbers, codes = resident_ids(
        pd.Series(["511521197008191967", "51152119700819196", "511521197008191968", future, feb_30, unknown]),
        today=TODAY,
    )
    assert codes.tolist() == [
        "",
        "invalid_id_format",
        "invalid_id_checksum",
        "invalid_birth_date",
        "invalid_birth_date",
        "unknown_region_code",
    ]
    assert numbers.iloc[0] == "511521197008191967"


def test_mobiles_report_bad_numbers():
    numbers, codes = mobiles(pd.Series(["+86 138 1234 5678", "0086-13812345678", "1381234567", ""]))
    assert numbers.tolist()[:2] == ["13812345678", "13812345678"]
    assert codes.tolist() == ["", "", "invalid_phone", "invalid_phone"]


def test_scores_and_dates_report_bad_values():
    values, codes = scores(pd.Series(["85", "85.0", "75.5", "75.55", "75.555", "101", "x"]))
    assert [None if value is None else str(value) for value in values] == [
        "85.00",
        "85.00",
        "75.50",
        "75.55",
        None,
        None,
        None,
    ]
    assert codes.tolist() == ["", "", "", "", "invalid_score", "invalid_score", "invalid_score"]
    values, codes = dates(pd.Series(["2027-02-13", "2027/2/13", "20270213", "2027-02-13 00:00:00", "2027-02-29"]))
    assert values.tolist() == [date(2027, 2, 13)] * 4 + [None]
    assert codes.tolist() == ["", "", "", "", "invalid_date"]


def test_normalisers_keep_the_index_of_their_input():
    index = pd.Index([10, 3, 7])
    series = pd.Series(["1", "85", "x"], index=index)
    for values, codes in (amounts(series), scores(series), dates(series), mobiles(series)):
        assert list(values.index) == list(index)
        assert list(codes.index) == list(index)
    numbers, codes = resident_ids(series, today=TODAY)
    assert list(numbers.index) == list(codes.index) == list(index)


def test_normalisers_accept_an_empty_column():
    empty = pd.Series([], dtype=object)
    assert normalize_series(empty).tolist() == []
    for values, codes in (amounts(empty), scores(empty), dates(empty), mobiles(empty)):
        assert len(values) == len(codes) == 0
    assert len(resident_ids(empty, today=TODAY)[1]) == 0


# --- scalar and vectorised rules agree ---------------------------------------------------------


def scalar(func, value, **kwargs):
    try:
        return func(value, **kwargs), ""
    except InvalidValue as error:
        return None, error.code


def pairs(values, codes):
    return list(zip(values.tolist(), codes.tolist(), strict=True))


def as_text(pairs_):
    """Decimals compare equal whatever their exponent: compare their text (always two decimals)."""
    return [(None if value is None else str(value), code) for value, code in pairs_]


amount_texts = st.one_of(
    st.text(alphabet="0123456789,.万元¥￥- １２３，．－　", max_size=14),
    st.integers(0, 4).flatmap(lambda places: st.decimals(min_value=-(10**9), max_value=10**12, places=places)).map(str),
    st.decimals(min_value=0, max_value=10**12, places=2).map(lambda d: f"{d:,.2f}"),
    st.builds(lambda n, f: f"{n}.{f}万", st.integers(0, 10**6), st.integers(0, 10**6)),
    st.text(alphabet="0123456789", min_size=18, max_size=40),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(amount_texts, max_size=30))
def test_amounts_agree_with_parse_amount(texts):
    values, codes = amounts(pd.Series(texts, dtype=object, index=range(5, 5 + len(texts))))
    assert as_text(pairs(values, codes)) == as_text([scalar(parse_amount, text) for text in texts])


def resident_id_texts():
    region = st.sampled_from(["510122", "511521", "110112", "110103", "990101", "000000", "513821"])
    born = st.builds(
        lambda y, m, d: f"{y:04d}{m:02d}{d:02d}",
        st.integers(1880, 2040),
        st.integers(0, 13),
        st.integers(0, 32),
    )
    sequence = st.integers(0, 999).map(lambda n: f"{n:03d}")

    def finish(body: str, right: bool, wrong: str) -> str:
        return body + (ric.calc_check_digit(body + "0") if right else wrong)

    structured = st.builds(
        finish,
        st.builds(lambda r, b, s: r + b + s, region, born, sequence),
        st.booleans(),
        st.sampled_from(list("0123456789Xx")),
    )
    noise = st.text(alphabet="0123456789Xx １ ", max_size=20)
    return st.one_of(structured, structured.map(lambda n: f" {n.lower()} "), noise)


@settings(max_examples=200, deadline=None)
@given(st.lists(resident_id_texts(), max_size=30))
def test_resident_ids_agree_with_validate_resident_id(texts):
    numbers, codes = resident_ids(pd.Series(texts, dtype=object), today=TODAY)
    expected = [scalar(validate_resident_id, text, today=TODAY) for text in texts]
    assert codes.tolist() == [code for _, code in expected]
    for number, (result, code) in zip(numbers, expected, strict=True):
        if not code:
            assert number == result.number


mobile_texts = st.one_of(
    st.text(alphabet="0123456789+- 　８", max_size=18),
    st.builds(
        lambda prefix, n: prefix + n,
        st.sampled_from(["", "+86", "86", "0086", "+86 ", "+852", "0"]),
        st.integers(10**9, 2 * 10**10).map(str),
    ),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(mobile_texts, max_size=30))
def test_mobiles_agree_with_validate_mobile(texts):
    numbers, codes = mobiles(pd.Series(texts, dtype=object))
    expected = [scalar(validate_mobile, text) for text in texts]
    assert codes.tolist() == [code for _, code in expected]
    assert [n for n, (_, code) in zip(numbers, expected, strict=True) if not code] == [
        result for result, code in expected if not code
    ]


score_texts = st.one_of(
    st.text(alphabet="0123456789.-  １．", max_size=7),
    st.integers(-5, 120).map(str),
    st.integers(0, 120).map(lambda n: f"{n}.0"),
    st.integers(0, 10100).map(lambda n: f"{n // 100}.{n % 100:02d}"),
    st.integers(0, 101000).map(lambda n: f"{n // 1000}.{n % 1000:03d}"),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(score_texts, max_size=30))
def test_scores_agree_with_parse_score(texts):
    values, codes = scores(pd.Series(texts, dtype=object))
    assert as_text(pairs(values, codes)) == as_text([scalar(parse_score, text) for text in texts])


date_texts = st.one_of(
    st.text(alphabet="0123456789-/: .年月日T", max_size=20),
    st.builds(
        lambda y, m, d, style: style.format(y=y, m=m, d=d),
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
        st.sampled_from(
            [
                "{y:04d}-{m:02d}-{d:02d}",
                "{y:04d}/{m}/{d}",
                "{y:04d}{m:02d}{d:02d}",
                "{y:04d}-{m:02d}-{d:02d} 00:00:00",
                "{y:04d}年{m}月{d}日",
                "{y:04d}.{m}.{d}",
            ]
        ),
    ),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(date_texts, max_size=30))
def test_dates_agree_with_parse_date(texts):
    values, codes = dates(pd.Series(texts, dtype=object))
    assert pairs(values, codes) == [scalar(parse_date, text) for text in texts]


def with_check_digit(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


EDGE_CASES = {
    amounts: (
        parse_amount,
        {},
        [
            *["0", "-0", "0.005", "0.004", "-0.001", "007", "1" * 30, "9" * 26 + ".999"],
            *["1,200,000.00", "1,20", ",123", ",123,456", "1,234,56", "1,2345", "1234,567", "1,234.567"],
            *[
                "１２０万",
                "12.5万元",
                "1,200万",
                "万",
                "1万万",
                "120元万",
                "¥-5",
                "-¥5",
                "¥¥5",
                "5 元",
                "1\t200",
            ],
        ],
    ),
    scores: (parse_score, {}, ["0", "100", "101", "100.00", "85.", "-0", "０８５", "", "75.5", "75.555", "100.01"]),
    dates: (
        parse_date,
        {},
        [
            "2024-02-29",
            "2023-02-29",
            "1900-02-29",
            "2000-02-29",
            "0001-01-01",
            "9999-12-31",
            "2027-2/13",
            "2027-02-13 24:00",
        ],
    ),
    mobiles: (
        validate_mobile,
        {},
        ["8613812345678", "+8612812345678", "86", "0086 138-1234-5678", "19912345678"],
    ),
    resident_ids: (
        validate_resident_id,
        {"today": TODAY},
        [
            with_check_digit("51012220270301001"),  # born on the business date
            with_check_digit("51012220270302001"),  # the day after
            with_check_digit("51012219000101001"),
            with_check_digit("51012218991231001"),
            with_check_digit("51012219000229001"),  # 1900 was not a leap year
            with_check_digit("51012220000229001"),
            with_check_digit("11000019800101001"),  # a province-level code is in the table
            next(n for i in range(1000) if (n := with_check_digit(f"51012219850304{i:03d}")).endswith("X")).lower(),
        ],
    ),
}


@pytest.mark.parametrize("vectorised", list(EDGE_CASES), ids=lambda f: f.__name__)
def test_scalar_and_vectorised_rules_agree_on_the_edge_cases(vectorised):
    func, kwargs, texts = EDGE_CASES[vectorised]
    normalised, codes = vectorised(pd.Series(texts, dtype=object), **kwargs)
    expected = [scalar(func, text, **kwargs) for text in texts]
    assert codes.tolist() == [code for _, code in expected]
    for got, (result, code) in zip(normalised, expected, strict=True):
        if not code:
            assert str(got) == str(result.number if vectorised is resident_ids else result)
