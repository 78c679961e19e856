"""The pages render for the roles that use them and their forms go through the services."""
import datetime as dt

from django.utils import timezone

from chengyun.reports.models import ReportRun
from chengyun.supervision.models import DailyEntry, Decision, Meeting


def test_board_and_detail(client, ops, road_task):
    client.force_login(ops)
    r = client.get("/supervision/", {"category": "road_collapse"})
    assert r.status_code == 200 and "道路塌陷隐患整改" in r.content.decode()
    r = client.get(f"/supervision/tasks/{road_task.pk}/")
    page = r.content.decode()
    assert r.status_code == 200 and "隐患排查" in page and 'class="gantt"' in page and "销号" in page


def test_other_unit_gets_404_and_the_board_hides_the_task(client, road_task, handler_d02):
    client.force_login(handler_d02)
    assert client.get(f"/supervision/tasks/{road_task.pk}/").status_code == 404
    assert f"/supervision/tasks/{road_task.pk}/" not in client.get("/supervision/").content.decode()


def test_daily_entry_form(client, road_task, handler_d01, monkeypatch):
    from chengyun.supervision import services

    today = timezone.localdate()
    monkeypatch.setattr(services.dates, "today", lambda: today)
    road_task.start_date = min(road_task.start_date, today)
    road_task.save()
    client.force_login(handler_d01)
    r = client.get("/supervision/daily/entry/")
    assert r.status_code == 200 and road_task.title in r.content.decode()
    m1 = road_task.milestones.first()
    r = client.post("/supervision/daily/entry/", {"task": road_task.pk, "work_done": "排查 3 公里", f"m{m1.pk}": "15", "coordination": "请交警配合"})
    assert r.status_code == 302
    entry = DailyEntry.objects.get()
    assert entry.milestone_progress == {str(m1.pk): 15} and entry.coordination == "请交警配合"
    r = client.post("/supervision/daily/entry/", {"task": road_task.pk, "work_done": ""}, follow=True)
    assert "请填写当日工作情况" in r.content.decode()


def test_daily_board_and_brief(client, ops, road_task):
    client.force_login(ops)
    day = "2026-03-10"
    r = client.get("/supervision/daily/", {"date": day})
    assert r.status_code == 200 and "未报" in r.content.decode()
    # Both pages step through the days with the same picker.
    assert 'href="?date=2026-03-09"' in r.content.decode() and 'href="?date=2026-03-11"' in r.content.decode()
    r = client.get("/supervision/daily/brief/", {"date": day})
    assert r.status_code == 200 and "日调度简报" in r.content.decode()
    assert 'href="?date=2026-03-09"' in r.content.decode() and 'value="2026-03-10"' in r.content.decode()
    r = client.get("/supervision/daily/brief/", {"date": day, "format": "docx"})
    assert r["Content-Type"].startswith("application/vnd.openxmlformats") and r.content[:2] == b"PK"


def test_meeting_pages(client, ops, road_task, units, fixed_today):
    fixed_today(dt.date(2026, 4, 2))
    client.force_login(ops)
    r = client.post("/supervision/meetings/", {"date": "2026-04-02", "chair": "副区长"})
    meeting = Meeting.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/supervision/meetings/{meeting.pk}/")
    item = meeting.items.get()
    r = client.post(f"/supervision/meetings/{meeting.pk}/", {"what": "record", "chair": "副区长", "attendees": "城管局", f"item{item.pk}": "倒排工期"})
    assert r.status_code == 302
    r = client.post(f"/supervision/meetings/{meeting.pk}/", {"what": "decision", "text": "城管局4月9日前提交赶工计划", "owner_unit": "D01",
                                                              "deadline": "2026-04-09", "item": item.pk})
    decision = Decision.objects.get()
    assert decision.action_task.lead_unit.code == "D01"
    page = client.get(f"/supervision/meetings/{meeting.pk}/").content.decode()
    assert "倒排工期" in page and decision.action_task.code in page


def test_monthly_page_generates_into_the_archive(client, ops, road_task, fixed_today):
    fixed_today(dt.date(2026, 4, 10))
    client.force_login(ops)
    r = client.post("/supervision/monthly/", {"month": "2026-03"})
    assert r.status_code == 302
    run = ReportRun.objects.get(kind="supervision-monthly", period="2026-03")
    archive = client.get("/reports/").content.decode()
    assert run.title in archive
    r = client.get(f"/reports/{run.pk}/docx")
    assert r.status_code == 200 and b"".join(r.streaming_content)[:2] == b"PK"


