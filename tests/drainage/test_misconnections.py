"""Misconnections: topology rules, dry-weather flow from the water app, and the one action each."""
from __future__ import annotations

import datetime as dt
import sys
import types

import pytest
from drainage_net import POS, numbered, pipe

from chengyun.core.errors import Conflict, Forbidden, Invalid
from chengyun.drainage import services
from chengyun.drainage.models import Misconnection


@pytest.fixture
def misconnected(network):
    extra = numbered([pipe("X3", "W1", "R2", (POS["W1"], POS["R2"]), type="sewage"),
                      pipe("X4", "R1", "W2", (POS["R1"], POS["W2"]), type="rain")])
    assert services.import_network(extra).ok
    return network


@pytest.fixture
def no_water(monkeypatch):
    monkeypatch.setattr(services.misconnection, "_dry_weather_flow", lambda since: None)


def test_topology_rules_find_both_directions(misconnected, no_water):
    report = services.detect_misconnections(None)
    assert report.created == 2 and not report.dry_weather_checked
    found = {m.kind: m for m in Misconnection.objects.select_related("pipe")}
    assert found["sewage_to_rain"].pipe.code == "X3"
    assert found["sewage_to_rain"].evidence == "污水管 X3 在节点 R2 排入雨水管"
    assert found["rain_to_sewage"].evidence == "雨水管 X4 在节点 W2 排入污水管"
    assert found["sewage_to_rain"].street.code == "630109001"
    again = services.detect_misconnections(None)
    assert again.created == 0 and Misconnection.objects.count() == 2


