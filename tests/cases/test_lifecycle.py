import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from cases_helpers import G1, G_OTHER, jpeg_bytes, run_to

from chengyun.cases import services
from chengyun.cases import workflow as W
from chengyun.cases.models import Case, CaseEvent, Category, FilingCondition
from chengyun.core.errors import Conflict, Forbidden, Invalid, NotFound
from chengyun.core.models import AuditEntry, Notification
from chengyun.geo.models import Unit
from chengyun.geo.services import OutsideDistrict

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def unit(code):
    return Unit.objects.get(code=code)


def test_report_locates_numbers_and_records(file_case, crew):
    case = file_case()
    assert case.number.startswith(dt.datetime.now(SH).strftime("%Y%m%d")) and len(case.number) == 13
    assert case.status == W.REPORTED
    assert case.grid.code == G1 and case.community.code == G1[:12] and case.street.code == G1[:9]
    assert case.reporter == crew["grid"] and not case.needs_verification
    assert case.stage_deadline is not None
    assert case.events.get().action == "report"
    assert AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk), action="create").exists()
    second = file_case(offset=(0.003, 0.001))
    assert int(second.number[-5:]) == int(case.number[-5:]) + 1


def test_report_validation(file_case, crew):
    with pytest.raises(Invalid) as e:
        file_case(code="9999")
    assert e.value.code == "unknown_category"
    with pytest.raises(Invalid):
        file_case(description="  ")
    with pytest.raises(OutsideDistrict):
        services.report(crew["grid"], source="community_grid_worker", category_code="0113", lng=100.0, lat=30.0, description="x")
    with pytest.raises(Invalid):
        file_case(source="carrier_pigeon")
    # A grid worker cannot report as a street chief, nor a handler as a grid worker.
    with pytest.raises(Forbidden):
        file_case(source="street_chief", by=crew["grid"])
    with pytest.raises(Forbidden):
        file_case(source="community_grid_worker", by=crew["handler"])
    assert Case.objects.count() == 0


def test_report_by_the_system_and_external_id_is_idempotent(file_case):
    from support import grid_center

    lng, lat = grid_center(G1)
    a = services.report(None, source="sensor", category_code="0126", lng=lng, lat=lat, description="断面 COD 超标", external_id="alert-7")
    b = services.report(None, source="sensor", category_code="0126", lng=lng, lat=lat, description="断面 COD 超标", external_id="alert-7")
    assert a.pk == b.pk and Case.objects.count() == 1
    assert a.reporter_name == ""


def test_component_and_event_with_same_code_are_distinct(file_case):
    c = file_case(code="0101", kind="component")
    e = file_case(code="0101", kind="event", offset=(0.002, 0.002))
    assert c.category.name == "上水井盖" and e.category.name == "私搭乱建"


def test_normal_path_to_closing(file_case, crew, photo):
    case = file_case()
    case = run_to(case, W.CLOSED, crew, photo)
    assert case.closed_at and case.fed_back_at and case.dispatched_at
    assert case.unit.code == "D01"
    assert case.overall_deadline is not None
    actions = list(case.events.values_list("action", flat=True))
    assert actions == ["report", "accept", "file", "dispatch", "sign", "feedback", "check_pass", "close"]
    assert case.attachments.filter(stage="feedback").count() == 1
    assert AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk), verb="dispatch").exists()
    # Every timeline step names who did it.
    assert all(e.actor_name for e in case.events.all())


