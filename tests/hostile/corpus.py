"""Hostile upload files, made by code: each is a few bytes to a few MB and asks the reader for far more.

Nothing here is checked in as a blob. A builder returns the bytes of one file;
``CORPUS`` names them with the answer the upload must give. The workbooks are
written by hand (``zipfile`` and a few lines of XML), because a spreadsheet
library would refuse to write most of them.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from stdnum.cn import ric


def resident_id_with_check(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


ID_A = resident_id_with_check("51152119700819196")
ID_B = resident_id_with_check("51018119680413303")
ID_C = resident_id_with_check("51012419690919365")

FARMER_HEADERS = ("name", "id_number", "phone", "recommended_amount", "declared_orders_12m", "score")
FARMER_ROW = ("胡磊涛", ID_A, "13812345678", "100000", "350000", "80")

# --- workbooks ---------------------------------------------------------------------------

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    b"</Types>"
)
ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    b'Target="worksheets/sheet1.xml"/>'
    b'<Relationship Id="rId2" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    b'Target="sharedStrings.xml"/></Relationships>'
)
SHEET_OPEN = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
EMPTY_STRINGS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>'
)


def column_letters(number: int) -> str:
    """1 → A, 27 → AA, 16384 → XFD."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def inline_cell(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def number_cell(ref: str, value: str) -> bytes:
    return f'<c r="{ref}"><v>{value}</v></c>'.encode()


def header_row(headers: Iterable[str] = FARMER_HEADERS) -> bytes:
    cells = b"".join(inline_cell(f"{column_letters(i)}1", text) for i, text in enumerate(headers, start=1))
    return b'<row r="1">' + cells + b"</row>"


def sheet(rows: bytes, *, dimension: str | None = None, prolog: bytes = b"") -> bytes:
    head = SHEET_OPEN if not prolog else SHEET_OPEN.replace(b"<worksheet", prolog + b"<worksheet", 1)
    declared = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    return head + declared + b"<sheetData>" + rows + b"</sheetData></worksheet>"


@dataclass(frozen=True)
class Deflated:
    """A member already deflated: the raw stream, the CRC and the size of what it inflates to."""

    stream: bytes
    crc: int
    size: int


def deflated(data: bytes | Iterable[bytes], level: int = 6) -> Deflated:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    crc, size, out = 0, 0, bytearray()
    for piece in [data] if isinstance(data, bytes) else data:
        crc = zlib.crc32(piece, crc)
        size += len(piece)
        out += compressor.compress(piece)
    return Deflated(bytes(out + compressor.flush()), crc, size)


def repeated(prefix: bytes, unit: bytes, times: int, suffix: bytes) -> Deflated:
    """``prefix + unit * times + suffix`` deflated without ever being whole.

    After a full flush a deflate stream refers to nothing before it, so the
    unit is compressed once and its blocks are written ``times`` times; the
    CRC is still computed over every uncompressed byte.
    """
    group = max(1, (1 << 20) // len(unit))  # units per compressed block: a flush every megabyte at most
    blocks, rest = divmod(times, group)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(unit * group) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(unit * rest + suffix) + compressor.flush()
    crc = zlib.crc32(prefix)
    for _ in range(blocks):
        crc = zlib.crc32(unit * group, crc)
    crc = zlib.crc32(unit * rest + suffix, crc)
    return Deflated(head + block * blocks + tail, crc, len(prefix) + len(unit) * times + len(suffix))


def workbook(sheet_xml: bytes | Deflated, shared_strings: bytes | Deflated = EMPTY_STRINGS) -> bytes:
    """An XLSX package around one sheet."""
    return zip_package(
        [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/worksheets/sheet1.xml", sheet_xml),
            ("xl/sharedStrings.xml", shared_strings),
        ]
    )


def zip_package(members: Iterable[tuple[str, bytes | Deflated]]) -> bytes:
    """A zip archive of deflated members, written by hand so that nothing checks what they hold."""
    out = bytearray()
    central = bytearray()
    count = 0
    for name, content in members:
        member = content if isinstance(content, Deflated) else deflated(content)
        encoded = name.encode()
        offset = len(out)
        out += _local_header(encoded, member, len(encoded)) + encoded + member.stream
        central += _central_header(encoded, member, offset) + encoded
        count += 1
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), len(out), 0)
    return bytes(out + central + end)


def _local_header(name: bytes, member: Deflated, length: int) -> bytes:
    return struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, member.crc, len(member.stream), member.size, length, 0
    )


def _central_header(name: bytes, member: Deflated, offset: int) -> bytes:
    fields = (0x02014B50, 20, 20, 0, 8, 0, 0x21, member.crc, len(member.stream), member.size, len(name))
    return struct.pack("<IHHHHHHIIIHHHHHII", *fields, 0, 0, 0, 0, 0, offset)