def test_import_page_for_ops_only(client, ops, handler_d01):
    client.force_login(handler_d01)
    assert client.get("/supervision/tasks/import/").status_code == 403
    client.force_login(ops)
    assert client.get("/supervision/tasks/import/").status_code == 200
    r = client.get("/supervision/tasks/import/", {"template": 1})
    assert r.content[:2] == b"PK"


def test_projects_pages(client, ops, units):
    from chengyun.supervision import services

    project = services.create_stalled_project(ops, name="锦华苑二期", developer="锦华置业", lead_unit=units["D02"], households=386, blockers=["funding"])
    client.force_login(ops)
    assert "锦华苑二期" in client.get("/supervision/projects/").content.decode()
    assert "资金缺口" in client.get(f"/supervision/projects/{project.pk}/").content.decode()


def test_metric_breakdown_on_the_task_page(client, ops, units, fixed_today):
    from chengyun.supervision import metrics, services

    metrics.register("test.surveyed", "道路排查覆盖率", lambda as_of: {"630109001": (3.0, 4.0), "630109002": (1.0, 4.0)})
    try:
        task = services.create_task(ops, title="全区道路排查", source="superior", category="road_collapse", lead_unit=units["D01"],
                                    start_date=dt.date(2026, 3, 1), deadline=dt.date(2026, 5, 31), metric_key="test.surveyed")
        client.force_login(ops)
        page = client.get(f"/supervision/tasks/{task.pk}/").content.decode()
        assert "道路排查覆盖率" in page and "4 / 8" in page and "75.0" in page and "25.0" in page
    finally:
        metrics.unregister("test.surveyed")


def test_scheduler_tick_job(ops, road_task, monkeypatch):
    from chengyun.supervision import services, tasks

    seen = []
    monkeypatch.setattr(services, "tick", lambda now=None: seen.append(now) or {"ok": 1})
    result = tasks.supervision_tick.call_local()
    assert seen == [None] and result == {"ok": 1}


def test_project_forms(client, ops, units, make_user, fixed_today):
    from chengyun.people import roles as R
    from chengyun.supervision import services

    project = services.create_stalled_project(ops, name="滨河湾", developer="滨河地产", lead_unit=units["D02"], households=214, blockers=["funding"])
    d02 = make_user(R.DEPT_HANDLER, unit="D02")
    client.force_login(d02)
    url = f"/supervision/projects/{project.pk}/"
    assert client.post(url, {"what": "measure", "kind": "special_loan", "amount": "3000", "date": "2026-03-05"}).status_code == 302
    assert client.post(url, {"what": "mediation", "date": "2026-03-06", "parties": "购房户、开发商", "outcome": "达成协议", "resolved": "1"}).status_code == 302
    assert client.post(url, {"what": "judicial", "date": "2026-03-07", "court": "区法院", "kind": "诉前调解"}).status_code == 302
    assert (project.measures.get().amount, project.mediations.get().resolved, project.judicial.get().kind) == (3000, True, "诉前调解")
    assert client.post(url, {"what": "supervise", "deadline": "2026-12-31"}).status_code == 403
    client.force_login(ops)
    r = client.post(url, {"what": "supervise", "deadline": "2026-12-31"})
    project.refresh_from_db()
    assert r.status_code == 302 and r["Location"].endswith(f"/supervision/tasks/{project.task_id}/")


def test_new_task_form(client, ops, handler_d01, units, fixed_today):
    client.force_login(handler_d01)
    assert client.get("/supervision/tasks/new/").status_code == 403
    client.force_login(ops)
    assert client.get("/supervision/tasks/new/").status_code == 200
    r = client.post("/supervision/tasks/new/", {"title": "背街小巷整治", "source": "leader", "category": "city_appearance", "lead_unit": "D01",
                                                "start_date": "2026-03-01", "deadline": "2026-06-30", "cooperating": ["S01", "S02"],
                                                "milestones": "摸排|2026-03-31|20\n整治|2026-06-30|80"})
    from chengyun.supervision.models import KeyTask

    task = KeyTask.objects.get()
    assert r.status_code == 302 and [m.weight for m in task.milestones.all()] == [20, 80]
    r = client.post("/supervision/tasks/new/", {"title": "x", "source": "leader", "category": "other", "lead_unit": "D01",
                                                "deadline": "2026-06-30", "milestones": "坏"}, HTTP_REFERER="/supervision/tasks/new/", follow=True)
    assert "名称|计划日期|权重" in r.content.decode() and KeyTask.objects.count() == 1


