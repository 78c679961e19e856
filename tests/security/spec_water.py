"""Matrix declarations for /api/v1/water/ (registry, sites, alerts, rain, cameras)."""
from __future__ import annotations

import datetime as dt

from matrix import Create, List, Open, Read, Write, by_feature, by_results
from chengyun.people import policy


def _ops():
    from chengyun.water.services.checks import OPS

    return OPS


def _alert_roles(name):
    def roles():
        from chengyun.water.services.alerts import TRANSITIONS

        return TRANSITIONS[name].roles
    return roles


def _wide_writers(label):
    def roles():
        from django.apps import apps

        return policy.rule_for(apps.get_model(label)).wide_write
    return roles


def river(world, scope=None):
    def make():
        from chengyun.water import services

        return services.create_water_body(None, code="RMX", name="矩阵河", kind="river")

    return world.once(("river",), make)


def chief(world, scope):
    def make():
        from chengyun.water import services
        from chengyun.water.models import ChiefLevel

        from chengyun.people.models import Person

        person = Person.objects.create(name=f"矩阵河长{scope}", unit=world.unit(scope))
        person.roles.set(["river_chief"])
        return services.appoint_chief(None, person=person, level=ChiefLevel.STREET, title="街道级河长")

    return world.once(("chief", scope), make)


def reach(world, scope):
    def make():
        from chengyun.water import services
        from chengyun.water.models import ChiefLevel

        return services.create_reach(None, code=f"RMX-{scope}", name=f"矩阵河{scope}段", water_body=river(world), level=ChiefLevel.STREET,
                                     street=world.street(scope))

    return world.once(("reach", scope), make)


def section(world, scope):
    def make():
        from chengyun.water import services

        lng, lat = world.point(scope)
        return services.create_section(None, code=f"WQM{scope.upper()}", name=f"矩阵断面{scope}", water_body=river(world), lng=lng, lat=lat, target_class=3)

    return world.once(("section", scope), make)


def outfall(world, scope):
    def make():
        from chengyun.water import services

        lng, lat = world.point(scope)
        return services.create_outfall(None, code=f"PKM{scope.upper()}", name=f"矩阵排口{scope}", kind="rain", water_body=river(world),
                                       lng=lng + 0.001, lat=lat, unit=world.unit(scope))

    return world.once(("outfall", scope), make)


def alert(world, scope):
    def make():
        from django.utils import timezone

        from chengyun.water.models import Alert

        o = outfall(world, scope)
        now = timezone.now()
        return Alert.objects.create(kind=Alert.Kind.SUDDEN_JUMP, outfall=o, grid=o.grid, street=o.street, message="矩阵告警",
                                    first_seen_at=now, last_seen_at=now, device_mn="", factor="w00000")

    return world.once(("alert", scope), make)


def camera(world, scope):
    def make():
        from chengyun.water import services

        return services.create_camera(None, code=f"CAM{scope.upper()}", name=f"矩阵摄像头{scope}", outfall=outfall(world, scope))

    return world.once(("camera", scope), make)


def device(world, scope):
    def make():
        from chengyun.monitoring import services

        return services.create_device(None, mn=f"WMX{scope.upper()}", password="pw123456", st="21", name="矩阵水站",
                                      factors=[{"code": "w01018", "unit": "mg/L"}])

    return world.once(("wdevice", scope), make)


def _chief_candidate(world):
    """A person with the river-chief role who is not yet appointed."""
    def make():
        from chengyun.people.models import Person

        person = Person.objects.create(name="待任河长", unit=world.unit("in"))
        person.roles.set(["river_chief"])
        return person

    return world.once(("candidate",), make)


CODE = lambda o: {"code": o.code}  # noqa: E731
SITE = lambda o: {"site_kind": "section", "code": o.code}  # noqa: E731
ALERT = lambda a: {"alert_id": a.pk}  # noqa: E731

