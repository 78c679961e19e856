import datetime as dt

import pytest
from django.utils import timezone

from chengyun.core.errors import Conflict, Forbidden, Invalid, NotFound
from chengyun.core.models import AuditEntry, Notification
from chengyun.people import roles as R
from chengyun.supervision import services
from chengyun.supervision.models import DailyEntry, KeyTask, StatusHistory

DAY = dt.date(2026, 3, 10)  # the fixtures' working Tuesday (conftest.DAY)


def at(day, hh, mm=0):
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hh, mm))


def test_create_task_records_milestones_links_and_audit(road_task):
    assert road_task.code == "DB2026-001"
    assert road_task.source == KeyTask.Source.RECTIFICATION
    assert [m.weight for m in road_task.milestones.all()] == [30, 60, 10]
    assert road_task.links.get().kind == "cases.case"
    assert AuditEntry.objects.filter(object_type="supervision.keytask", object_id=str(road_task.pk), action="create").exists()
    assert road_task.status in ("green", "yellow", "red")
    assert StatusHistory.objects.filter(task=road_task).count() == 1


def test_only_ops_and_leaders_create_tasks(handler_d01, units, fixed_today):
    with pytest.raises(Forbidden):
        services.create_task(handler_d01, title="x", source="上级交办", category="other", lead_unit=units["D01"], deadline=DAY)


def test_bad_input_is_refused_in_chinese(ops, units, fixed_today):
    with pytest.raises(Invalid) as exc:
        services.create_task(ops, title="x", source="随便", category="other", lead_unit=units["D01"], deadline=DAY)
    assert "来源" in exc.value.message
    with pytest.raises(Invalid) as exc:
        services.create_task(ops, title="x", source="leader", category="other", lead_unit=units["D01"], start_date=DAY,
                             deadline=DAY + dt.timedelta(days=10), milestones=[("超出", DAY + dt.timedelta(days=11), 1)])
    assert exc.value.code == "milestone_out_of_range"
    assert not KeyTask.objects.exists()


def test_lead_unit_submits_its_entry_and_progress_moves(road_task, handler_d01):
    m1 = road_task.milestones.first()
    entry = services.submit_daily_entry(handler_d01, road_task, work_done="排查主干道 12 公里", milestone_progress={m1.pk: 40},
                                        now=at(DAY, 16))
    assert entry.unit.code == "D01" and not entry.late
    m1.refresh_from_db()
    assert m1.progress == 40
    road_task.refresh_from_db()
    assert road_task.actual_progress == pytest.approx(12.0)  # 30% weight × 40%


def test_other_units_cannot_see_or_write_the_task(road_task, handler_d02):
    with pytest.raises(Forbidden):
        services.submit_daily_entry(handler_d02, road_task, work_done="冒名填报", now=at(DAY, 16))
    with pytest.raises(NotFound):
        services.get_task(handler_d02, road_task.pk)
    assert not DailyEntry.objects.exists()


def test_units_edit_only_their_own_entries(road_task, handler_d01, make_user, ops):
    services.submit_daily_entry(handler_d01, road_task, work_done="第一次", now=at(DAY, 10))
    services.submit_daily_entry(handler_d01, road_task, work_done="更正", now=at(DAY, 11))
    assert DailyEntry.objects.get().work_done == "更正"
    # The task moves to D02; D02 may report from now on but not rewrite D01's entry of that day.
    services.update_task(ops, road_task, lead_unit=road_task.lead_unit.__class__.objects.get(code="D02"))
    d02 = make_user(R.DEPT_HANDLER, unit="D02")
    with pytest.raises(Forbidden):
        services.submit_daily_entry(d02, road_task, work_done="覆盖", now=at(DAY, 12))
    assert DailyEntry.objects.get().work_done == "更正"
    # A lead unit cannot change the task's definition.
    with pytest.raises(Forbidden):
        services.update_task(d02, road_task, deadline=dt.date(2026, 12, 31))


