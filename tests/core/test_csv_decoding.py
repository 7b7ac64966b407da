"""core.csv_decoding: UTF-8 or GB18030, and text in another encoding refused rather than stored garbled."""

from __future__ import annotations

import pytest

from core.csv_decoding import decode_table_text
from core.tabular import TableError
from tests.hostile import corpus

HEADER = "name,id_number,breed\n"


def code_of(content: bytes) -> str:
    with pytest.raises(TableError) as caught:
        decode_table_text(content, "list.csv")
    return caught.value.code


@pytest.mark.parametrize(
    "text",
    [
        HEADER + "陳大文,1,養殖戶\n",
        HEADER + "陳大文,1,\n黃志強,2,\n張偉傑,3,\n林淑芬,4,\n劉建國,5,\n",
        "姓名,身份證號,養殖品種\n陳大文,1,生豬\n",
        HEADER + "王小明,1,養豬場\n李美玲,2,雞舍\n",
    ],
    ids=["one-name", "five-names", "chinese-headers", "pig-farm"],
)
def test_big5_text_is_refused_rather_than_stored_garbled(text):
    content = text.encode("big5")
    assert content.decode("gb18030")  # it does decode: that is the danger
    assert code_of(content) == "unreadable_encoding"


@pytest.mark.parametrize(
    "names",
    [
        "张伟",  # two characters whose bytes are valid Big5 too
        "胡磊涛",
        "王喆,李堃,张玥,刘昇,陈犇,杨淼",  # characters of names outside GB2312
        "陳大文,黃志強",  # traditional characters, written in GBK
        "张伟,王芳,李娜,刘强,陈杰,杨洋,赵敏,黄磊,周婷,吴昊",
    ],
)
def test_gbk_text_is_read_whatever_its_names(names):
    text = HEADER + "".join(f"{name},1,生猪\n" for name in names.split(","))
    assert decode_table_text(text.encode("gbk"), "list.csv") == text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_utf8_is_read_with_or_without_its_mark(encoding):
    text = HEADER + "陳大文,1,養殖戶\n张伟,2,生猪\n"
    assert decode_table_text(text.encode(encoding), "list.csv") == text


def test_the_sample_lists_are_read(sample_files):
    for name in ("farmer_list_gbk.csv", "farmer_list_utf8_bom.csv"):
        assert "姓名" in decode_table_text(sample_files.read(name), name)


def test_bytes_that_no_accepted_encoding_reads_are_unreadable():
    assert code_of(HEADER.encode() + b"\x80\xff,1,x\n") == "unreadable_encoding"


def test_binary_data_is_not_a_table():
    assert code_of(b"name,id\x00\x01\x02") == "not_a_table"


def test_the_corpus_files_in_big5_are_refused():
    assert code_of(corpus.csv_big5()) == code_of(corpus.csv_big5_one_name()) == "unreadable_encoding"
