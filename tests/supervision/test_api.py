import datetime as dt

from chengyun.supervision.models import DailyEntry, Decision, KeyTask

DAY = dt.date(2026, 3, 10)  # the fixtures' working Tuesday (conftest.DAY)


def test_task_list_carries_status_and_filters(api_client, ops, road_task, units):
    r = api_client.as_user(ops).get("supervision/tasks", {"category": "road_collapse", "limit": 10})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 1 and body["limit"] == 10
    task = body["results"][0]
    assert task["status"] in ("green", "yellow", "red") and task["code"] == road_task.code
    assert task["lead_unit"] == {"code": "D01", "name": "区城市管理局"}
    assert api_client.get("supervision/tasks", {"unit": "D02"}).json()["count"] == 0
    assert api_client.get("supervision/tasks", {"status": task["status"]}).json()["count"] == 1


def test_create_task_via_api(api_client, ops, units, fixed_today):
    r = api_client.as_user(ops).post("supervision/tasks", {
        "title": "污水管网溢流整改", "source": "整改要求", "category": "污水管网溢流整改", "lead_unit": "D02",
        "start_date": "2026-03-01", "deadline": "2026-09-30", "cooperating_units": ["S01", "S02"],
        "milestones": [{"name": "排查", "planned_date": "2026-04-30", "weight": 30}, {"name": "改造", "planned_date": "2026-09-30", "weight": 70}],
        "links": [["drainage.node", "WS0001"]],
    })
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["category"] == "sewage_overflow" and len(body["milestones"]) == 2
    assert [u["code"] for u in body["cooperating_units"]] == ["S01", "S02"]
    assert body["links"][0]["url"].startswith("/drainage/trace/")
    bad = api_client.post("supervision/tasks", {"title": "x", "source": "superior", "category": "nope", "lead_unit": "D02", "deadline": "2026-09-30"})
    assert bad.status_code == 422 and bad.json()["code"] == "unknown_category" and "类别" in bad.json()["message"]


def test_daily_entry_api_scoped_to_the_lead_unit(api_client, road_task, handler_d01, handler_d02, fixed_today):
    m1 = road_task.milestones.first()
    r = api_client.as_user(handler_d01).post("supervision/daily-entries", {"task_id": road_task.pk, "work_done": "排查 5 公里",
                                                                           "milestone_progress": {str(m1.pk): 20}, "date": DAY.isoformat()})
    assert r.status_code == 201, r.content
    assert r.json()["submitted_at"][-6:] == "+08:00"
    assert api_client.get("supervision/daily-entries", {"task": road_task.pk}).json()["count"] == 1
    other = api_client.as_user(handler_d02)
    assert other.post("supervision/daily-entries", {"task_id": road_task.pk, "work_done": "x"}).status_code == 404
    assert other.get(f"supervision/tasks/{road_task.pk}").status_code == 404
    assert other.get("supervision/daily-entries").json()["count"] == 0
    assert other.patch(f"supervision/tasks/{road_task.pk}", {"title": "改名"}).status_code == 404
    assert api_client.as_user(handler_d01).patch(f"supervision/tasks/{road_task.pk}", {"title": "改名"}).status_code == 403
    assert DailyEntry.objects.count() == 1


def test_transitions_conflict(api_client, ops, road_task):
    r = api_client.as_user(ops).post(f"supervision/tasks/{road_task.pk}/transitions", {"action": "reopen", "note": "x"})
    assert r.status_code == 409 and r.json()["code"] == "bad_transition"
    r = api_client.post(f"supervision/tasks/{road_task.pk}/transitions", {"action": "cancel", "note": "合并"})
    assert r.status_code == 200 and r.json()["state"] == "cancelled"


def test_meeting_and_decision_api(api_client, ops, road_task, units, fixed_today):
    fixed_today(dt.date(2026, 4, 2))
    api_client.as_user(ops)
    r = api_client.post("supervision/meetings", {"date": "2026-04-02", "chair": "副区长"})
    assert r.status_code == 201
    meeting = r.json()
    assert meeting["items"][0]["task_id"] == road_task.pk and meeting["items"][0]["status"] == "red"
    item = meeting["items"][0]["id"]
    r = api_client.post(f"supervision/meetings/{meeting['id']}/record", {"chair": "副区长", "discussions": {str(item): "要求倒排工期"}})
    assert r.status_code == 200 and r.json()["items"][0]["discussion"] == "要求倒排工期"
    r = api_client.post(f"supervision/meetings/{meeting['id']}/decisions", {"text": "住建局4月10日前提供管线资料", "owner_unit": "D02",
                                                                            "deadline": "2026-04-10", "item_id": item})
    assert r.status_code == 201, r.content
    action = r.json()["action_task"]
    assert action["source"] == "meeting" and action["lead_unit"]["code"] == "D02" and action["status"] in ("green", "yellow")
    listed = api_client.get("supervision/decisions", {"open_only": True}).json()
    assert listed["count"] == 1 and listed["results"][0]["related_task_id"] == road_task.pk
    assert KeyTask.objects.filter(source="meeting").count() == 1


