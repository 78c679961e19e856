"""The report centre's schedule form (issue 14 §3): the roles of services.GENERATORS create, change
and pause a kind's schedule through schedules.set_schedule, as the API does; bad input re-renders
naming the field with nothing stored; other roles see no link and are refused."""
import datetime as dt
import re

import pytest

from chengyun.people import roles as R
from chengyun.reports import schedules
from chengyun.reports.models import ReportSchedule

pytestmark = pytest.mark.django_db
KIND = "district-weekly"  # registered by briefing: weekly 5 16:00 until someone changes it


def _plan(key=KIND):
    return {p.kind: p for p in schedules.plans()}[key]


def _err(resp) -> tuple[str, str]:
    html = resp.content.decode()
    m = re.search(r'id="form-error" data-field="([^"]*)"[^>]*>(.*?)</p>', html, re.S)
    assert m, html[:2000]
    return m.group(1), re.sub(r"<[^>]+>", "", m.group(2))


def test_a_shift_leader_changes_a_schedule_and_pauses_and_resumes_it(client, make_user):
    client.force_login(make_user(R.OPS_SHIFT_LEADER))
    centre = client.get("/reports/centre/").content.decode()
    assert f'href="/reports/centre/{KIND}/schedule/"' in centre and 'id="schedule-research-report"' not in centre  # on demand only: no schedule
    form = client.get(f"/reports/centre/{KIND}/schedule/").content.decode()
    assert 'value="16:00"' in form and 'name="recipients" value="district_leader" checked' in form
    resp = client.post(f"/reports/centre/{KIND}/schedule/", {"enabled": "on", "frequency": "weekly", "day": "1", "at": "08:30",
                                                             "recipients": [R.DISTRICT_LEADER, R.OPS_DISPATCHER]})
    assert resp.status_code == 302
    p = _plan()
    assert (p.enabled, p.frequency, p.day, p.at, p.recipients) == (True, "weekly", 1, dt.time(8, 30), (R.DISTRICT_LEADER, R.OPS_DISPATCHER))
    assert client.post(f"/reports/centre/{KIND}/schedule/", {"form": "toggle", "enabled": "false"}).status_code == 302
    p = _plan()
    assert (p.enabled, p.frequency, p.day, p.at) == (False, "weekly", 1, dt.time(8, 30))  # paused, the plan kept
    assert "已停用" in client.get("/reports/centre/").content.decode()
    assert not [r for r in schedules.run_due(dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))) if r.kind == KIND]
    assert client.post(f"/reports/centre/{KIND}/schedule/", {"form": "toggle", "enabled": "true"}).status_code == 302
    assert _plan().enabled


def test_a_bad_schedule_is_refused_naming_the_field(client, make_user):
    client.force_login(make_user(R.DISTRICT_LEADER))
    resp = client.post(f"/reports/centre/{KIND}/schedule/", {"enabled": "on", "frequency": "weekly", "day": "9", "at": "08:30"})
    assert resp.status_code == 422
    field, text = _err(resp)
    assert field == "day" and text.startswith("日") and "1 到 7" in text
    assert re.search(r'name="day"[^>]*aria-invalid="true"', resp.content.decode()) and 'value="9"' in resp.content.decode()
    resp = client.post(f"/reports/centre/{KIND}/schedule/", {"enabled": "on", "frequency": "daily", "at": "25:99"})
    assert _err(resp)[0] == "at" and resp.status_code == 422
    assert not ReportSchedule.objects.exists()
    assert _plan().at == dt.time(16, 0)


def test_a_role_outside_the_generators_sees_no_schedule_link_and_is_refused(client, make_user):
    client.force_login(make_user(R.DEPT_HANDLER, unit="D01"))
    assert "/schedule/" not in client.get("/reports/centre/").content.decode()
    assert client.get(f"/reports/centre/{KIND}/schedule/").status_code == 403
    assert client.post(f"/reports/centre/{KIND}/schedule/", {"enabled": "on", "frequency": "daily", "at": "07:00"}).status_code == 403
    assert client.post(f"/reports/centre/{KIND}/schedule/", {"form": "toggle", "enabled": "false"}).status_code == 403
    assert not ReportSchedule.objects.exists()


def test_a_kind_that_is_only_made_on_demand_has_no_schedule_page(client, make_user):
    client.force_login(make_user(R.SYSADMIN))
    assert client.get("/reports/centre/research-report/schedule/").status_code == 404
    assert client.get("/reports/centre/no-such-kind/schedule/").status_code == 404


def test_the_schedule_form_reads_in_chinese_and_in_english(client, make_user):
    from chengyun.core.i18n_check import english_words

    client.force_login(make_user(R.OPS_DISPATCHER))
    for url in ("/reports/centre/", f"/reports/centre/{KIND}/schedule/"):
        resp = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert resp.status_code == 200 and english_words(resp.content.decode()) == set(), url
    resp = client.post(f"/reports/centre/{KIND}/schedule/", {"enabled": "on", "frequency": "weekly", "day": "0", "at": "08:00"}, HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 422 and "Roles notified when generated" in resp.content.decode()
