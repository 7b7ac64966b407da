import datetime as dt

import pytest

from core.business_date import business_date_set
from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD, make_anchor, make_anchor_operator, make_program, resident_id_with_check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_anchor_clerk_uploads_a_list_and_sees_the_row_errors(live_server, users, page, tmp_path):
    # given an anchor clerk and a programme of his enterprise
    business_date_set(new_date=dt.date(2027, 3, 1), backwards_allowed=True)
    anchor = make_anchor(users["manager"], approver=users["approver"])
    program = make_program(anchor, users["approver"])
    make_anchor_operator("clerk", anchor)
    good = resident_id_with_check("51152119700819196")
    listing = tmp_path / "融资客户清单.csv"
    listing.write_bytes(
        (
            "姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分\n"
            f'胡磊涛,{good},13812345678,120万,"1,200,000.00",85\n'
            "马丽军,510181196804133039,13812345678,500000,800000,85\n"
            f"黄伟明,{resident_id_with_check('51012419690919365')},12345,500000,800000,101\n"
        ).encode("gbk")
    )

    # when he uploads it through the page
    log_in(page, live_server.url, "clerk", PASSWORD)
    page.goto(f"{live_server.url}/programs/{program.pk}/upload/")
    page.locator("#farmerList").set_input_files(str(listing))
    assert "融资客户清单.csv" in page.locator("[data-filename=farmerList]").inner_text()
    page.get_by_role("button", name="上传并校验").click()
    page.wait_for_url("**/batches/*/")

    # then the batch page shows the counts and a row-error table in Chinese
    assert page.get_by_test_id("rows-total").inner_text() == "3"
    assert page.get_by_test_id("rows-valid").inner_text() == "1"
    table = page.get_by_test_id("row-errors")
    assert "身份证号码校验位不正确" in table.inner_text()
    assert "不是有效的大陆手机号码" in table.inner_text()
    assert "打分卡得分应为" in table.inner_text()
    screenshot(page, "batch-upload-errors")
