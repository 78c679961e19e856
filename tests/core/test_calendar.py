"""The deadline endpoint and administrators' per-date overrides of the working calendar."""
import pytest

from chengyun.core.models import AuditEntry
from chengyun.people import roles as R

pytestmark = pytest.mark.django_db


def deadline(api_client, start, amount, unit):
    r = api_client.get("calendar/deadline", {"start": start, "amount": amount, "unit": unit})
    assert r.status_code == 200, r.content
    return r.json()["deadline"]


def test_deadline_across_national_day(make_user, api_client):
    api_client.as_user(make_user(R.OPS_DISPATCHER))
    # 2025-09-30 (Tue) 16:00 + 4 working hours: 2 h that day, then 国庆 1–8 Oct, 2 h on Thu 9 Oct.
    assert deadline(api_client, "2025-09-30T16:00:00+08:00", 4, "work_hour") == "2025-10-09T10:00:00+08:00"
    assert deadline(api_client, "2025-09-30T16:00:00+08:00", 4, "urgent_hour") == "2025-09-30T20:00:00+08:00"
    assert deadline(api_client, "2025-09-30T16:00:00+08:00", 2, "natural_day") == "2025-10-02T16:00:00+08:00"
    # 2025-09-28 was a Sunday worked in exchange (调休): a Friday 17:00 start continues on it.
    assert deadline(api_client, "2025-09-26T17:00:00+08:00", 2, "work_hour") == "2025-09-28T09:00:00+08:00"
    # Input in UTC comes back in +08:00.
    assert deadline(api_client, "2025-09-30T08:00:00Z", 1, "work_day") == "2025-10-09T16:00:00+08:00"


def test_deadline_errors_are_chinese_and_machine_readable(make_user, api_client):
    api_client.as_user(make_user(R.OPS_DISPATCHER))
    r = api_client.get("calendar/deadline", {"start": "2025-09-30T16:00:00", "amount": 4, "unit": "work_hour"})
    assert r.status_code == 422 and r.json()["code"] == "bad_start" and "时区" in r.json()["message"]
    r = api_client.get("calendar/deadline", {"start": "2025-09-30T16:00:00+08:00", "amount": 4, "unit": "fortnight"})
    assert r.status_code == 422 and r.json()["code"] == "bad_unit"
    r = api_client.get("calendar/deadline", {"start": "2025-09-30T16:00:00+08:00", "amount": -1, "unit": "work_hour"})
    assert r.status_code == 422 and r.json()["code"] == "bad_amount"


def test_override_changes_deadlines_and_is_audited(make_user, api_client):
    api_client.as_user(make_user(R.OPS_SHIFT_LEADER))
    start = "2030-01-07T16:00:00+08:00"  # a Monday
    assert deadline(api_client, start, 4, "work_hour") == "2030-01-08T10:00:00+08:00"
    r = api_client.put("calendar/overrides/2030-01-08", {"is_workday": False, "note": "临时放假"})
    assert r.status_code == 200
    assert deadline(api_client, start, 4, "work_hour") == "2030-01-09T10:00:00+08:00"
    days = {d["date"]: d for d in api_client.get("calendar/days", {"month": "2030-01"}).json()}
    assert days["2030-01-08"] == {"date": "2030-01-08", "is_workday": False, "overridden": True}
    assert AuditEntry.objects.filter(object_type="core.calendaroverride", action="create").count() == 1
    assert api_client.delete("calendar/overrides/2030-01-08").status_code == 204
    for r in (api_client.put("calendar/overrides/2030-01-32", {"is_workday": False}), api_client.delete("calendar/overrides/明天")):
        assert r.status_code == 422 and (r.json()["code"], r.json()["message"]) == ("bad_date", "日期应为 YYYY-MM-DD")
    assert deadline(api_client, start, 4, "work_hour") == "2030-01-08T10:00:00+08:00"


def test_only_administrators_and_shift_leaders_override(make_user, api_client):
    api_client.as_user(make_user(R.OPS_DISPATCHER))
    r = api_client.put("calendar/overrides/2030-01-08", {"is_workday": False})
    assert r.status_code == 403 and "工作日历" in r.json()["message"]
