"""The district reports: built from the pages' own queries, the monthly one in the full GB/T 9704
layout, scheduled runs archived and announced through the notification centre."""
from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import docx
import pytest
from openpyxl import load_workbook

from chengyun.core.models import Notification
from chengyun.people import roles as R
from chengyun.reports import kinds, schedules
from chengyun.reports.docx import heading_texts
from chengyun.reports.models import ReportRun, ReportSchedule
from support import grid_center

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
G1, G_OTHER = "630109001001001", "630109002002004"


@pytest.fixture
def cases_in_may(make_user, monkeypatch):
    """Three cases in street 1 and one in street 2, all reported and filed (立案) in May 2026."""
    from chengyun.cases import services
    from chengyun.cases.models import FilingCondition

    services.load_seed_catalogue()
    acceptor = make_user(R.OPS_ACCEPTOR)
    grid = make_user(R.COMMUNITY_GRID_WORKER, unit="S01", grids=[G1])
    other = make_user(R.COMMUNITY_GRID_WORKER, unit="S02", grids=[G_OTHER])
    made = []
    for i, (user, g) in enumerate([(grid, G1), (grid, G1), (grid, G1), (other, G_OTHER)]):
        monkeypatch.setattr(services.clocks, "current_time", lambda i=i: dt.datetime(2026, 5, 4 + i, 10, 0, tzinfo=SH))
        lng, lat = grid_center(g)
        case = services.report(user, source="community_grid_worker", category_code="0113", category_kind="event",
                               lng=lng, lat=lat, description=f"路面坑洼{i}")
        case = services.transition(acceptor, case, "accept")
        cond = FilingCondition.objects.filter(category=case.category).first()
        made.append(services.transition(acceptor, case, "file", condition_id=cond.pk))
    monkeypatch.undo()
    return made


@pytest.fixture
def leader(make_user):
    return make_user(R.DISTRICT_LEADER)


def test_the_report_centre_offers_the_district_kinds_with_their_schedules(api_client, leader):
    body = {k["key"]: k for k in api_client.as_user(leader).get("reports/kinds").json()}
    assert {"district-daily", "district-weekly", "district-monthly", "supervision-monthly", "health-check"} <= set(body)
    assert body["district-monthly"]["schedule"]["frequency"] == "monthly"
    assert body["supervision-monthly"]["schedule"] is None  # registered before schedules existed: still works, on demand


def test_monthly_report_figures_equal_the_evaluation_page(api_client, client, leader, cases_in_may):
    made = api_client.as_user(leader).post("reports/generate", {"kind": "district-monthly", "options": {"month": "2026-05"}})
    assert made.status_code == 201, made.content
    run = ReportRun.objects.get(pk=made.json()["id"])
    assert run.generated_by == leader
    page = client.get("/cases/evaluation/", {"period": "custom", "start": "2026-05-01", "end": "2026-05-31"})
    on_page = {a.name: a.cases for a in page.context["streets"]}
    assert run.summary["streets"] == on_page
    assert sorted(on_page.values()) == [1, 3] and run.summary["cases"] == 4
    sheet = load_workbook(io.BytesIO(run.xlsx.read()))["街道案件"]
    assert {r[0]: r[1] for r in sheet.iter_rows(min_row=3, values_only=True)} == on_page


def test_monthly_docx_has_the_gbt_9704_parts(leader, cases_in_may):
    from chengyun.reports import services

    run, generated = services.generate_for(leader, "district-monthly", {"month": "2026-05"})
    d = docx.Document(io.BytesIO(generated.docx))
    texts = [p.text for p in d.paragraphs]
    masthead = next(p for p in d.paragraphs if p.text.endswith("文件"))
    assert str(masthead.runs[0].font.color.rgb) == "E60012"  # 发文机关标志 in red
    assert any("城运〔2026〕5号" in t for t in texts)  # 文号
    assert "关于2026年5月全区城市运行情况的通报" in texts
    assert any(t.startswith("各街道办事处") and t.endswith("：") for t in texts)  # 主送
    assert heading_texts(d)[:4] == ["一、城市管理案件", "二、重点任务督办", "三、水环境", "四、下月工作安排"]
    assert len(d.tables) >= 1 and len(d.inline_shapes) >= 2  # tables and charts (street bars, task pie)
    footer = d.sections[0].footer._element.xml
    assert "PAGE" in footer  # page numbers
    assert any(t.startswith("抄送") for t in texts)


