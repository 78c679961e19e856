"""Matrix declarations for /api/v1/streets/: segments, patrols and the night economy are seen by
the street they lie in (and the person they belong to); the district desk keeps them all."""
from __future__ import annotations

import datetime as dt

from matrix import Create, List, Open, Read, Write, by_results
from spec_roads import segment

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _staff():
    from chengyun.streets.services.common import OPS, STREET_STAFF

    return STREET_STAFF | OPS


def _ops():
    from chengyun.streets.services.common import OPS

    return OPS


def _review_roles():
    from django.apps import apps

    from chengyun.people import policy
    from chengyun.streets import permit_workflow as wf

    return wf.TRANSITIONS["review"].roles | wf.DISTRICT | policy.rule_for(apps.get_model("streets.Permit")).wide_write


def chief(world, scope, tag="c"):
    def make():
        from chengyun.people.models import Person

        p = Person.objects.create(name=f"矩阵街长{tag}{scope}", unit=world.unit(scope))
        p.roles.set(["street_chief"])
        return p

    return world.once(("street_chief", scope, tag), make)


def assignment(world, scope):
    def make():
        from chengyun.streets.services import segments

        return segments.assign(None, segment(world, scope), chief=chief(world, scope), valid_from=dt.date(2020, 1, 1))

    return world.once(("assignment", scope), make)


def _points(world, scope, start=NOW):
    lng, lat = world.point(scope)
    return [{"t": (start + dt.timedelta(seconds=20 * k)).isoformat(), "lng": lng - 0.002 + k * 0.0002, "lat": lat} for k in range(20)]


def patrol(world, scope):
    def make():
        from chengyun.streets.services import patrols

        return patrols.record(None, points=patrols.parse_points(_points(world, scope)), patroller=chief(world, scope), kind="leader")

    return world.once(("patrol", scope), make)


def ongoing(world, scope):
    def make():
        from chengyun.streets.models import Patrol

        return Patrol.objects.create(kind="leader", patroller=chief(world, scope, "o"), street=world.street(scope), started_at=NOW)

    return world.once(("ongoing", scope), make)


def night_policy(world, scope):
    def make():
        from chengyun.streets.services import night

        lng, lat = world.point(scope)
        d = 0.003
        geometry = {"type": "Polygon", "coordinates": [[[lng - d, lat - d], [lng + d, lat - d], [lng + d, lat + d], [lng - d, lat + d], [lng - d, lat - d]]]}
        return night.create_policy(None, code=f"NP{scope.upper()}", name=f"矩阵商圈{scope}", kind="business", geometry=geometry,
                                   windows=[{"activity": "outdoor_dining", "start": "17:00", "end": "22:00"}])

    return world.once(("night_policy", scope), make)


def shop(world, scope):
    def make():
        from chengyun.streets.services import permits

        lng, lat = world.point(scope)
        return permits.create_shop(None, code=f"SHM{scope.upper()}", name=f"矩阵商户{scope}", lng=lng, lat=lat, policy_obj=night_policy(world, scope))

    return world.once(("shop", scope), make)


def _spot(world, scope):
    lng, lat = world.point(scope)
    return {"type": "Polygon", "coordinates": [[[lng, lat], [lng + 0.00006, lat], [lng + 0.00006, lat + 0.00002], [lng, lat + 0.00002], [lng, lat]]]}


def permit(world, scope):
    def make():
        from chengyun.streets.services import permits

        return permits.apply(None, shop=shop(world, scope), policy_obj=night_policy(world, scope), area_m2=10, tables=2, depth_m=2.0,
                             passage_m=2.5, geometry=_spot(world, scope), applied_at=NOW)

    return world.once(("permit", scope), make)


def violation(world, scope):
    def make():
        from chengyun.streets.models import Violation

        lng, lat = world.point(scope)
        return Violation.objects.create(shop=shop(world, scope), policy=night_policy(world, scope), street=world.street(scope), activity="outdoor_dining",
                                        rule_code="time_window", rule_text="矩阵", found_at=NOW, season=2026, lng=lng, lat=lat)

    return world.once(("violation", scope), make)


def _gpx(world, scope, obj):
    from django.core.files.uploadedfile import SimpleUploadedFile

    pts = "".join(f'<trkpt lat="{p["lat"]}" lon="{p["lng"]}"><time>{p["t"]}</time></trkpt>' for p in _points(world, scope))
    data = f'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>{pts}</trkseg></trk></gpx>'
    return {"file": SimpleUploadedFile("walk.gpx", data.encode(), "application/gpx+xml")}, {}


def _in_list(key, attr):
    return lambda data, obj: any(str(r.get(key)) == str(attr(obj)) for r in (data if isinstance(data, list) else data.get("results", [])))


