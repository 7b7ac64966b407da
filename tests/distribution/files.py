"""Small list files for the tests (CSV bytes, UTF-8)."""

from __future__ import annotations

from collections.abc import Sequence

from tests.factories import resident_id_with_check

PREAPPROVED_HEADER = "客户号,姓名,身份证号,手机号,开户日期,预授信额度,网点代码\n"


def preapproved_csv(rows: Sequence[Sequence[str]] | None = None) -> bytes:
    """经营快贷's pre-approved list; by default two good customers."""
    if rows is None:
        rows = [
            ("C0001", "王建国", resident_id_with_check("51152119750301123"), "13800001111", "2019-05-01", "200000", ""),
            ("C0002", "李秀英", resident_id_with_check("51152119800715224"), "13900002222", "2020-01-10", "15万", ""),
        ]
    return (PREAPPROVED_HEADER + "".join(",".join(row) + "\n" for row in rows)).encode()


def merchant_csv(rows: Sequence[Sequence[str]]) -> bytes:
    header = "商户编号,商户名称,联系人手机号,类别,商圈或市场,法人身份证号,网点代码\n"
    return (header + "".join(",".join(row) + "\n" for row in rows)).encode()


def client_csv(rows: Sequence[tuple[str, str]]) -> bytes:
    return ("姓名,身份证号\n" + "".join(f"{name},{number}\n" for name, number in rows)).encode()


def results_csv(rows: Sequence[Sequence[str]]) -> bytes:
    return ("名单编号,呼叫时间,结果代码,备注\n" + "".join(",".join(row) + "\n" for row in rows)).encode()