def test_any_past_period_regenerates_and_every_run_is_kept(leader):
    from chengyun.reports import services

    services.generate_for(leader, "district-daily", {"date": "2025-11-03"})
    services.generate_for(leader, "district-daily", {"date": "2025-11-03"})
    assert ReportRun.objects.filter(kind="district-daily", period="2025-11-03").count() == 2


def test_generating_needs_the_desk_or_a_leader_and_a_valid_period(api_client, make_user, leader):
    handler = make_user(R.DEPT_HANDLER, unit="D01")
    assert api_client.as_user(handler).post("reports/generate", {"kind": "district-daily", "options": {"date": "2026-05-04"}}).status_code == 403
    bad = api_client.as_user(leader).post("reports/generate", {"kind": "district-daily", "options": {"date": "5月4日"}})
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "date"
    assert api_client.post("reports/generate", {"kind": "nope"}).json()["code"] == "unknown_kind"
    assert not ReportRun.objects.exists()


def test_weekly_pack_has_agenda_and_data(leader, cases_in_may):
    from chengyun.reports import services

    run, generated = services.generate_for(leader, "district-weekly", {"date": "2026-05-06"})
    assert run.period == "2026-05-04" and run.summary["cases"] == 4  # 4–7 May, all in the week of 4 May
    assert heading_texts(docx.Document(io.BytesIO(generated.docx)))[:2] == ["一、会商议题", "二、本周城市管理案件"]


def test_scheduled_run_archives_once_and_notifies_the_audience(leader, make_user, api_client):
    handler = make_user(R.DEPT_HANDLER, unit="D01")
    schedules.set_schedule(leader, "district-daily", frequency="daily", at="18:00", recipients=[R.DISTRICT_LEADER])
    before = dt.datetime(2026, 5, 6, 17, 0, tzinfo=SH)
    assert schedules.run_due(before) == []
    due = dt.datetime(2026, 5, 6, 18, 5, tzinfo=SH)
    [run] = [r for r in schedules.run_due(due) if r.kind == "district-daily"]
    assert run.period == "2026-05-06" and run.source == "job" and run.generated_by is None
    assert not [r for r in schedules.run_due(due + dt.timedelta(minutes=15)) if r.kind == "district-daily"]
    n = Notification.objects.get(recipient=leader, kind="report_ready", title__contains="日调度简报")
    assert n.url == f"/reports/{run.pk}/docx"
    assert not Notification.objects.filter(recipient=handler).exists()
    assert ReportSchedule.objects.get(kind="district-daily").last_period == "2026-05-06"


def test_schedules_are_set_by_generators_and_checked(api_client, leader, make_user):
    api_client.as_user(leader)
    ok = api_client.put("reports/kinds/district-weekly/schedule", {"frequency": "weekly", "day": 1, "at": "08:30", "recipients": [R.OPS_SHIFT_LEADER]})
    assert ok.status_code == 200 and ok.json()["schedule"]["day"] == 1
    assert api_client.put("reports/kinds/district-weekly/schedule", {"frequency": "weekly", "day": 9, "at": "08:30"}).json()["code"] == "bad_day"
    assert api_client.put("reports/kinds/supervision-monthly/schedule", {"frequency": "monthly", "at": "08:30"}).json()["code"] == "not_schedulable"
    handler = make_user(R.DEPT_HANDLER, unit="D01")
    assert api_client.as_user(handler).put("reports/kinds/district-weekly/schedule", {"frequency": "daily", "at": "08:30"}).status_code == 403


def test_a_kind_registered_the_old_way_still_works():
    kind = kinds.ReportKind("test-old", "旧式报告", lambda p: None, lambda o: kinds.Generated(title="t", period="p", docx=b"x"))
    assert kind.default_options is None and schedules.plan_for(kind) is None


def test_schedules_read_as_the_leader_says_them(leader):
    plans = {p.kind: schedules.describe(p) for p in schedules.plans()}
    assert plans["district-weekly"] == "每周五 16:00" and plans["district-monthly"] == "每月1日 09:00"
    assert plans["district-daily"] == "每日 18:30"