# --- the hostile workbooks ---------------------------------------------------------------


def xlsx_single_cell(ref: str) -> bytes:
    """One number in one cell far away: the reader's grid runs from A1 to that cell."""
    row = int("".join(ch for ch in ref if ch.isdigit()))
    return workbook(sheet(f'<row r="{row}">'.encode() + number_cell(ref, "1") + b"</row>", dimension=f"A1:{ref}"))


FARMER_STRINGS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">'
    + f"<si><t>{FARMER_ROW[0]}</t></si><si><t>{FARMER_ROW[1]}</t></si>".encode()
    + b"</sst>"
)
SHEET_CLOSE = b"</sheetData></worksheet>"


def xlsx_repeated_rows(rows: int = 1_048_575) -> bytes:
    """A good header, then one good farmer row repeated down to the sheet's last row, as writers without
    references save it (each row and cell follows the one before)."""
    unit = (
        b'<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c>'
        + b"".join(b"<c><v>" + value.encode() + b"</v></c>" for value in FARMER_ROW[2:])
        + b"</row>"
    )
    prefix = SHEET_OPEN + b"<sheetData>" + header_row()
    return workbook(repeated(prefix, unit, rows, SHEET_CLOSE), FARMER_STRINGS)


def xlsx_numbered_rows(rows: int = 300_000) -> bytes:
    """300,000 numbered rows of one cell each, under a dimension that claims two rows."""
    body = [SHEET_OPEN + b'<dimension ref="A1:F2"/><sheetData>' + header_row()]
    body += [b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (n, n) for n in range(2, rows + 2)]
    return workbook(deflated([*body, SHEET_CLOSE], level=1))


def xlsx_wide_row_without_references(cells: int = 200_000) -> bytes:
    """One row of 200,000 cells without references: 200,000 columns."""
    prefix = SHEET_OPEN + b"<sheetData>" + header_row() + b"<row>"
    return workbook(repeated(prefix, b"<c><v>1</v></c>", cells, b"</row>" + SHEET_CLOSE))


def xlsx_shared_string_bomb(gib: int = 1) -> bytes:
    """About 1 MB: a shared string of ``gib`` GiB of the letter A (deflate's best ratio is about 1000:1)."""
    prefix = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
    )
    strings = repeated(prefix, b"A" * (1 << 20), gib << 10, b"</t></si></sst>")
    rows = header_row() + b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    return workbook(sheet(rows, dimension="A1:F2"), strings)


def xlsx_shared_string_amplifier(rows: int = 100_000, length: int = 30_000) -> bytes:
    """Half a megabyte within every row and column limit: one shared string of 30,000 characters that
    every row points at. Each cell gets its own copy: 9 GB of text."""
    strings = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        + f"<si><t>{'养' * length}</t></si>".encode()
        + b"</sst>"
    )
    body = [SHEET_OPEN + f'<dimension ref="A1:F{rows + 1}"/>'.encode() + b"<sheetData>" + header_row()]
    body += [b'<row r="%d"><c r="A%d" t="s"><v>0</v></c></row>' % (n, n) for n in range(2, rows + 2)]
    return workbook(deflated([*body, SHEET_CLOSE], level=1), strings)


def xlsx_with_doctype() -> bytes:
    """A 'billion laughs' DTD in the sheet: entities that expand to entities."""
    entities = b"".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(9))
    dtd = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">' + entities + b"]>"
    rows = header_row() + b'<row r="2"><c r="A2" t="inlineStr"><is><t>&j;</t></is></c></row>'
    return workbook(sheet(rows, prolog=dtd))


def xlsx_with_external_entity() -> bytes:
    """An external entity that would read a file of the server, in the shared strings."""
    strings = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<!DOCTYPE sst [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        b"<si><t>&secret;</t></si></sst>"
    )
    rows = header_row() + b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    return workbook(sheet(rows), strings)


def xlsx_many_members(count: int = 20_000) -> bytes:
    """A valid workbook with 20,000 extra tiny members."""
    members: list[tuple[str, bytes | Deflated]] = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/worksheets/sheet1.xml", sheet(header_row())),
    ]
    members += [(f"xl/media/pad{i}.xml", b"<a/>") for i in range(count)]
    return zip_package(members)


# --- CSV -----------------------------------------------------------------------------------


