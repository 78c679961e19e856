"""Matrix declarations for /api/v1/cases/."""
from __future__ import annotations

import io

from django.conf import settings

from matrix import IN, Create, List, Open, Read, Write, by_feature, by_results
from chengyun.cases import evaluation, workflow as W
from chengyun.people import roles as R

CASE = "cases.Case"
# The state each transition is fired from, and what the case must carry for its guard.
_PENDING = {"pending_postpone": {"kind": "postpone", "amount": 1, "unit": "work_day", "reason": "材料未到", "by": "测试", "at": "2026-01-01T00:00:00+08:00"},
            "pending_suspend": {"kind": "suspend", "reason": "需跨年施工", "by": "测试", "at": "2026-01-01T00:00:00+08:00"}}


def jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (120, 130, 140)).save(buf, "JPEG")
    return buf.getvalue()


def case(world, scope, state=W.REPORTED, guard=""):
    """A case reported by a grid worker's source in street 1 (in) or street 2 (out), moved
    straight to `state` and dispatched to D01 (in) or D02 (out)."""
    def make():
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.utils import timezone

        from chengyun.cases import services
        from chengyun.cases.models import Attachment, Case

        # Each case at its own spot: a second report near the first would merge into it.
        n = sum(1 for k in world.memo if k[0] == "case")
        lng, lat = world.point(scope)
        lng, lat = lng - 0.004 + 0.001 * (n % 8), lat - 0.004 + 0.001 * (n // 8)
        c = services.report(None, source="community_grid_worker", category_code="0113", category_kind="event", lng=lng, lat=lat,
                            description=f"路面坑洼 {state} {guard} {scope}")
        filed = state not in (W.REPORTED, W.ACCEPTED, W.VERIFYING)
        now = timezone.now()
        Case.objects.filter(pk=c.pk).update(status=state, unit=world.unit(scope), pending_request=_PENDING.get(guard),
                                            condition=c.category.conditions.first() if filed else None,
                                            pauses=[[(now - timezone.timedelta(hours=2)).isoformat(), None]] if state == W.SUSPENDED else [],
                                            stage_started_at=now - timezone.timedelta(hours=1))
        c.refresh_from_db()
        if guard == "feedback_photo" or state == "attached":
            services.add_attachments(None, c, [SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg")], Attachment.Stage.FEEDBACK)
        return c

    return world.once(("case", scope, state, guard), make)


def _attachment(world, scope):
    return case(world, scope, W.HANDLING, "feedback_photo").attachments.first()


def _transition_body(t: W.Transition):
    def body(world, scope, c):
        values = {"verified": True, "note": "现场已核实", "reason": "理由说明", "condition_id": c.category.conditions.first().pk,
                  "unit_id": world.unit(scope).pk, "amount": 1, "time_unit": "work_day",
                  "target": case(world, scope, W.FILED).number}
        return {f: values[f] for f in t.required}
    return body


def _transition(t: W.Transition) -> Write:
    state = sorted(t.sources)[0] if t.action != "escalate" else W.HANDLING
    if t.guard in _PENDING or t.guard == "feedback_photo":
        state = sorted(t.sources & {W.HANDLING}) [0] if W.HANDLING in t.sources else state
    return Write(model=CASE, make=lambda w, s: case(w, s, state, t.guard), path=lambda c: {"case_id": c.pk},
                 body=_transition_body(t), gate=t.roles)


def _hotline_file():
    import csv

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["工单编号", "诉求内容", "地址", "经度", "纬度", "小类代码", "来电人", "来电号码", "来电时间"])
    return buf.getvalue().encode("utf-8")


SPEC = {
    "chengyun_cases_api_categories": Open(),
    "chengyun_cases_api_categories_export": Open(),
    "chengyun_cases_api_categories_import": Open(
        gate=frozenset({R.SYSADMIN}),
        files=lambda w, s, o: ({"file": _catalogue_file()}, {"dry_run": "true"})),
    "chengyun_cases_api_case_list": List(model=CASE, make=case, found=by_results("number", "number"),
                                         query=lambda w, s, o: {"limit": 500}),
    "chengyun_cases_api_case_map": List(model=CASE, make=case, found=by_feature("number", "number")),
    # Anyone signed in may report as the public, anywhere (the citizens' channel has no area).
    "chengyun_cases_api_case_report": Open(body=lambda w, s, o: {
        "source": "public", "category_code": "0113", "lng": w.point(s)[0], "lat": w.point(s)[1], "description": "井盖缺失"}),
    "chengyun_cases_api_case_get": Read(model=CASE, make=case, path=lambda c: {"case_id": c.pk}),
    # The reporter's full name and phone: the case's readers, narrowed to settings.PERSONAL_DATA_ROLES.
    "chengyun_cases_api_reporter_reveal": Read(model=CASE, make=case, path=lambda c: {"case_id": c.pk},
                                               gate=lambda: frozenset(settings.PERSONAL_DATA_ROLES)),
    "chengyun_cases_api_case_duplicates": Read(model=CASE, make=case, path=lambda c: {"case_id": c.pk}),
    "chengyun_cases_api_case_attach": Write(model=CASE, make=case, path=lambda c: {"case_id": c.pk},
                                            files=lambda w, s, o: ({"files": _upload()}, {"stage": "report"})),
    "chengyun_cases_api_attachment_file": Read(model="cases.Attachment", make=_attachment, path=lambda a: {"attachment_id": a.pk}),
    # Moving a case re-locates it: the people who see it and work on the desk or in the grid.
    "chengyun_cases_api_case_move": Write(model=CASE, make=case, path=lambda c: {"case_id": c.pk},
                                          body=lambda w, s, c: {"lng": w.point(s)[0] + 0.001, "lat": w.point(s)[1]},
                                          gate=W.OPS_DESK | W.DISPATCH_DESK | W.GRID_WORKERS),
    **{f"chengyun_cases_api_case_{t.action}": _transition(t) for t in W.TRANSITIONS},
    "chengyun_cases_api_drone_import": Open(gate=frozenset({R.DRONE_OPERATOR, R.OPS_SHIFT_LEADER, R.SYSADMIN}),
                                            body=lambda w, s, o: {"flight_id": "F-MATRIX-1", "detections": []}),
    "chengyun_cases_api_hotline_import": Open(gate=frozenset({R.OPS_ACCEPTOR, R.OPS_SHIFT_LEADER, R.SYSADMIN}),
                                              files=lambda w, s, o: ({"file": _hotline_upload()}, {})),
    "chengyun_cases_api_evaluation_api": Open(gate=evaluation.VIEWERS),
}


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("p.jpg", jpeg(), "image/jpeg")


def _catalogue_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chengyun.cases import services

    return SimpleUploadedFile("standard.csv", services.export_catalogue("csv"), "text/csv")


def _hotline_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("hotline.csv", _hotline_file(), "text/csv")
