"""Matrix declarations for /api/v1/sanitation/: vehicles and tracks are the operating company's and
its street's; plans, coverage, inspections and 示范街 are read by all; inspections are the street's
chief's and supervisors', scores the ops center's."""
from __future__ import annotations

import datetime as dt

from matrix import Create, List, Open, Read, Write

from spec_roads import segment

TODAY = dt.date.today()
PAGE = lambda w, s, o: {"limit": 500}  # noqa: E731


def vehicle(world, scope):
    def make():
        from chengyun.sanitation import services

        return services.create_vehicle(None, code=f"MV{scope.upper()}", plate=f"矩阵{scope}", unit=world.unit(scope).code,
                                       street=world.street(scope).code)

    return world.once(("sanitation.vehicle", scope), make)


def _points(world, scope, n=5):
    lng, lat = world.point(scope)
    start = dt.datetime.combine(TODAY - dt.timedelta(days=1), dt.time(6, 0)).isoformat()
    t0 = dt.datetime.fromisoformat(start)
    return [{"t": (t0 + dt.timedelta(seconds=5 * k)).isoformat(), "lng": lng + k * 1e-4, "lat": lat} for k in range(n)]


def track(world, scope):
    def make():
        from chengyun.sanitation import services, trackfile
        from chengyun.sanitation.models import Track

        pts = trackfile.points_from_objects(_points(world, scope))
        services.import_points(None, vehicle(world, scope), pts, recompute=False)
        return Track.objects.get(vehicle=vehicle(world, scope))

    return world.once(("sanitation.track", scope), make)


def plan(world, scope):
    def make():
        from chengyun.sanitation.models import SweepPlan

        seg = segment(world, scope)
        return SweepPlan.objects.get_or_create(segment=seg, defaults={"grade": 1, "passes_per_day": 2, "unit": world.unit(scope),
                                                                       "street_id": seg.street_id})[0]

    return world.once(("sanitation.plan", scope), make)


def demo_street(world, scope):
    def make():
        from chengyun.sanitation import services

        services.set_score_item(None, code="surface", name="路面保洁", max_score=100)
        return services.create_demo_street(None, code=f"MSF{scope.upper()}", name=f"矩阵示范街{scope}", street=world.street(scope).code,
                                           segments=[segment(world, scope).code], since=TODAY - dt.timedelta(days=60), unit=world.unit(scope).code)

    return world.once(("sanitation.demo_street", scope), make)


def _csv(world, scope):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = "\n".join(f"{p['t']},{p['lng']},{p['lat']}" for p in _points(world, scope))
    return SimpleUploadedFile("track.csv", ("time,lng,lat\n" + rows).encode(), content_type="text/csv")


def _listed_vehicle(data, obj):
    return any(r.get("vehicle") == obj.vehicle.code for r in data.get("results", []))


SPEC = {
    "chengyun_sanitation_api_vehicles": List(model="sanitation.Vehicle", make=vehicle, found=lambda d, o: any(r["code"] == o.code for r in d["results"]),
                                             query=PAGE),
    "chengyun_sanitation_api_vehicle_create": Create(model="sanitation.Vehicle", body=lambda w, s, o: {
        "code": "MVNEW", "plate": "矩阵新车", "unit": w.unit(s).code, "street": w.street(s).code}),
    "chengyun_sanitation_api_vehicle_update": Write(model="sanitation.Vehicle", make=vehicle, path=lambda v: {"code": v.code},
                                                    body=lambda w, s, o: {"plate": f"改{s}"}),
    "chengyun_sanitation_api_tracks": List(model="sanitation.Track", make=track, found=_listed_vehicle, query=PAGE),
    # Uploading points is a write on the vehicle: its company (or street) sends them.
    "chengyun_sanitation_api_track_upload": Write(model="sanitation.Vehicle", make=vehicle, body=lambda w, s, o: {
        "vehicle": o.code, "points": _points(w, s)}),
    "chengyun_sanitation_api_track_import": Write(model="sanitation.Vehicle", make=vehicle,
                                                  files=lambda w, s, o: ({"file": _csv(w, s)}, {"vehicle": o.code})),
    "chengyun_sanitation_api_track_geojson": Read(model="sanitation.Track", make=track, path=lambda t: {"vehicle": t.vehicle.code, "day": str(t.day)}),
    "chengyun_sanitation_api_coverage": Open(),
    "chengyun_sanitation_api_coverage_segments": Open(),
    "chengyun_sanitation_api_coverage_geojson": Open(),
    "chengyun_sanitation_api_plans": Open(),
    "chengyun_sanitation_api_plan_set": Write(model="sanitation.SweepPlan", make=plan, path=lambda p: {"segment": p.segment.code},
                                              body=lambda w, s, o: {"grade": 2}),
    "chengyun_sanitation_api_inspections": Open(),
    "chengyun_sanitation_api_inspection_create": Create(model="sanitation.Inspection", body=lambda w, s, o: {
        "segment": segment(w, s).code, "inspected_on": str(TODAY), "inspector": "矩阵", "sensory": 95, "litter": 2, "stain": 0,
        "cleanliness": 98}),
    "chengyun_sanitation_api_score_items": Open(),
    "chengyun_sanitation_api_score_item_set": Create(model="sanitation.ScoreItem", path=lambda o: {"code": "matrix_item"},
                                                     body=lambda w, s, o: {"name": "矩阵评分项", "max_score": 10}),
    "chengyun_sanitation_api_demo_streets": Open(),
    "chengyun_sanitation_api_demo_street_create": Create(model="sanitation.DemoStreet", body=lambda w, s, o: {
        "code": "MSFNEW", "name": "矩阵新示范街", "street": w.street(s).code, "unit": w.unit(s).code, "segments": [segment(w, s).code],
        "since": str(TODAY)}),
    "chengyun_sanitation_api_demo_street_status": Write(model="sanitation.DemoStreet", make=demo_street, path=lambda d: {"code": d.code},
                                                        body=lambda w, s, o: {"status": "named"}),
    # Scoring is the ops center's, for any street: a create of a MonthlyScore on a street everyone reads.
    "chengyun_sanitation_api_demo_street_score": Create(model="sanitation.MonthlyScore", parent="sanitation.DemoStreet", make=demo_street,
                                                        path=lambda d: {"code": d.code},
                                                        body=lambda w, s, o: {"month": str(TODAY.replace(day=1)), "items": {"surface": 95}}),
}