SPEC = {
    "chengyun_water_api_classify_classify": Open(body=lambda w, s, o: {"values": {"COD": 12}}),
    # sites
    "chengyun_water_api_sites_sections": List(model="water.Section", make=section, found=by_results("code", "code"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_water_api_sites_create_section": Open(gate=_ops, body=lambda w, s, o: {
        "code": "WQNEW", "name": "新断面", "water_body": river(w).code, "lng": w.point(s)[0], "lat": w.point(s)[1], "target_class": 3}),
    "chengyun_water_api_sites_section": Read(model="water.Section", make=section, path=CODE),
    "chengyun_water_api_sites_patch_section": Write(model="water.Section", make=section, path=CODE, body=lambda w, s, o: {"name": "改名断面"}),
    "chengyun_water_api_sites_outfalls": List(model="water.Outfall", make=outfall, found=by_results("code", "code"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_water_api_sites_create_outfall": Open(gate=_ops, body=lambda w, s, o: {
        "code": "PKNEW", "name": "新排口", "kind": "rain", "water_body": river(w).code, "lng": w.point(s)[0], "lat": w.point(s)[1], "unit": w.unit(s).code}),
    "chengyun_water_api_sites_outfall": Read(model="water.Outfall", make=outfall, path=CODE),
    "chengyun_water_api_sites_patch_outfall": Write(model="water.Outfall", make=outfall, path=CODE, body=lambda w, s, o: {"name": "改名排口"}),
    "chengyun_water_api_sites_map_sections": List(model="water.Section", make=section, found=by_feature("code", "code")),
    "chengyun_water_api_sites_map_outfalls": List(model="water.Outfall", make=outfall, found=by_feature("code", "code")),
    "chengyun_water_api_sites_map_water_bodies": Open(),
    "chengyun_water_api_sites_aggregates": Read(model="water.Section", make=section, path=SITE),
    "chengyun_water_api_sites_series": Read(model="water.Section", make=section, path=SITE),
    "chengyun_water_api_sites_link_device": Write(model="water.Section", make=section, path=SITE, gate=_ops, narrows=True,
                                                  body=lambda w, s, o: {"mn": device(w, s).mn}),
    # alerts: the rule says who handles an alert where; the transition table which roles for which step
    "chengyun_water_api_alerts_alerts": List(model="water.Alert", make=alert, found=by_results("id", "pk"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_water_api_alerts_alert": Read(model="water.Alert", make=alert, path=ALERT),
    "chengyun_water_api_alerts_acknowledge": Write(model="water.Alert", make=alert, path=ALERT, gate=_alert_roles("acknowledge"), narrows=True),
    "chengyun_water_api_alerts_dispose": Write(model="water.Alert", make=alert, path=ALERT, gate=_alert_roles("dispose"), narrows=True,
                                               body=lambda w, s, o: {"disposal_note": "已清理"}),
    "chengyun_water_api_alerts_escalate": Write(model="water.Alert", make=alert, path=ALERT, gate=_alert_roles("to_case"), narrows=True,
                                                body=lambda w, s, o: {"to": "case"}),
    # rain
    "chengyun_water_api_rain_dry_weather_flow": Open(query=lambda w, s, o: {"since": "2026-11-01T00:00:00+08:00"}),
    "chengyun_water_api_rain_rain_days": Open(),
    "chengyun_water_api_rain_put_rain_day": Open(gate=_wide_writers("water.RainDay"), path=lambda o: {"day": "2026-11-02"}, body=lambda w, s, o: {"rained": True}),
    # cameras
    "chengyun_water_api_cameras_cameras": List(model="water.Camera", make=camera, found=by_results("code", "code"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_water_api_cameras_create_camera": Open(gate=_wide_writers("water.Camera"), body=lambda w, s, o: {"code": "CAMNEW", "name": "新摄像头", "outfall": outfall(w, "in").code}),
    "chengyun_water_api_cameras_patch_camera": Write(model="water.Camera", make=camera, path=CODE, body=lambda w, s, o: {"name": "改名"}),
    # registry: reference data everyone reads, the ops centre keeps
    "chengyun_water_api_registry_water_bodies": List(model="water.WaterBody", make=river, found=by_results("code", "code"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_water_api_registry_create_water_body": Create(model="water.WaterBody", body=lambda w, s, o: {"code": "RNEW", "name": "新河", "kind": "river"}),
    "chengyun_water_api_registry_water_body": Read(model="water.WaterBody", make=river, path=CODE),
    "chengyun_water_api_registry_patch_water_body": Write(model="water.WaterBody", make=river, path=CODE, body=lambda w, s, o: {"name": "改名河"}),
    "chengyun_water_api_registry_chiefs": List(model="water.RiverChief", make=chief, found=by_results("id", "pk"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_water_api_registry_appoint_chief": Create(model="water.RiverChief", body=lambda w, s, o: {"person_id": _chief_candidate(w).pk, "level": "street"}),
    "chengyun_water_api_registry_chief": Read(model="water.RiverChief", make=chief, path=lambda c: {"chief_id": c.pk}),
    "chengyun_water_api_registry_patch_chief": Write(model="water.RiverChief", make=chief, path=lambda c: {"chief_id": c.pk}, body=lambda w, s, o: {"title": "河长"}),
    "chengyun_water_api_registry_reaches": List(model="water.Reach", make=reach, found=by_results("code", "code"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_water_api_registry_create_reach": Create(model="water.Reach", body=lambda w, s, o: {"code": "RNEW-1", "name": "新河段", "water_body": river(w).code,
                                                                                                 "level": "street", "street": w.street(s).code}),
    "chengyun_water_api_registry_reach": Read(model="water.Reach", make=reach, path=CODE),
    "chengyun_water_api_registry_patch_reach": Write(model="water.Reach", make=reach, path=CODE, body=lambda w, s, o: {"name": "改名河段"}),
}


# ---------------------------------------------------------------- patrols (a chief's own record) and snapshots


def patrol(world, scope, status="ongoing"):
    """A patrol of another chief on the scope's reach (the matrix users are not its chief)."""
    def make():
        from chengyun.water.models import Patrol

        from django.utils import timezone

        c = chief(world, scope)
        r = reach(world, scope)
        from chengyun.water.models import Reach
        Reach.objects.filter(pk=r.pk).update(chief=c)
        return Patrol.objects.create(chief=c, reach=r, started_at=timezone.now() - dt.timedelta(hours=1), status=status)

    return world.once(("patrol", scope, status), make)


def _appointed_river_chief(world):
    """The river_chief role's user, appointed as a chief: starting a patrol is their own act."""
    def make():
        from chengyun.water import services
        from chengyun.water.models import ChiefLevel

        return services.appoint_chief(None, person=world.users["river_chief"].person, level=ChiefLevel.STREET, title="街道级河长")

    return world.once(("appointed",), make)


def _start_body(world, scope, obj):
    _appointed_river_chief(world)
    return {}


def _river_chiefs():
    from chengyun.people import roles as R

    return frozenset({R.RIVER_CHIEF})


TRACK = [[101.701, 36.501], [101.703, 36.502], [101.705, 36.503], [101.707, 36.504]]
PATROL = lambda p: {"patrol_id": p.pk}  # noqa: E731


def _jpeg():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from spec_cases import jpeg

    return SimpleUploadedFile("s.jpg", jpeg(), "image/jpeg")


SPEC.update({
    "chengyun_water_api_patrols_patrols": List(model="water.Patrol", make=patrol, found=by_results("id", "pk"), query=lambda w, s, o: {"limit": 500}),
    # Only an appointed chief starts a patrol, for themself (services.patrols._chief_of).
    "chengyun_water_api_patrols_start_patrol": Open(gate=_river_chiefs, body=_start_body),
    "chengyun_water_api_patrols_record_patrol": Open(gate=_ops, body=lambda w, s, o: {
        "chief_id": chief(w, "record").pk, "started_at": "2026-11-02T09:00:00+08:00", "ended_at": "2026-11-02T10:30:00+08:00", "track": TRACK}),
    "chengyun_water_api_patrols_patrol": Read(model="water.Patrol", make=patrol, path=PATROL),
    "chengyun_water_api_patrols_finish_patrol": Write(model="water.Patrol", make=patrol, path=PATROL, body=lambda w, s, o: {"track": TRACK}),
    "chengyun_water_api_patrols_report_problem": Write(model="water.Patrol", make=patrol, path=PATROL,
                                                       files=lambda w, s, o: ({}, {"kind": "dumping", "description": "河岸堆放垃圾", "lng": str(w.point(s)[0]), "lat": str(w.point(s)[1])})),
    "chengyun_water_api_patrols_compliance": Open(query=lambda w, s, o: {"year": 2026, "month": 11}),
    # The chief themself or the ops centre may abandon a patrol.
    "chengyun_water_api_patrols_cancel_patrol": Write(model="water.Patrol", make=patrol, path=PATROL,
                                                      gate=lambda: _ops() | _wide_writers("water.Patrol")(), body=lambda w, s, o: {"reason": "轨迹点不足"}),
    # A camera's own account or the ops centre uploads; a camera out of the caller's sight is a 404.
    "chengyun_water_api_cameras_upload_snapshot": Write(model="water.Camera", make=camera, path=CODE, gate=_ops,
                                                        files=lambda w, s, o: ({"image": _jpeg()}, {})),
})