def test_entry_after_cutoff_is_late_and_missing_are_flagged(road_task, ops, units, handler_d01):
    other = services.create_task(ops, title="污水管网溢流整改", source="rectification", category="sewage_overflow",
                                 lead_unit=units["D02"], start_date=dt.date(2026, 3, 1), deadline=dt.date(2026, 9, 30))
    assert {t.pk for t in services.missing_entries(DAY)} == {road_task.pk, other.pk}
    entry = services.submit_daily_entry(handler_d01, road_task, work_done="补报", now=at(DAY, 17, 31))
    assert entry.late
    assert [t.pk for t in services.missing_entries(DAY)] == [other.pk]
    # 17:30 sharp is still on time.
    on_time = services.submit_daily_entry(handler_d01, road_task, work_done="x", date=DAY - dt.timedelta(days=1), now=at(DAY - dt.timedelta(days=1), 17, 30))
    assert not on_time.late
    # Nothing is owed on a rest day.
    sunday = dt.date(2026, 3, 8)
    assert services.missing_entries(sunday) == []


def test_cutoff_is_configurable(road_task, handler_d01, settings):
    settings.CHENGYUN_SUPERVISION_CUTOFF = "16:00"
    assert services.submit_daily_entry(handler_d01, road_task, work_done="x", now=at(DAY, 16, 30)).late


def test_future_and_inactive_entries_are_refused(road_task, handler_d01, ops):
    with pytest.raises(Invalid):
        services.submit_daily_entry(handler_d01, road_task, work_done="x", date=DAY + dt.timedelta(days=1), now=at(DAY, 9))
    with pytest.raises(Invalid) as exc:
        services.submit_daily_entry(handler_d01, road_task, work_done="x", milestone_progress={999999: 10}, now=at(DAY, 9))
    assert exc.value.code == "bad_milestone"
    services.transition(ops, road_task, "cancel", note="并入其他任务")
    with pytest.raises(Conflict):
        services.submit_daily_entry(handler_d01, road_task, work_done="x", now=at(DAY, 9))


def test_status_history_is_kept(road_task, fixed_today):
    fixed_today(dt.date(2026, 4, 2))  # milestone 1 (3-31) passed undone
    services.refresh_status(road_task, dt.date(2026, 4, 2))
    assert road_task.status == "red" and "隐患排查" in road_task.status_reason
    services.refresh_status(road_task, dt.date(2026, 4, 3))  # unchanged: no new row
    history = list(road_task.status_history.values_list("on", "status"))
    assert history[-1] == (dt.date(2026, 4, 2), "red")
    assert len(history) == 2


def test_past_status_is_rebuilt_from_entries(road_task, handler_d01):
    m1 = road_task.milestones.first()
    services.submit_daily_entry(handler_d01, road_task, work_done="x", milestone_progress={m1.pk: 50}, now=at(DAY, 9))
    later = DAY + dt.timedelta(days=1)
    services.submit_daily_entry(handler_d01, road_task, work_done="y", milestone_progress={m1.pk: 100}, date=later, now=at(later, 9))
    states_before = services.milestone_states(road_task, DAY)
    states_after = services.milestone_states(road_task, later)
    assert states_before[0].progress == 50 and states_after[0].progress == 100


def test_workflow_table(road_task, ops, handler_d01):
    with pytest.raises(Conflict) as exc:
        services.transition(ops, road_task, "complete")
    assert exc.value.code == "milestones_undone"
    with pytest.raises(Conflict):
        services.transition(ops, road_task, "reopen", note="x")
    with pytest.raises(Forbidden):
        services.transition(handler_d01, road_task, "cancel", note="x")
    for m in road_task.milestones.all():
        services.complete_milestone(ops, m, on=DAY)
    services.transition(ops, road_task, "complete")
    assert road_task.state == "completed" and road_task.completed_on == DAY and road_task.status == "green"
    with pytest.raises(Invalid):
        services.transition(ops, road_task, "reopen")
    services.transition(ops, road_task, "reopen", note="复查发现新隐患")
    assert road_task.state == "active" and road_task.completed_on is None


