"""The batch review at 1366 px: names on one line, the decision column inside the window."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.business_date import business_date_set
from tests.conftest import api_as
from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD, make_anchor, make_program, make_trades, resident_id_with_check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分\n"
NAMES = ("欧阳建国", "司马春兰", "诸葛玉成", "上官秀英", "王伟")


def test_the_review_table_fits_1366_pixels(live_server, users, page):
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    anchor = make_anchor(users["manager"], approver=users["approver"])
    program = make_program(anchor, users["approver"])
    lines = []
    for index, name in enumerate(NAMES):
        number = resident_id_with_check(f"51152119700819{index:03d}")
        # every farmer but the last declares three times his verified orders: a mismatch to decide
        make_trades(anchor, number, [(dt.date(2026, 9, 1), "1000000.00")], prefix=f"W{index}")
        declared = "1000000" if index == len(NAMES) - 1 else "3000000"
        lines.append(f"{name},{number},1381234567{index},2500000,{declared},80\n")
    manager = api_as(users["manager"])
    response = manager.post(
        f"/api/v1/programs/{program.pk}/batches/",
        {"farmer_list": SimpleUploadedFile("l.csv", (HEADER + "".join(lines)).encode())},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    batch = response.json()["id"]
    assert manager.post(f"/api/v1/batches/{batch}/process/").status_code == 200

    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server.url, "manager", PASSWORD)
    page.goto(f"{live_server.url}/batches/{batch}/review/")
    table = page.get_by_test_id("review-table")
    assert table.locator("form").count() == len(NAMES) - 1  # the decision forms are there
    screenshot(page, "batch-review-1366")

    # the table needs no sideways scrolling in its frame
    frame = table.locator("xpath=..")
    assert frame.evaluate("(div) => div.scrollWidth <= div.clientWidth")

    # the decision column, header and every cell, ends inside the window, with no scrolling
    for cell in table.locator("tr > :last-child").all():
        box = cell.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1366, cell.inner_text()
    # each name is one line: an inline link broken over lines has one box per line
    for name in NAMES:
        link = table.get_by_role("link", name=name)
        assert link.evaluate("(a) => a.getClientRects().length") == 1, name