def test_public_source_needs_verification_by_the_grids_worker(file_case, crew):
    case = file_case(source="public")
    assert case.needs_verification
    case = services.transition(crew["acceptor"], case, "accept")
    with pytest.raises(Conflict) as e:
        services.transition(crew["acceptor"], case, "file", condition_id=case.category.conditions.first().pk)
    assert e.value.code == "not_verified"
    case = services.transition(crew["acceptor"], case, "send_verify")
    assert case.status == W.VERIFYING
    assert Notification.objects.filter(recipient=crew["grid"], title__contains="核实").exists()
    with pytest.raises(NotFound):  # another street's grid worker does not even see it
        services.transition(crew["grid_other"], case, "verify", verified=True, note="属实")
    case = services.transition(crew["grid"], case, "verify", verified=True, note="现场属实")
    assert case.status == W.ACCEPTED and case.verified
    case = services.transition(crew["acceptor"], case, "file", condition_id=case.category.conditions.first().pk)
    assert case.status == W.FILED


def test_not_filed_with_reason(file_case, crew):
    case = file_case(source="public")
    with pytest.raises(Invalid) as e:
        services.transition(crew["acceptor"], case, "reject")
    assert e.value.code == "missing_fields" and e.value.detail == {"fields": ["reason"]}
    case = services.transition(crew["acceptor"], case, "reject", reason="不属于城市管理范围")
    assert case.status == W.REJECTED and case.events.last().note == "不属于城市管理范围"


def test_illegal_transition_is_conflict(file_case, crew):
    case = file_case()
    with pytest.raises(Conflict) as e:
        services.transition(crew["dispatcher"], case, "dispatch", unit_id=unit("D01").pk)
    assert e.value.status == 409 and "上报" in e.value.message and e.value.code == "illegal_transition"
    with pytest.raises(Invalid):
        services.transition(crew["acceptor"], case, "teleport")


def test_roles_and_scope_are_enforced(file_case, crew, photo):
    case = file_case()
    with pytest.raises(Forbidden):
        services.transition(crew["dispatcher"], case, "accept")  # dispatchers do not accept
    case = run_to(case, W.DISPATCHED, crew, photo)
    with pytest.raises(NotFound):  # another unit's handler cannot see the case
        services.transition(crew["handler2"], case, "sign")
    with pytest.raises(Forbidden):
        services.transition(crew["acceptor"], case, "sign")
    case = services.transition(crew["handler"], case, "sign")
    assert case.status == W.HANDLING


def test_feedback_requires_photo_and_rework(file_case, crew, photo):
    case = run_to(file_case(), W.HANDLING, crew, photo)
    with pytest.raises(Invalid) as e:
        services.transition(crew["handler"], case, "feedback", note="已修复")
    assert e.value.code == "feedback_photo_required"
    with pytest.raises(Invalid):
        services.transition(crew["handler"], case, "feedback", note="已修复", attachments=[b"not an image"])
    assert case.attachments.count() == 0
    case = services.transition(crew["handler"], case, "feedback", note="已修复", attachments=[photo])
    # Only a worker of the case's grid (or its reporter) checks.
    with pytest.raises(Forbidden):
        services.transition(crew["handler"], case, "rework", reason="x")  # a unit does not check its own work
    case = services.transition(crew["supervisor"], case, "rework", reason="路面仍有坑洼")
    assert case.status == W.HANDLING and case.rework_count == 1
    assert Notification.objects.filter(recipient=crew["handler"], title__contains="返工").exists()
    case = services.transition(crew["handler"], case, "feedback", note="重新修补", attachments=[jpeg_bytes(fmt="PNG")])
    case = services.transition(crew["grid"], case, "check_pass", note="已修好")
    case = services.transition(crew["acceptor"], case, "close")
    assert case.status == W.CLOSED


def test_send_back_returns_to_dispatcher(file_case, crew, photo):
    case = run_to(file_case(), W.HANDLING, crew, photo)
    case = services.transition(crew["handler"], case, "send_back", reason="属住建局职责")
    assert case.status == W.FILED and case.unit is None and case.returned_count == 1
    overall = case.overall_deadline
    case = services.transition(crew["dispatcher"], case, "dispatch", unit_id=unit("D02").pk)
    assert case.unit.code == "D02"
    assert case.overall_deadline == overall  # the overall clock keeps running from the first dispatch
    assert Notification.objects.filter(recipient=crew["handler2"], title__contains="新派遣").exists()


