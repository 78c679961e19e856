"""Matrix declarations for /api/v1/roads/: reference data everyone reads; the owner or survey unit keeps it."""
from __future__ import annotations

import datetime as dt

from matrix import Create, List, Open, Read, Write, by_results

TODAY = dt.date.today()


def segment(world, scope):
    def make():
        from chengyun.geo.importers import RawFeature
        from chengyun.roads import services
        from chengyun.roads.models import RoadSegment

        lng, lat = world.point(scope)
        code = f"RDM{scope.upper()}"
        report = services.import_segments([RawFeature(1, {"code": code, "name": f"矩阵路{scope}", "class": "主干路"},
                                                      {"type": "LineString", "coordinates": [[lng - 0.002, lat], [lng + 0.002, lat]]})],
                                          owner_code=world.unit(scope).code)
        assert report.ok, report.errors
        return RoadSegment.objects.get(code=code)

    return world.once(("segment", scope), make)


def survey(world, scope):
    def make():
        from chengyun.roads.models import HazardSurvey

        return HazardSurvey.objects.create(code=f"SV{scope.upper()}", name=f"矩阵排查{scope}", unit=world.unit(scope),
                                           started_on=TODAY - dt.timedelta(days=5), deadline=TODAY + dt.timedelta(days=30))

    return world.once(("survey", scope), make)


def finding(world, scope):
    def make():
        from chengyun.roads import services

        lng, lat = world.point(scope)
        return services.add_finding(None, survey(world, scope), segment_code=segment(world, scope).code, kind="cavity", depth_m=1.0,
                                    length_m=2.0, width_m=1.0, lng=lng, lat=lat, found_on=TODAY)

    return world.once(("finding", scope), make)


SPEC = {
    "chengyun_roads_api_segments": List(model="roads.RoadSegment", make=segment, found=by_results("code", "code"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_roads_api_segments_geojson": Open(),
    "chengyun_roads_api_risk": List(model="roads.RoadSegment", make=segment, found=by_results("code", "code"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_roads_api_findings": List(model="roads.HazardFinding", make=finding, found=by_results("code", "code"), query=lambda w, s, o: {"limit": 500}),
    # Recording a finding in a survey is the survey unit's (require_write on the survey).
    "chengyun_roads_api_add_finding": Write(model="roads.HazardSurvey", make=survey, body=lambda w, s, o: {
        "survey": o.code, "segment": segment(w, s).code, "kind": "void", "depth_m": 0.8, "length_m": 1.5, "width_m": 1.0,
        "lng": w.point(s)[0], "lat": w.point(s)[1], "found_on": str(TODAY)}),
    "chengyun_roads_api_treat": Write(model="roads.HazardFinding", make=finding, path=lambda f: {"code": f.code}),
    "chengyun_roads_api_surveys": List(model="roads.HazardSurvey", make=survey, found=by_results("code", "code"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_roads_api_surveyed": Write(model="roads.HazardSurvey", make=survey, path=lambda v: {"code": v.code},
                                         body=lambda w, s, o: {"segments": [segment(w, s).code], "surveyed_on": str(TODAY)}),
    "chengyun_roads_api_coverage": Open(),
}