def test_ops_can_filter_the_entry_form_by_unit(client, ops, road_task, monkeypatch):
    from chengyun.supervision import services

    today = timezone.localdate()
    monkeypatch.setattr(services.dates, "today", lambda: today)
    client.force_login(ops)
    page = client.get("/supervision/daily/entry/", {"unit": "D01"}).content.decode()
    assert road_task.title in page and "代为填报" in page
    assert road_task.title not in client.get("/supervision/daily/entry/", {"unit": "D02"}).content.decode().split("</form>", 1)[1]


def test_a_form_naming_an_unknown_record_goes_back_with_the_field_named_and_writes_nothing(client, ops, road_task, units, fixed_today):
    from chengyun.supervision.models import KeyTask

    fixed_today(dt.date(2026, 4, 2))
    client.force_login(ops)
    client.post("/supervision/meetings/", {"date": "2026-04-02", "chair": "副区长"})
    meeting = Meeting.objects.get()
    back = {"HTTP_REFERER": f"/supervision/meetings/{meeting.pk}/", "follow": True}
    decision = {"what": "decision", "text": "x", "owner_unit": "D01", "deadline": "2026-04-09"}
    # An agenda item that is not this meeting's, or not a number, used to be dropped (or a 500).
    for item in ("987654", "abc"):
        r = client.post(f"/supervision/meetings/{meeting.pk}/", {**decision, "item": item}, **back)
        assert r.status_code == 200 and f"本次会议的议题 {item} 不存在" in r.content.decode()
    r = client.post(f"/supervision/meetings/{meeting.pk}/", {**decision, "owner_unit": "NOPE"}, **back)
    assert "责任单位 NOPE 不存在" in r.content.decode()
    r = client.post(f"/supervision/meetings/{meeting.pk}/", {**decision, "owner_unit": ""}, **back)
    assert "请选择责任单位" in r.content.decode()
    assert not Decision.objects.exists()
    new = {"title": "x", "source": "leader", "category": "other", "lead_unit": "D01", "deadline": "2026-06-30"}
    back = {"HTTP_REFERER": "/supervision/tasks/new/", "follow": True}
    # A leader who is not among the district leaders offered used to be dropped silently.
    r = client.post("/supervision/tasks/new/", {**new, "leader": ops.person.pk}, **back)
    assert f"分管区领导 {ops.person.pk} 不存在" in r.content.decode()
    r = client.post("/supervision/tasks/new/", {**new, "cooperating": ["S01", "NOPE"]}, **back)
    assert "协办单位 NOPE 不存在" in r.content.decode()
    r = client.post("/supervision/tasks/new/", {**new, "lead_unit": "NOPE"}, **back)
    assert "牵头单位 NOPE 不存在" in r.content.decode()
    r = client.post("/supervision/tasks/new/", {**new, "lead_unit": ""}, **back)
    assert "请选择牵头单位" in r.content.decode()
    assert KeyTask.objects.count() == 1
    # Completing a milestone the task does not have (or one not a number) is a message, not a 404 or a 500.
    for milestone in ("987654", "abc"):
        r = client.post(f"/supervision/tasks/{road_task.pk}/action", {"action": "complete_milestone", "milestone": milestone},
                        HTTP_REFERER=f"/supervision/tasks/{road_task.pk}/", follow=True)
        assert r.status_code == 200 and f"节点 {milestone} 不存在" in r.content.decode()
    assert not road_task.milestones.filter(done_on__isnull=False).exists()


def test_a_date_the_meeting_pages_cannot_read_goes_back_with_each_pages_message(client, ops, road_task, units, fixed_today):
    fixed_today(dt.date(2026, 4, 2))
    client.force_login(ops)
    r = client.post("/supervision/meetings/", {"date": "2026-04-31", "chair": "副区长"}, HTTP_REFERER="/supervision/meetings/", follow=True)
    assert "会议日期格式有误" in r.content.decode() and not Meeting.objects.exists()
    client.post("/supervision/meetings/", {"date": "2026-04-02", "chair": "副区长"})
    meeting = Meeting.objects.get()
    r = client.post(f"/supervision/meetings/{meeting.pk}/", {"what": "decision", "text": "x", "owner_unit": "D01", "deadline": "下周"},
                    HTTP_REFERER=f"/supervision/meetings/{meeting.pk}/", follow=True)
    assert r.redirect_chain[-1][0] == f"/supervision/meetings/{meeting.pk}/" and "完成时限格式有误" in r.content.decode()
    assert not Decision.objects.exists()