_SHOP_NO = iter(range(1, 10**6))


def _new_shop(w, s, o):
    lng, lat = w.point(s)
    return {"code": f"SHN{s.upper()}{next(_SHOP_NO)}", "name": f"矩阵新商户{s}", "lng": lng, "lat": lat, "credit_code": "91350100M000100Y43"}


PATROL = lambda p: {"patrol_id": p.pk}  # noqa: E731
SEG = lambda a: {"code": a.segment.code}  # noqa: E731

SPEC = {
    "chengyun_streets_api_segment_list": List(model="streets.SegmentAssignment", make=assignment, found=_in_list("code", lambda a: a.segment.code),
                                              query=lambda w, s, o: {"limit": 500}),
    "chengyun_streets_api_segment_history": List(model="streets.SegmentAssignment", make=assignment, path=SEG,
                                                 found=_in_list("code", lambda a: a.segment.code)),
    "chengyun_streets_api_segment_assign": Create(model="streets.SegmentAssignment", make=assignment, path=SEG,
                                                  body=lambda w, s, o: {"chief": chief(w, s, "new").pk, "valid_from": str(dt.date.today())}),
    "chengyun_streets_api_coverage": List(model="streets.SegmentAssignment", make=assignment, found=_in_list("code", lambda a: a.segment.code)),
    "chengyun_streets_api_patrol_list": List(model="streets.Patrol", make=patrol, found=by_results("id", "pk"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_streets_api_patrol_start": Open(gate=_staff, body=lambda w, s, o: {}),
    "chengyun_streets_api_patrol_gpx": Open(gate=_staff, files=_gpx),
    "chengyun_streets_api_patrol_detail": Read(model="streets.Patrol", make=patrol, path=PATROL),
    "chengyun_streets_api_patrol_track": Read(model="streets.Patrol", make=patrol, path=PATROL),
    # Finishing or reporting on someone else's patrol: the patroller, or the desk (the rule's wide writers).
    "chengyun_streets_api_patrol_finish": Write(model="streets.Patrol", make=ongoing, path=PATROL,
                                                body=lambda w, s, o: {"points": _points(w, s)}),
    "chengyun_streets_api_patrol_finding": Write(model="streets.Patrol", make=ongoing, path=PATROL, body=lambda w, s, o: {
        "kind": "piling", "description": "矩阵堆物", "lng": w.point(s)[0], "lat": w.point(s)[1]}),
    "chengyun_streets_api_rule_set": Open(gate=_ops, body=lambda w, s, o: {"kind": "leader", "period": "week", "min_patrols": 1,
                                                                           "effective_from": str(dt.date.today())}),
    "chengyun_streets_api_zone_list": Open(),
    "chengyun_streets_api_zone_create": Open(gate=_ops, body=lambda w, s, o: {"code": "ZM1", "name": "矩阵学校门口", "kind": "forbidden",
                                                                             "lng": w.point("in")[0], "lat": w.point("in")[1], "radius_m": 100}),
    "chengyun_streets_api_policy_list": Open(),
    "chengyun_streets_api_policy_create": Open(gate=_ops, body=lambda w, s, o: {
        "code": "PM1", "name": "矩阵街", "kind": "street", "windows": [{"activity": "night_market", "start": "18:00", "end": "22:00"}],
        "geometry": {"type": "Polygon", "coordinates": [[[101.7, 36.5], [101.701, 36.5], [101.701, 36.501], [101.7, 36.501], [101.7, 36.5]]]}}),
    "chengyun_streets_api_shop_list": List(model="streets.Shop", make=shop, found=by_results("code", "code"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_streets_api_shop_create": Create(model="streets.Shop", body=_new_shop),
    "chengyun_streets_api_permit_list": List(model="streets.Permit", make=permit, found=by_results("number", "number"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_streets_api_permit_apply": Create(model="streets.Permit", parent="streets.Shop", body=lambda w, s, o: {
        "shop": shop(w, s).code, "policy": night_policy(w, s).code, "area_m2": 10, "tables": 2, "depth_m": 2.0, "passage_m": 2.5,
        "geometry": _spot(w, s), "season": 2030}),
    "chengyun_streets_api_permit_action": Write(model="streets.Permit", make=permit, path=lambda p: {"number": p.number, "action": "review"},
                                                body=lambda w, s, o: {"note": "街道审核"}, gate=_review_roles, narrows=True),
    "chengyun_streets_api_violation_list": List(model="streets.Violation", make=violation, found=by_results("id", "pk"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_streets_api_night_check": Open(query=lambda w, s, o: {"lng": w.point("in")[0], "lat": w.point("in")[1], "activity": "outdoor_dining"}),
}