def csv_text(headers: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    return "".join(",".join(cells) + "\n" for cells in [tuple(headers), *map(tuple, rows)])


def csv_million_columns() -> bytes:
    """About 2 MB: a header row of a million empty columns."""
    return b"name" + b"," * 1_000_000 + b"\n"


def csv_wide_data_row() -> bytes:
    """A good header, then a data row of a million fields (the header's width says nothing of it)."""
    return csv_text(FARMER_HEADERS, [FARMER_ROW]).encode() + b"x" + b",x" * 1_000_000 + b"\n"


def csv_blank_lines(megabytes: int = 8) -> bytes:
    """A header and eight million blank lines."""
    return csv_text(FARMER_HEADERS, []).encode() + b"\n" * (megabytes << 20)


BIG5_NAMES = ("陳大文", "黃志強", "張偉傑", "林淑芬", "劉建國")


def csv_big5() -> bytes:
    """A farmer list in Big5 (traditional Chinese): English headers, names such as 陳大文 and the breed 養殖戶."""
    ids = (ID_A, ID_B, ID_C, resident_id_with_check("11010519491231002"), resident_id_with_check("44030019900101123"))
    cells = ("13812345678", "100000", "350000", "80")
    rows = [(name, number, *cells) for name, number in zip(BIG5_NAMES, ids, strict=True)]
    text = csv_text((*FARMER_HEADERS, "breed"), [(*row, "養殖戶") for row in rows])
    return text.encode("big5")


def csv_big5_one_name() -> bytes:
    """The smallest case: one row, one name in Big5."""
    text = csv_text(FARMER_HEADERS, [("陳大文", ID_A, "13812345678", "100000", "350000", "80")])
    return text.encode("big5")


def farmer_csv_with(**changes: str) -> bytes:
    """Two farmer rows, the second with some cells replaced (e.g. a 23-digit amount)."""
    second = dict(zip(FARMER_HEADERS, ("黄志强", ID_B, "13912345678", "200000", "500000", "70"), strict=True))
    second.update(changes)
    return csv_text(FARMER_HEADERS, [FARMER_ROW, tuple(second.values())]).encode()


TRADE_HEADERS = ("id_number", "order_no", "order_date", "amount")
EVENT_HEADERS = ("subject_id", "event_type", "event_date", "value", "detail", "event_id")


def trades_csv(*rows: tuple[str, str, str, str]) -> bytes:
    good = (ID_A, "HT-1", "2027-01-15", "1000.00")
    return csv_text(TRADE_HEADERS, [good, *rows]).encode()


def events_csv(*rows: tuple[str, str, str, str, str, str]) -> bytes:
    good = (ID_A, "litigation", "2027-01-15", "", "", "HE-1")
    return csv_text(EVENT_HEADERS, [good, *rows]).encode()


SAME = "same"


@dataclass(frozen=True)
class Hostile:
    """A file refused as a whole: the code of the answer for a farmer list and for a provider file.

    ``provider_code`` is the code of the provider imports (which accept far more rows); ``None`` when the
    file means nothing there.
    """

    name: str
    build: Callable[[], bytes]
    code: str
    filename: str
    provider_code: str | None = SAME

    @property
    def provider(self) -> str | None:
        return self.code if self.provider_code == SAME else self.provider_code


WHOLE_FILE_REFUSALS = (
    Hostile("cell XFD1048576 (1.6 KB)", lambda: xlsx_single_cell("XFD1048576"), "too_many_columns", "xfd.xlsx"),
    Hostile("cell ALL200000", lambda: xlsx_single_cell("ALL200000"), "too_many_columns", "all.xlsx"),
    Hostile("cell A1048576", lambda: xlsx_single_cell("A1048576"), "file_too_large", "far.xlsx", "unsafe_file"),
    Hostile("1,048,575 repeated rows", xlsx_repeated_rows, "unsafe_file", "repeated.xlsx"),
    Hostile("300,000 rows under a dimension of 2", xlsx_numbered_rows, "file_too_large", "numbered.xlsx", None),
    Hostile("a row of cells without references", xlsx_wide_row_without_references, "too_many_columns", "wide.xlsx"),
    Hostile("zip bomb: 1 GiB shared string", xlsx_shared_string_bomb, "unsafe_file", "bomb.xlsx"),
    Hostile("one long shared string in every row", xlsx_shared_string_amplifier, "unsafe_file", "amplifier.xlsx"),
    Hostile("DOCTYPE with nested entities", xlsx_with_doctype, "unsafe_file", "laughs.xlsx"),
    Hostile("external entity", xlsx_with_external_entity, "unsafe_file", "xxe.xlsx"),
    Hostile("20,000 zip members", xlsx_many_members, "unsafe_file", "members.xlsx"),
    Hostile("CSV header of a million columns", csv_million_columns, "too_many_columns", "columns.csv"),
    Hostile("CSV data row of a million fields", csv_wide_data_row, "too_many_columns", "wide.csv"),
    Hostile("CSV of 8 million blank lines", csv_blank_lines, "file_too_large", "blank.csv"),
    Hostile("Big5 CSV (陳大文, 養殖戶)", csv_big5, "unreadable_encoding", "big5.csv"),
    Hostile("Big5 CSV, one name", csv_big5_one_name, "unreadable_encoding", "big5-one.csv"),
)
