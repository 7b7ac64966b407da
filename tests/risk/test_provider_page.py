"""The provider-data page: a file delivery and an outbreak entered by staff."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.business_date import business_date_set
from risk.models import Outbreak, TradeRecord
from tests.factories import make_anchor, resident_id_with_check


def test_staff_import_a_trade_file_and_record_an_outbreak(users):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    anchor = make_anchor(users["manager"], approver=users["approver"])
    client = Client()
    client.force_login(users["manager"])
    number = resident_id_with_check("51152119700819196")
    content = f"身份证号,订单号,订单日期,订单金额\n{number},TQ1,2027-02-13,1000.00\n{number},TQ2,2027-13-01,5\n"
    content = content.encode("gbk")
    page = client.post(
        "/provider-data/",
        {"kind": "trades", "anchor": anchor.pk, "file": SimpleUploadedFile("t.csv", content)},
    ).content.decode()
    assert TradeRecord.objects.count() == 1
    assert 'data-testid="provider-errors"' in page
    outbreak = {"kind": "outbreak", "region_code": "511521", "disease": "非洲猪瘟", "declared_on": "2027-02-20"}
    client.post("/provider-data/", outbreak)
    assert Outbreak.objects.get().region_code == "511521"