def test_postpone_requested_and_approved(file_case, crew, photo):
    case = run_to(file_case(), W.HANDLING, crew, photo)
    stage, overall = case.stage_deadline, case.overall_deadline
    with pytest.raises(Conflict):
        services.transition(crew["shift"], case, "approve_postpone")
    case = services.transition(crew["handler"], case, "request_postpone", amount=2, time_unit="work_day", reason="需采购材料")
    with pytest.raises(Conflict):
        services.transition(crew["handler"], case, "request_suspend", reason="again")
    with pytest.raises(Forbidden):
        services.transition(crew["acceptor"], case, "approve_postpone")
    case = services.transition(crew["shift"], case, "approve_postpone")
    assert case.postpone_count == 1 and case.pending_request is None
    assert case.stage_deadline > stage and case.overall_deadline > overall
    from chengyun.core.calendar import get_calendar

    assert case.overall_deadline == get_calendar().add(overall, 2, "work_day")


def test_postpone_denied(file_case, crew, photo):
    case = run_to(file_case(), W.HANDLING, crew, photo)
    case = services.transition(crew["handler"], case, "request_postpone", amount=4, time_unit="work_hour", reason="r")
    case = services.transition(crew["shift"], case, "deny_postpone", reason="时限充足")
    assert case.pending_request is None and case.postpone_count == 0


def test_suspend_pauses_the_clock(file_case, crew, photo, monkeypatch):
    case = run_to(file_case(), W.HANDLING, crew, photo)
    deadline = case.overall_deadline
    case = services.transition(crew["handler"], case, "request_suspend", reason="涉及拆迁，需长期处置")
    case = services.transition(crew["shift"], case, "approve_suspend")
    assert case.status == W.SUSPENDED and case.pauses[-1][1] is None
    later = services.clocks.current_time() + dt.timedelta(days=10)
    monkeypatch.setattr(services.clocks, "current_time", lambda: later)
    case = services.transition(crew["shift"], case, "resume")
    assert case.status == W.HANDLING and case.pauses[-1][1] is not None
    assert case.overall_deadline > deadline + dt.timedelta(days=8)
    # The working time left when the clock stopped is exactly what is left after it restarts.
    from chengyun.core.calendar import get_calendar

    cal = get_calendar()
    paused_at = dt.datetime.fromisoformat(case.pauses[-1][0])
    unit = case.condition.limit_unit
    assert cal.elapsed(paused_at, deadline, unit) == pytest.approx(cal.elapsed(later, case.overall_deadline, unit))


def test_void_and_escalate(file_case, crew, photo):
    case = run_to(file_case(), W.DISPATCHED, crew, photo)
    overall = case.overall_deadline
    with pytest.raises(Forbidden):
        services.transition(crew["handler"], case, "escalate", note="x")
    case = services.transition(crew["leader"], case, "escalate", note="请加快处置")
    assert case.escalation_level == 1 and case.overall_deadline == overall and case.status == W.DISPATCHED
    case = services.transition(crew["acceptor"], case, "void", reason="重复录入")
    assert case.status == W.VOIDED
    with pytest.raises(Conflict):
        services.transition(crew["acceptor"], case, "void", reason="again")


def test_duplicates_suggested_and_merged(file_case, crew):
    first = file_case()
    near = file_case(offset=(0.0002, 0.0))  # ≈ 18 m away
    far = file_case(offset=(0.003, 0.0))  # ≈ 270 m away
    other_class = file_case(code="0112", offset=(0.0001, 0.0))
    assert near.extra["possible_duplicates"] == [first.number]
    assert "possible_duplicates" not in far.extra
    assert "possible_duplicates" not in other_class.extra
    with pytest.raises(Forbidden):
        services.transition(crew["grid"], near, "merge", target=first.number)
    near = services.transition(crew["dispatcher"], near, "merge", target=first.number)
    first.refresh_from_db()
    assert near.status == W.MERGED and near.merged_into == first and first.reporter_count == 2
    assert first.events.filter(action="duplicate_report").exists()