def test_agenda_from_red_yellow_and_coordination(road_task, ops, units, handler_d01, fixed_today):
    green = services.create_task(ops, title="绿化补植", source="leader", category="other", lead_unit=units["D01"],
                                 start_date=dt.date(2026, 3, 1), deadline=dt.date(2026, 12, 31))
    fixed_today(dt.date(2026, 4, 2))
    services.refresh_all(dt.date(2026, 4, 2))
    road_task.refresh_from_db()
    assert road_task.status == "red"
    day = dt.date(2026, 4, 2)
    services.submit_daily_entry(handler_d01, green, work_done="补植 200 株", coordination="需住建局提供管线资料", date=day, now=at(day, 9))
    meeting = services.create_meeting(ops, date=day, chair="副区长")
    items = list(meeting.items.all())
    assert [i.task_id for i in items] == [road_task.pk, green.pk]
    assert items[0].status == "red" and "隐患排查" in items[0].reason
    assert "管线资料" in items[1].reason


def test_decisions_become_action_items_tracked_like_tasks(road_task, ops, units, make_user, fixed_today):
    d02 = make_user(R.DEPT_HANDLER, unit="D02")
    meeting = services.create_meeting(ops, date=DAY)
    item = services.add_agenda_item(ops, meeting, topic="排查进度协调", task=road_task)
    services.record_meeting(ops, meeting, chair="常务副区长", attendees="城管局、住建局", discussions={item.pk: "排查进度偏慢"})
    decision = services.add_decision(ops, meeting, text="住建局3月20日前提供主干道地下管线资料", owner_unit=units["D02"],
                                     deadline=dt.date(2026, 3, 20), item=item)
    action = decision.action_task
    assert action.source == KeyTask.Source.MEETING and action.category.code == "meeting"
    assert action.lead_unit.code == "D02" and action.deadline == dt.date(2026, 3, 20)
    assert decision.related_task == road_task
    assert action.links.get().code == road_task.code
    # The owner is notified and reports on it daily like any task.
    assert Notification.objects.filter(recipient=d02, url=action.get_absolute_url()).exists()
    services.submit_daily_entry(d02, action, work_done="资料整理中", now=at(DAY, 15))
    assert action.pk not in [t.pk for t in services.missing_entries(DAY)]
    # Overdue like any task.
    fixed_today(dt.date(2026, 3, 21))
    assert services.refresh_status(action, dt.date(2026, 3, 21)).status == "red"
    with pytest.raises(Forbidden):
        services.add_decision(d02, meeting, text="x", owner_unit=units["D02"], deadline=DAY)


def test_metric_bound_target(ops, units, fixed_today):
    from chengyun.supervision import metrics

    def fake(as_of):
        return {"630109001": (30.0, 40.0), "630109002": (10.0, 60.0)}

    metrics.register("test.roads_surveyed", "道路排查覆盖率", fake)
    try:
        task = services.create_task(ops, title="全区道路隐患排查", source="superior", category="road_collapse", lead_unit=units["D01"],
                                    start_date=dt.date(2026, 3, 1), deadline=dt.date(2026, 5, 31), metric_key="test.roads_surveyed",
                                    milestones=[("排查完成", dt.date(2026, 5, 31), 1)])
        ev = services.refresh_status(task, dt.date(2026, 4, 1))
        assert ev.actual == pytest.approx(40.0)  # (30+10)/(40+60) over the district
        street = services.update_task(ops, task, metric_street="630109001")
        assert services.evaluate_task(street, dt.date(2026, 4, 1)).actual == pytest.approx(75.0)
        with pytest.raises(Invalid):
            services.update_task(ops, task, metric_key="no.such")
    finally:
        metrics.unregister("test.roads_surveyed")


def test_reminders_and_escalation(road_task, ops, handler_d01, make_user, units, fixed_today):
    from chengyun.people.models import Person

    leader = make_user(R.DISTRICT_LEADER, unit="OPS")
    services.update_task(ops, road_task, responsible_leader=Person.objects.get(user=leader))
    assert services.send_cutoff_reminders(DAY) == 1
    assert services.send_cutoff_reminders(DAY) == 0  # once per unit and day
    n = Notification.objects.get(recipient=handler_d01)
    assert "17:30" in n.title and n.level == "warning"
    assert services.flag_missing(DAY) >= 2  # the ops shift leader and the unit
    assert Notification.objects.filter(recipient=ops, title__contains="未按时报送").exists()
    fixed_today(dt.date(2026, 4, 2))
    services.refresh_all(dt.date(2026, 4, 2))
    assert services.escalate_overdue(dt.date(2026, 4, 2)) == 1
    assert services.escalate_overdue(dt.date(2026, 4, 3)) == 0
    assert Notification.objects.get(recipient=leader).level == "danger"