def test_dry_weather_flow_from_the_water_app(misconnected, monkeypatch):
    fake = types.ModuleType("chengyun.water.services")
    fake.dry_weather_flow_outfalls = lambda since: [("OF-T1", "旱天出流 3 次，最大 2.1 L/s"), ("OF-ELSEWHERE", "旱天出流 1 次")]
    monkeypatch.setitem(sys.modules, "chengyun.water.services", fake)
    import chengyun.water

    monkeypatch.setattr(chengyun.water, "services", fake, raising=False)
    report = services.detect_misconnections(None, since=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    assert report.dry_weather_checked and report.created == 4
    m = Misconnection.objects.get(key="dwf:OF-T1")
    assert m.kind == "dry_weather_flow" and m.node.code == "OF-T1"
    # The evidence carries the upstream trace and the suspected sewage connection in it.
    assert m.evidence.startswith("排放口 OF-T1 旱天出流：旱天出流 3 次，最大 2.1 L/s。上游汇水 5 根管段")
    assert "疑似污水混接 1 处：X3" in m.evidence
    assert Misconnection.objects.get(key="dwf:OF-ELSEWHERE").node is None


def test_open_case_once(misconnected, no_water, make_user, monkeypatch):
    calls = []

    def report(user, **kw):
        calls.append(kw)
        return types.SimpleNamespace(number="20260001", pk=17, status="registered")

    import chengyun.cases.services as case_services

    monkeypatch.setattr(case_services, "report", report)
    services.detect_misconnections(None)
    m = Misconnection.objects.get(kind="sewage_to_rain")
    dispatcher = make_user("ops_dispatcher")
    services.misconnection_to_case(dispatcher, m)
    m.refresh_from_db()
    assert (m.status, m.case_number, m.case_id) == ("case", "20260001", 17)
    kw = calls[0]
    assert (kw["source"], kw["category_code"], kw["category_kind"]) == ("ops_grid_worker", "0130", "event")
    assert kw["external_id"] == f"drainage.misconnection.{m.pk}" and "X3" in kw["description"]
    assert 101.7 < kw["lng"] < 101.72 and 36.5 < kw["lat"] < 36.51
    with pytest.raises(Conflict, match="当前状态为「已立案」"):
        services.misconnection_to_case(dispatcher, m)
    from chengyun.core.models import AuditEntry

    assert AuditEntry.objects.filter(object_type="drainage.misconnection", verb="open_case").count() == 1


def test_open_task_passes_links_and_needs_unit_and_deadline(misconnected, no_water, make_user, units, monkeypatch):
    seen = {}

    def create_task(user, **kw):
        seen.update(kw)
        return types.SimpleNamespace(pk=5)

    import chengyun.supervision.services as supervision_services

    monkeypatch.setattr(supervision_services, "create_task", create_task)
    services.detect_misconnections(None)
    m = Misconnection.objects.get(kind="rain_to_sewage")
    leader = make_user("ops_shift_leader")
    with pytest.raises(Invalid, match="lead_unit"):
        services.misconnection_to_task(leader, m, lead_unit=None, deadline=dt.date(2026, 12, 31))
    services.misconnection_to_task(leader, m, lead_unit=units["D02"], deadline=dt.date(2026, 12, 31))
    m.refresh_from_db()
    assert (m.status, m.task_id) == ("task", 5)
    assert seen["links"] == [("drainage.pipe", "X4")] and seen["lead_unit"] == units["D02"] and seen["source"] == "rectification"


def test_dismiss_reopen_and_who_may_act(misconnected, no_water, make_user, client):
    services.detect_misconnections(None)
    m = Misconnection.objects.get(kind="sewage_to_rain")
    worker = make_user("community_grid_worker", grids=["630109001001001"])
    with pytest.raises(Forbidden):
        services.dismiss_misconnection(worker, m, note="误报")
    admin = make_user("sysadmin")
    with pytest.raises(Invalid):
        services.dismiss_misconnection(admin, m, note=" ")
    services.dismiss_misconnection(admin, m, note="现场核实为合流制溢流口")
    assert Misconnection.objects.get(pk=m.pk).status == "dismissed"
    services.reopen_misconnection(admin, m)
    assert Misconnection.objects.get(pk=m.pk).status == "open"
    # The worker of grid 001001001 sees it; one of another street does not.
    other = make_user("community_grid_worker", grids=["630109002001001"])
    from chengyun.people import policy

    assert policy.visible(worker, Misconnection.objects.all()).count() == 2
    assert policy.visible(other, Misconnection.objects.all()).count() == 0
    client.force_login(admin)
    page = client.get("/drainage/misconnections/")
    assert page.status_code == 200 and "污水管 X3 在节点 R2 排入雨水管" in page.content.decode()
    resp = client.post(f"/drainage/misconnections/{m.pk}/dismiss", {"note": "已核实"})
    assert resp.status_code == 302 and Misconnection.objects.get(pk=m.pk).status == "dismissed"


def test_misconnection_api(misconnected, no_water, make_user, api_client):
    api = api_client.as_user(make_user("ops_dispatcher"))
    assert api.post("drainage/misconnections/detect").json()["created"] == 2
    listing = api.get("drainage/misconnections", {"kind": "rain_to_sewage"}).json()
    assert listing["count"] == 1 and listing["results"][0]["subject"] == "X4"
    pk = listing["results"][0]["id"]
    assert api.post(f"drainage/misconnections/{pk}/dismiss", {"note": "复核无误"}).json()["status"] == "dismissed"
    conflict = api.post(f"drainage/misconnections/{pk}/dismiss", {"note": "再次"})
    assert conflict.status_code == 409 and conflict.json()["code"] == "bad_transition"
    r = api.post(f"drainage/misconnections/{pk}/task", {"lead_unit": "NOPE", "deadline": "2026-12-31"})
    assert r.status_code == 422 and (r.json()["code"], r.json()["detail"]) == ("unknown_unit", {"field": "lead_unit"})
    assert r.json()["message"] == "牵头单位 NOPE 不存在"


def test_real_case_and_task_when_those_apps_are_installed(misconnected, no_water, make_user, units):
    from django.apps import apps

    if not (apps.is_installed("chengyun.cases") and apps.is_installed("chengyun.supervision")):
        pytest.skip("cases/supervision not installed")
    services.detect_misconnections(None)
    dispatcher = make_user("ops_dispatcher")
    m = services.misconnection_to_case(dispatcher, Misconnection.objects.get(kind="sewage_to_rain"))
    from chengyun.cases.models import Case

    case = Case.objects.get(pk=m.case_id)
    assert str(case.number) == m.case_number and "X3" in case.description
    leader = make_user("ops_shift_leader")
    t = services.misconnection_to_task(leader, Misconnection.objects.get(kind="rain_to_sewage"), lead_unit=units["D02"],
                                       deadline=dt.date.today() + dt.timedelta(days=30))
    from chengyun.supervision.models import KeyTask

    task = KeyTask.objects.get(pk=t.task_id)
    assert task.category.code == "sewage_overflow" and task.lead_unit == units["D02"] and "X4" in task.title


def test_the_task_form_names_an_unknown_lead_unit(misconnected, no_water, make_user, client):
    services.detect_misconnections(None)
    m = Misconnection.objects.get(kind="rain_to_sewage")
    client.force_login(make_user("ops_shift_leader"))
    # It used to be read as no unit at all and answered "需要填写：lead_unit".
    r = client.post(f"/drainage/misconnections/{m.pk}/task", {"lead_unit": "NOPE", "deadline": "2026-12-31"}, follow=True)
    assert "牵头单位 NOPE 不存在" in r.content.decode()
    r = client.post(f"/drainage/misconnections/{m.pk}/task", {"lead_unit": "D02", "deadline": "2026-13-01"}, follow=True)
    assert "日期格式有误" in r.content.decode()
    assert Misconnection.objects.get(pk=m.pk).status == "open"