def test_duplicate_radius_is_per_category(file_case):
    cat = Category.objects.get(kind="event", code="0113")
    cat.duplicate_radius_m = 500
    cat.save()
    first = file_case()
    far = file_case(offset=(0.003, 0.0))
    assert far.extra["possible_duplicates"] == [first.number]


def test_dispatch_suggestion(file_case, units):
    from chengyun.cases.models import Responsibility
    from chengyun.geo.models import Street

    case = file_case()  # 道路破损 → 市政; the small district has no such unit: the street office
    assert case.suggested_unit.code == "S01"
    road = Category.objects.get(kind="event", code="0113")
    road.responsible_specialty = "住建"
    road.save()
    assert file_case(offset=(0.003, 0.0)).suggested_unit.code == "D02"
    services.set_responsibility(None, unit=units["D01"], category=road, street_id=Street.objects.get(code=G1[:9]).pk)
    assert file_case(offset=(0.003, 0.003)).suggested_unit.code == "D01"
    assert file_case(grid=G_OTHER).suggested_unit.code == "D02"


def test_move_is_audited(file_case, crew):
    from support import grid_center

    case = file_case()
    lng, lat = grid_center(G_OTHER)
    case = services.move(crew["acceptor"], case, lng=lng, lat=lat)
    assert case.grid.code == G_OTHER and case.street.code == G_OTHER[:9]
    entry = AuditEntry.objects.get(object_type="cases.case", object_id=str(case.pk), verb="move")
    assert entry.before["grid_id"] != entry.after["grid_id"]
    assert case.events.filter(action="move").exists()


def test_clock_warning_and_overdue_notify_once(file_case, crew, photo):
    case = run_to(file_case(), W.DISPATCHED, crew, photo)
    assert case.clock_status == "normal"
    services.refresh_clocks(case.stage_warning_at + dt.timedelta(seconds=1))
    case.refresh_from_db()
    assert case.clock_status == "warning"
    assert Notification.objects.filter(recipient=crew["handler"], level="warning").count() == 1
    at = case.stage_deadline + dt.timedelta(minutes=1)
    services.refresh_clocks(at)
    services.refresh_clocks(at + dt.timedelta(minutes=5))
    case.refresh_from_db()
    assert case.clock_status == "overdue" and case.was_overdue
    assert Notification.objects.filter(recipient=crew["handler"], level="danger").count() == 1
    assert Notification.objects.filter(recipient=crew["shift"], level="danger").count() == 1


def test_handling_deadline_follows_the_filing_condition_across_a_holiday(file_case, crew, photo, monkeypatch):
    """A 5-working-day limit dispatched before the National Day holiday ends after it."""
    start = dt.datetime(2025, 9, 30, 10, 0, tzinfo=SH)
    monkeypatch.setattr(services.clocks, "current_time", lambda: start)
    case = file_case()
    case = services.transition(crew["acceptor"], case, "accept")
    cond = FilingCondition.objects.filter(category=case.category, limit_unit="work_day", limit_amount=5).first()
    case = services.transition(crew["acceptor"], case, "file", condition_id=cond.pk)
    case = services.transition(crew["dispatcher"], case, "dispatch", unit_id=unit("D01").pk)
    # 2025: Oct 1–8 holiday, Sep 28 and Oct 11 (Saturday) make-up working days.
    # Sep 30 10:00 + 5 work days: Oct 9, 10, 11 (make-up Saturday), 13, then 10:00 on Oct 14.
    assert case.overall_deadline.astimezone(SH) == dt.datetime(2025, 10, 14, 10, 0, tzinfo=SH)
    # The stage clock for signing: 2 working hours from 10:00 → 12:00 the same day.
    assert case.stage_deadline.astimezone(SH) == dt.datetime(2025, 9, 30, 12, 0, tzinfo=SH)