def test_tick_runs_what_is_due(road_task, ops, handler_d01):
    done = services.tick(at(DAY, 16, 45))
    assert done["cutoff_reminders"] == 1
    done = services.tick(at(DAY, 18, 5))
    assert "brief" in done
    assert "brief" not in services.tick(at(DAY, 18, 10))


def test_stalled_project_records_and_supervision(ops, units, make_user, fixed_today):
    d02 = make_user(R.DEPT_HANDLER, unit="D02")
    d01 = make_user(R.DEPT_HANDLER, unit="D01")
    project = services.create_stalled_project(ops, name="锦华苑二期", developer="河湟锦华置业有限公司", lead_unit=units["D02"],
                                              households=386, blockers=["funding", "legal"], funding_gap=12000)
    services.add_measure(d02, project, kind="special_loan", amount="8000", date=DAY, note="保交楼专项借款第一批")
    services.add_mediation(d02, project, date=DAY, parties="购房户代表、开发企业、施工单位", outcome="达成复工协议", resolved=True)
    services.add_judicial_support(d02, project, date=DAY, court="河湟区人民法院", kind="预重整", case_number="（2026）青0109破申1号")
    with pytest.raises(Forbidden):
        services.add_measure(d01, project, kind="commercial_loan", amount=100, date=DAY)
    with pytest.raises(Invalid):
        services.create_stalled_project(ops, name="x", developer="y", lead_unit=units["D02"], blockers=["weather"])
    task = services.supervise_project(ops, project, deadline=dt.date(2026, 12, 31), milestones=[("复工", dt.date(2026, 5, 1), 40), ("交付", dt.date(2026, 12, 31), 60)])
    assert task.category.code == "stalled" and task.links.get().kind == "supervision.stalled"
    with pytest.raises(Conflict):
        services.supervise_project(ops, project, deadline=dt.date(2026, 12, 31))


def test_other_modules_create_tasks_as_the_system(units, fixed_today):
    from chengyun.core import current

    with current.acting(None, source="job"):
        task = services.create_task(None, title="雨水排口旱天出流整改", source="rectification", category="sewage_overflow",
                                    lead_unit=units["D02"], deadline=DAY + dt.timedelta(days=30), links=[("water.outfall", "YS0012")])
        services.add_link(None, task, "water.alert", "88")
    assert sorted(task.links.values_list("kind", flat=True)) == ["water.alert", "water.outfall"]
    entry = AuditEntry.objects.get(object_type="supervision.keytask", object_id=str(task.pk))
    assert entry.actor is None and entry.source == "job"


def test_measured_targets_follow_their_data_on_every_tick(ops, units, road_task, fixed_today):
    from chengyun.supervision import metrics

    data = {"": (10.0, 100.0)}
    metrics.register("test.coverage", "覆盖率", lambda as_of: dict(data))
    try:
        task = services.create_task(ops, title="排查全覆盖", source="superior", category="road_collapse", lead_unit=units["D01"],
                                    start_date=dt.date(2026, 3, 1), deadline=dt.date(2026, 3, 31), metric_key="test.coverage")
        fixed_today(DAY)
        services.tick(at(DAY, 9))  # the day's full refresh
        task.refresh_from_db()
        assert task.actual_progress == 10.0 and task.status == "yellow"
        data[""] = (40.0, 100.0)
        assert services.tick(at(DAY, 9, 5))["measured"] == 1
        task.refresh_from_db()
        assert task.actual_progress == 40.0 and task.status == "green"
    finally:
        metrics.unregister("test.coverage")


def test_updates_refuse_fields_they_may_not_change(ops, units, road_task):
    project = services.create_stalled_project(ops, name="锦华苑二期", developer="河湟锦华置业有限公司", lead_unit=units["D02"])
    milestone = road_task.milestones.first()
    for update, obj in ((services.update_task, road_task), (services.update_milestone, milestone),
                        (services.update_stalled_project, project)):
        with pytest.raises(Invalid) as exc:
            update(ops, obj, code="X", title_en="y")
        assert exc.value.code == "bad_field" and exc.value.message == "不能修改字段：code、title_en"
    road_task.refresh_from_db()
    assert road_task.code == "DB2026-001"
