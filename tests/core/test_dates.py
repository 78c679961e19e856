"""core.dates.parse_date: the one reading of a typed date, each caller keeping its own message."""
import datetime as dt

import pytest

from chengyun.core.dates import parse_date
from chengyun.core.errors import Invalid


def test_an_iso_date_is_read_and_an_empty_optional_one_is_none():
    assert parse_date("2026-04-02", "x") == dt.date(2026, 4, 2)
    assert parse_date("", "x", optional=True) is None and parse_date(None, "x", optional=True) is None


@pytest.mark.parametrize("text", ["", None, "2026-02-30", "明天"])
def test_anything_else_is_a_422_with_the_callers_message(text):
    with pytest.raises(Invalid) as e:
        parse_date(text, "会议日期格式有误", field="date")
    assert e.value.status == 422 and e.value.as_dict() == {"code": "bad_date", "message": "会议日期格式有误", "detail": {"field": "date"}}
    with pytest.raises(Invalid) as e:
        parse_date(text, "日期应为 YYYY-MM-DD", code="bad_day")
    assert (e.value.code, e.value.detail) == ("bad_day", None)
