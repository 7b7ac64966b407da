import datetime as dt

from core.calendar import is_month_end, last_full_quarter, month_end, quarter_label, quarter_of


def test_month_end_handles_february_of_leap_years():
    assert month_end(dt.date(2028, 2, 3)) == dt.date(2028, 2, 29)
    assert month_end(dt.date(2027, 2, 3)) == dt.date(2027, 2, 28)
    assert is_month_end(dt.date(2027, 12, 31)) and not is_month_end(dt.date(2027, 12, 30))


def test_quarters():
    assert quarter_of(dt.date(2027, 5, 17)) == (dt.date(2027, 4, 1), dt.date(2027, 6, 30))
    assert last_full_quarter(dt.date(2027, 3, 1)) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert last_full_quarter(dt.date(2027, 4, 1)) == (dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    assert quarter_label(dt.date(2027, 11, 30)) == "2027Q4"