def test_urgent_limit_runs_through_the_night(file_case, crew, monkeypatch):
    start = dt.datetime(2026, 3, 6, 17, 30, tzinfo=SH)  # a Friday, 17:30
    monkeypatch.setattr(services.clocks, "current_time", lambda: start)
    case = file_case(code="0101", kind="component")
    case = services.transition(crew["acceptor"], case, "accept")
    urgent = case.category.conditions.get(limit_unit="urgent_hour")
    case = services.transition(crew["acceptor"], case, "file", condition_id=urgent.pk)
    # The filed stage (1 work hour) crosses the working-hours boundary into Monday.
    assert case.stage_deadline.astimezone(SH) == dt.datetime(2026, 3, 9, 8, 30, tzinfo=SH)
    case = services.transition(crew["dispatcher"], case, "dispatch", unit_id=unit("D01").pk)
    assert case.overall_deadline.astimezone(SH) == dt.datetime(2026, 3, 6, 19, 30, tzinfo=SH)


def test_calendar_override_moves_deadlines(file_case, crew, monkeypatch):
    from chengyun.core.calendar import set_override

    start = dt.datetime(2026, 3, 6, 17, 0, tzinfo=SH)  # Friday 17:00
    monkeypatch.setattr(services.clocks, "current_time", lambda: start)
    set_override(crew["admin"], dt.date(2026, 3, 7), True, "调休上班")
    case = file_case()
    # 1 work hour for acceptance: 17:00–18:00 Friday.
    assert case.stage_deadline.astimezone(SH) == dt.datetime(2026, 3, 6, 18, 0, tzinfo=SH)
    case = services.transition(crew["acceptor"], case, "accept")
    monkeypatch.setattr(services.clocks, "current_time", lambda: dt.datetime(2026, 3, 6, 17, 30, tzinfo=SH))
    case = services.transition(crew["acceptor"], case, "file", condition_id=case.category.conditions.first().pk)
    # Half an hour on Friday, the rest on the make-up Saturday.
    assert case.stage_deadline.astimezone(SH) == dt.datetime(2026, 3, 7, 8, 30, tzinfo=SH)


def test_allowed_actions_follow_role_and_state(file_case, crew, photo):
    case = file_case()
    assert [t.action for t in services.allowed_actions(crew["acceptor"], case)] == ["accept", "reject", "void", "merge"]
    assert services.allowed_actions(crew["handler"], case) == []
    case = run_to(case, W.HANDLING, crew, photo)
    assert {t.action for t in services.allowed_actions(crew["handler"], case)} == {"send_back", "feedback", "request_postpone", "request_suspend"}
    assert services.allowed_actions(crew["handler2"], case) == []


def test_timeline_records_on_time(file_case, crew, photo, monkeypatch):
    case = file_case()
    later = case.stage_deadline + dt.timedelta(hours=1)
    monkeypatch.setattr(services.clocks, "current_time", lambda: later)
    case = services.transition(crew["acceptor"], case, "accept")
    ev = case.events.get(action="accept")
    assert ev.on_time is False and ev.stage_deadline is not None


def test_street_chief_checks_the_case_they_reported(file_case, crew, photo):
    case = run_to(file_case(source="street_chief"), W.CHECKING, crew, photo)
    case = services.transition(crew["chief"], case, "check_pass", note="本人复核已修好")
    assert case.status == W.CHECKED


def test_periodic_clock_job(file_case, crew, photo):
    from chengyun.cases import tasks

    case = run_to(file_case(), W.DISPATCHED, crew, photo)
    Case.objects.filter(pk=case.pk).update(stage_deadline=services.clocks.current_time() - dt.timedelta(minutes=1))
    result = tasks.refresh_case_clocks.call_local()
    assert result["overdue"] == 1
    case.refresh_from_db()
    assert case.clock_status == "overdue"
