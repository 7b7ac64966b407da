"""``read_table_chunks``: a file read a chunk at a time gives exactly ``read_table``'s frame and errors.

Every test of ``test_tabular`` runs here again with ``read_table`` replaced by the chunked reader,
fed the file as an open file and two records a chunk: the same frames, the same refusals.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

import tests.core.test_tabular as plain
from core import tabular
from core.tabular import ColumnSpec, TableError, read_table, read_table_chunks
from tests.core.test_tabular import *  # noqa: F403  (the same tests, run against the chunked reader)

CHUNK = 2


def chunked_read_table(content, filename, columns, *, max_rows, max_columns=None):
    frames = list(
        read_table_chunks(
            io.BytesIO(content), filename, columns, max_rows=max_rows, max_columns=max_columns, chunk_rows=CHUNK
        )
    )
    assert all(len(frame) <= CHUNK for frame in frames)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(autouse=True)
def _chunked(monkeypatch):
    monkeypatch.setattr(plain, "read_table", chunked_read_table)


def outcome(read):
    try:
        return read()
    except TableError as exc:
        return (exc.code, exc.detail, exc.rows, exc.fields)


def same(content: bytes, columns=None, max_rows: int = 1000, filename: str = "f.csv"):
    columns = columns or COLUMNS
    expected = outcome(lambda: read_table(content, filename, columns, max_rows=max_rows))
    for chunk_rows in (1, 2, 3, 5, 1000):
        got = outcome(
            lambda chunk_rows=chunk_rows: pd.concat(
                list(
                    read_table_chunks(io.BytesIO(content), filename, columns, max_rows=max_rows, chunk_rows=chunk_rows)
                ),
                ignore_index=True,
            )
        )
        if isinstance(expected, pd.DataFrame):
            pd.testing.assert_frame_equal(got, expected)
        else:
            assert got == expected
    return expected


COLUMNS = (
    ColumnSpec("name", ("姓名",), True),
    ColumnSpec("id_number", ("身份证号",), True),
    ColumnSpec("phone", ("手机号",), True),
    ColumnSpec("amount", ("推荐金额",), True),
)
HEADER = "姓名,身份证号,手机号,推荐金额\n"
ROW = "张三,110101199003074514,13812345678,1200000\n"


def test_a_record_wider_than_the_first_deep_in_the_file_switches_readers_without_losing_a_row():
    content = (HEADER + ROW * 7 + '李四,110101199003074514,13812345678,"1,200",extra\n' + ROW * 3).encode()
    result = same(content)
    assert result[0] == "extra_cells" and result[2] == (9,)


def test_quoted_commas_and_line_breaks_across_chunk_boundaries():
    content = (HEADER + ROW * 3 + '"王\n五",110101199003074514,13812345678,"1,200,000"\n' + ROW * 4).encode()
    frame = same(content)
    assert frame["name"].tolist()[3] == "王\n五" and frame["row"].tolist()[-1] == 9


def test_too_many_rows_found_in_a_late_chunk_counts_the_whole_file():
    result = same((HEADER + ROW * 12).encode(), max_rows=10)
    assert result[0] == "file_too_large" and "12" in result[1]


def test_blank_rows_and_a_title_spread_over_chunks():
    content = ("名单\n\n\n" + HEADER + "\n" + ROW + "\n\n" + ROW * 3 + ",,,\n").encode("gbk")
    frame = same(content)
    assert frame["row"].tolist() == [6, 9, 10, 11]


def test_a_header_found_only_after_several_chunks_of_blank_and_title_rows():
    content = ("x\n" * 5 + "\n" * 6 + HEADER + ROW).encode("utf-8-sig")
    same(content)


def test_the_generated_samples_read_the_same_in_chunks(sample_files):
    from origination.importers import FARMER_COLUMNS as LIST_COLUMNS
    from risk.importers import EVENT_COLUMNS, TRADE_COLUMNS

    for name, columns in [
        ("farmer_list_gbk.csv", LIST_COLUMNS),
        ("farmer_list_utf8_bom.csv", LIST_COLUMNS),
        ("farmer_list.xlsx", LIST_COLUMNS),
        ("provider_trades.csv", TRADE_COLUMNS),
        ("provider_events.csv", EVENT_COLUMNS),
    ]:
        content = sample_files.read(name)
        frames = list(read_table_chunks(io.BytesIO(content), name, columns, max_rows=10**6, chunk_rows=7))
        assert len(frames) > 1 and all(len(frame) <= 7 for frame in frames)
        pd.testing.assert_frame_equal(
            pd.concat(frames, ignore_index=True), read_table(content, name, columns, max_rows=10**6)
        )


def test_an_xlsx_whose_values_start_away_from_a1_keeps_its_columns_and_rows():
    columns = [ColumnSpec("a", ("a",), True), ColumnSpec("b", ("b",), True)]
    content = plain.xlsx(
        [[], [], [None, None, "title"], [], [None, "a", "b"], [None, 1, None], [None, None, None, "x"]]
    )
    frame = same(content, columns, filename="f.xlsx")
    assert frame["row"].tolist() == [6, 7]


def test_the_open_file_is_left_open_and_read_from_its_start():
    handle = io.BytesIO((HEADER + ROW * 3).encode())
    handle.seek(10)
    frames = list(read_table_chunks(handle, "f.csv", COLUMNS, max_rows=10, chunk_rows=2))
    assert sum(map(len, frames)) == 3 and not handle.closed


def test_the_default_chunk_is_large():
    assert tabular.CHUNK_ROWS >= 100_000


@pytest.mark.parametrize("filename", ["provider_trades.csv", "farmer_list.xlsx"])
def test_reading_the_file_between_two_chunks_does_not_move_the_reader(filename, sample_files):
    """A delivery keeps its file (reading it whole) while its table is being read."""
    from origination.importers import FARMER_COLUMNS as LIST_COLUMNS
    from risk.importers import TRADE_COLUMNS

    columns = TRADE_COLUMNS if filename.endswith(".csv") else LIST_COLUMNS
    content = sample_files.read(filename)
    handle = io.BytesIO(content)
    frames = []
    for frame in read_table_chunks(handle, filename, columns, max_rows=10**6, chunk_rows=50):
        frames.append(frame)
        handle.seek(7)
        assert handle.read() == content[7:]
    assert len(frames) > 2
    pd.testing.assert_frame_equal(
        pd.concat(frames, ignore_index=True), read_table(content, filename, columns, max_rows=10**6)
    )


def test_a_workbook_longer_than_the_workbook_cap_is_refused_with_a_word_on_csv(monkeypatch):
    # calamine holds a whole sheet: beyond WORKBOOK_MAX_ROWS a workbook is refused even where the caller
    # takes more rows (a provider delivery), and the same rows as CSV are read a chunk at a time.
    monkeypatch.setattr(tabular, "WORKBOOK_MAX_ROWS", 5)
    columns = [ColumnSpec("a", ("a",), True), ColumnSpec("b", ("b",), True)]
    rows = [["a", "b"]] + [[str(number), "x"] for number in range(8)]
    with pytest.raises(TableError) as refused:
        list(read_table_chunks(io.BytesIO(plain.xlsx(rows)), "big.xlsx", columns, max_rows=1000, chunk_rows=CHUNK))
    assert refused.value.code == "file_too_large"
    assert "CSV" in refused.value.detail
    text = "\n".join(",".join(row) for row in rows).encode()
    assert sum(len(frame) for frame in read_table_chunks(io.BytesIO(text), "big.csv", columns, max_rows=1000)) == 8
    # Within the cap the workbook reads; beyond the caller's own, smaller limit, the caller's refusal stands.
    small = plain.xlsx(rows[:5])
    assert sum(len(frame) for frame in read_table_chunks(io.BytesIO(small), "s.xlsx", columns, max_rows=1000)) == 4
    with pytest.raises(TableError) as own:
        list(read_table_chunks(io.BytesIO(plain.xlsx(rows)), "big.xlsx", columns, max_rows=3))
    assert own.value.code == "file_too_large" and "CSV" not in own.value.detail
