"""Matrix declarations for /api/v1/ health, calendar, people, geo, reports and monitoring."""
from __future__ import annotations

import datetime as dt

from matrix import STREET_IN, STREET_OUT, Create, List, Open, Read, Write, by_feature, by_results
from chengyun.monitoring.rules import DEVICE_MANAGERS
from chengyun.people import policy
from chengyun.people import roles as R

CALENDAR_KEEPERS = frozenset({R.SYSADMIN, R.OPS_SHIFT_LEADER})  # core.calendar.set_override
DAY = "2026-10-08"


def person(world, scope):
    def make():
        from chengyun.people.models import Person

        p = Person.objects.create(name=f"矩阵人员{scope}", unit=world.unit(scope), phone="13900000000")
        p.streets.set([world.street(scope)])
        return p

    return world.once(("person", scope), make)


def unit(world, scope):
    return world.unit(scope)


def device(world, scope):
    def make():
        from chengyun.monitoring import services

        mn = f"MATRIX{scope.upper()}"
        return services.create_device(None, mn=mn, password="pw123456", st="21", name=f"矩阵设备{scope}")

    return world.once(("device", scope), make)


def _audit_readers():
    from chengyun.core.models import AuditEntry

    return policy.rule_for(AuditEntry).wide_read


def _reading_readers():
    from chengyun.monitoring.models import Reading

    return policy.rule_for(Reading).wide_read


def _boundary_file():
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    from chengyun.geo.models import Grid

    g = Grid.objects.get(code="630109001001001")
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": g.code, "name": g.name}, "geometry": json.loads(g.geometry)}]}
    return SimpleUploadedFile("grids.geojson", json.dumps(fc, ensure_ascii=False).encode(), "application/geo+json")


PERSON_PATH = lambda p: {"person_id": p.pk}  # noqa: E731

SPEC = {
    # core
    "chengyun_core_api_health": Open(),
    "chengyun_core_api_deadline": Open(query=lambda w, s, o: {"start": "2026-10-09T09:00:00+08:00", "amount": 2, "unit": "work_hour"}),
    "chengyun_core_api_calendar_days": Open(query=lambda w, s, o: {"month": "2026-10"}),
    "chengyun_core_api_put_override": Open(gate=CALENDAR_KEEPERS, path=lambda o: {"day": DAY}, body=lambda w, s, o: {"is_workday": True}),
    "chengyun_core_api_delete_override": Open(gate=CALENDAR_KEEPERS, path=lambda o: {"day": DAY}, ok=frozenset({204, 404})),
    # people
    "chengyun_people_api_people": List(model="people.Person", make=person, found=by_results("id", "pk"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_people_api_person_create": Open(gate=frozenset({R.SYSADMIN}), body=lambda w, s, o: {
        "name": "新同事", "unit": w.unit(s).code, "roles": [R.DEPT_HANDLER]}),
    "chengyun_people_api_me": Open(),
    "chengyun_people_api_person_detail": Read(model="people.Person", make=person, path=PERSON_PATH),
    "chengyun_people_api_person_patch": Write(model="people.Person", make=person, path=PERSON_PATH, body=lambda w, s, o: {"phone": "13900001111"}),
    "chengyun_people_api_audit_log": Open(gate=_audit_readers),
    "chengyun_people_api_create_token": Open(body=lambda w, s, o: {"name": "脚本"}),
    "chengyun_people_api_person_assign": Write(model="people.Person", make=person, path=PERSON_PATH, gate=frozenset({R.SYSADMIN}),
                                               body=lambda w, s, o: {"roles": [R.DEPT_HANDLER]}),
    # geo: reference data everyone reads
    "chengyun_geo_api_locate": Open(query=lambda w, s, o: {"lng": w.point(s)[0], "lat": w.point(s)[1]}),
    "chengyun_geo_api_grids": List(model="geo.Grid", make=lambda w, s: w.grid(s), found=by_feature("code", "code")),
    "chengyun_geo_api_streets": List(model="geo.Street", make=lambda w, s: w.street(s), found=by_feature("code", "code")),
    "chengyun_geo_api_communities": List(model="geo.Community", make=lambda w, s: w.grid(s).community, found=by_feature("code", "code")),
    "chengyun_geo_api_grid_detail": Read(model="geo.Grid", make=lambda w, s: w.grid(s), path=lambda g: {"code": g.code}),
    "chengyun_geo_api_units": List(model="geo.Unit", make=unit, found=by_results("code", "code"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_geo_api_unit_detail": Read(model="geo.Unit", make=unit, path=lambda u: {"code": u.code}),
    "chengyun_geo_api_unit_contacts": Write(model="geo.Unit", make=unit, path=lambda u: {"code": u.code},
                                            body=lambda w, s, o: [{"name": "值班室", "phone": "0971-1234567"}]),
    "chengyun_geo_api_import_boundaries": Open(gate=frozenset({R.SYSADMIN}), query=lambda w, s, o: {"level": "grid", "dry_run": "true"},
                                               files=lambda w, s, o: ({"file": _boundary_file()}, {})),
    "chengyun_geo_api_validate": Open(gate=frozenset({R.SYSADMIN, R.OPS_SHIFT_LEADER})),
    # reports
    "chengyun_reports_api_runs": Open(),
    # monitoring: devices carry no area; readers are district-wide, managers the ops centre
    "chengyun_monitoring_api_create_device": Create(model="monitoring.Device", body=lambda w, s, o: {
        "mn": f"NEW{s.upper()}", "password": "pw123456", "st": "21", "name": "新设备"}),
    "chengyun_monitoring_api_list_devices": List(model="monitoring.Device", make=device, found=by_results("mn", "mn"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_monitoring_api_device_detail": Read(model="monitoring.Device", make=device, path=lambda d: {"mn": d.mn}),
    "chengyun_monitoring_api_update_device": Write(model="monitoring.Device", make=device, path=lambda d: {"mn": d.mn}, body=lambda w, s, o: {"name": "改名"}),
    "chengyun_monitoring_api_link_device": Write(model="monitoring.Device", make=device, path=lambda d: {"mn": d.mn}, body=lambda w, s, o: {"site_kind": ""}),
    "chengyun_monitoring_api_list_readings": Open(),
    "chengyun_monitoring_api_latest": Open(gate=_reading_readers, query=lambda w, s, o: {"site_kind": "section", "site_code": "NONE"}),
    "chengyun_monitoring_api_upload_lab_results": Open(gate=DEVICE_MANAGERS, body=lambda w, s, o: []),
    "chengyun_monitoring_api_device_frames": Read(model="monitoring.Device", make=device, path=lambda d: {"mn": d.mn}),
    "chengyun_monitoring_api_ingest_log": Open(),
}