def test_missing_and_projects_api(api_client, ops, road_task, fixed_today):
    api_client.as_user(ops)
    r = api_client.get("supervision/daily/missing", {"date": DAY.isoformat()})
    assert r.status_code == 200 and [t["id"] for t in r.json()["tasks"]] == [road_task.pk]
    r = api_client.post("supervision/projects", {"name": "锦华苑二期", "developer": "锦华置业", "lead_unit": "D02", "households": 386,
                                                 "blockers": ["funding"], "funding_gap": "12000"})
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    assert api_client.post(f"supervision/projects/{pid}/measures", {"kind": "special_loan", "amount": "8000", "date": "2026-03-10"}).status_code == 201
    assert api_client.post(f"supervision/projects/{pid}/measures", {"kind": "gift", "amount": "1", "date": "2026-03-10"}).status_code == 422
    r = api_client.post(f"supervision/projects/{pid}/supervise", {"deadline": "2026-12-31"})
    assert r.status_code == 201 and r.json()["category"] == "stalled"
    detail = api_client.get(f"supervision/projects/{pid}").json()
    assert detail["task"]["code"] == r.json()["code"] and detail["measures"][0]["amount"] == "8000.00"


def test_patch_task(api_client, ops, road_task):
    api_client.as_user(ops)
    r = api_client.patch(f"supervision/tasks/{road_task.pk}", {"deadline": "2026-07-31", "cooperating_units": ["D02", "S01"]})
    assert r.status_code == 200, r.content
    assert r.json()["deadline"] == "2026-07-31" and [u["code"] for u in r.json()["cooperating_units"]] == ["D02", "S01"]
    r = api_client.patch(f"supervision/tasks/{road_task.pk}", {"metric_street": "999"})
    assert r.status_code == 422 and (r.json()["code"], r.json()["detail"]) == ("unknown_street", {"field": "metric_street"})
    r = api_client.patch(f"supervision/tasks/{road_task.pk}", {"deadline": "2026-02-01"})
    assert r.status_code == 422 and r.json()["code"] == "deadline_before_start"
    r = api_client.patch(f"supervision/tasks/{road_task.pk}", {"deadline": "2026-05-01"})  # before 隐患整治 (5-31)
    assert r.status_code == 422 and r.json()["code"] == "milestone_out_of_range"
    road_task.refresh_from_db()
    assert str(road_task.deadline) == "2026-07-31"


def test_cooperating_unit_sees_the_task_but_reports_only_as_lead(api_client, road_task, handler_d02, fixed_today, units):
    road_task.cooperating_units.add(units["D02"])
    helper = api_client.as_user(handler_d02)
    r = helper.get(f"supervision/tasks/{road_task.pk}")
    assert r.status_code == 200 and r.json()["status"] in ("green", "yellow", "red")
    assert road_task.pk in [t["id"] for t in helper.get("supervision/tasks").json()["results"]]
    # Seeing a task is not leading it: no daily entry, no edits.
    r = helper.post("supervision/daily-entries", {"task_id": road_task.pk, "work_done": "配合排查"})
    assert r.status_code == 403, r.content
    assert helper.patch(f"supervision/tasks/{road_task.pk}", {"title": "改名"}).status_code == 403
    assert DailyEntry.objects.count() == 0


def test_an_unknown_reference_in_a_body_is_a_422_naming_the_field(api_client, ops, road_task, units, fixed_today):
    fixed_today(dt.date(2026, 4, 2))
    api_client.as_user(ops)
    task = {"title": "x", "source": "leader", "category": "other", "lead_unit": "D01", "deadline": "2026-06-30"}
    for field, value, code in (("lead_unit", "NOPE", "unknown_unit"), ("cooperating_units", ["D02", "NOPE"], "unknown_unit"),
                               ("metric_street", "999", "unknown_street"), ("responsible_leader_id", 987654, "unknown_person")):
        r = api_client.post("supervision/tasks", {**task, field: value})
        assert r.status_code == 422 and (r.json()["code"], r.json()["detail"]) == (code, {"field": field}), r.content
    assert r.json()["message"] == "人员 987654 不存在"
    r = api_client.patch(f"supervision/tasks/{road_task.pk}", {"cooperating_units": ["NOPE"]})
    assert r.status_code == 422 and r.json()["detail"] == {"field": "cooperating_units"}
    assert r.json()["message"] == "单位编码 NOPE 不存在"
    first = api_client.post("supervision/meetings", {"date": "2026-04-02", "chair": "副区长"}).json()
    second = api_client.post("supervision/meetings", {"date": "2026-04-03", "chair": "副区长"}).json()
    decision = {"text": "x", "owner_unit": "D02", "deadline": "2026-04-10"}
    # An agenda item of another meeting is not one of this meeting's items.
    r = api_client.post(f"supervision/meetings/{second['id']}/decisions", {**decision, "item_id": first["items"][0]["id"]})
    assert r.status_code == 422 and (r.json()["code"], r.json()["detail"]) == ("bad_item", {"field": "item_id"})
    r = api_client.post(f"supervision/meetings/{second['id']}/decisions", {**decision, "owner_unit": "NOPE"})
    assert r.status_code == 422 and (r.json()["code"], r.json()["detail"]) == ("unknown_unit", {"field": "owner_unit"})
    r = api_client.post("supervision/projects", {"name": "锦华苑二期", "developer": "锦华置业", "lead_unit": "D02", "street": "999"})
    assert r.status_code == 422 and (r.json()["code"], r.json()["detail"]) == ("unknown_street", {"field": "street"})
    assert r.json()["message"] == "街道编码 999 不存在"
    assert KeyTask.objects.count() == 1 and not Decision.objects.exists()
