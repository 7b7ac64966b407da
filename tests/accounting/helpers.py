"""What the accounting tests share: a confirmation file as the core writes it."""

from __future__ import annotations

import datetime as dt


def confirmation_csv(rows: list[tuple[object, ...]], *, encoding: str = "utf-8-sig") -> bytes:
    """(instruction number, loan id, core reference, amount, status, date) per row, Chinese headers."""
    lines = ["指令编号,贷款编号,核心放款流水号,确认金额,处理结果,处理日期,失败原因"]
    for row in rows:
        cells = [value.isoformat() if isinstance(value, dt.date) else str(value) for value in row]
        lines.append(",".join(cells + [""] * (7 - len(cells))))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
