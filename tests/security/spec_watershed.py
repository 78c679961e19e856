"""Matrix declarations for /api/v1/watersheds/ and /api/v1/exchange/.

Watersheds, the sheet, boundary sections and joint incidents are the district's reference
business: everyone reads; the ops center and administrators keep the registry; river chiefs and
departments also record incident actions. A soil-disturbing project is read by its street and its
supervising unit and worked by that unit. The exchange answers only a registered neighbour's
account: every role here gets 403 (tests/watershed/test_exchange.py covers the neighbour).
"""
from __future__ import annotations

from matrix import Open, Read, Write, List, by_results

WS = "watershed.Watershed"
PROJECT = "watershed.ErosionProject"
INCIDENT = "watershed.JointIncident"
NOBODY = frozenset()


def watershed(world, scope=None):
    def make():
        import json

        from chengyun.water import services as water
        from chengyun.watershed.services import watersheds

        lng, lat = world.point("in")
        course = {"type": "LineString", "coordinates": [[lng - 0.003, lat], [lng + 0.003, lat]]}
        body = water.create_water_body(None, code="RWS", name="矩阵小流域河", kind="river", geometry_json=json.dumps(course))
        outlet = water.create_section(None, code="WQWS", name="矩阵出口断面", water_body=body, lng=lng, lat=lat, target_class=3)
        square = {"type": "Polygon", "coordinates": [[[lng - 0.002, lat - 0.002], [lng + 0.002, lat - 0.002], [lng + 0.002, lat + 0.002],
                                                      [lng - 0.002, lat + 0.002], [lng - 0.002, lat - 0.002]]]}
        w = watersheds.create_watershed(None, code="XLY-M", name="矩阵小流域", water_body=body, outlet=outlet, boundary=square)
        return w

    return world.once(("watershed",), make)


def project(world, scope):
    def make():
        from chengyun.watershed.services import erosion

        lng, lat = world.point(scope)
        return erosion.create_project(None, code=f"SB-M{scope.upper()}", name=f"矩阵项目{scope}", developer="矩阵建设单位", street=world.street(scope),
                                      supervisor=world.unit(scope), lng=lng, lat=lat)

    return world.once(("erosion_project", scope), make)


def neighbour(world):
    def make():
        from chengyun.watershed.services import exchange

        return exchange.register_neighbour(None, code="NBM", name="矩阵邻区", secret="matrix-shared-secret-0123")[0]

    return world.once(("neighbour",), make)


def boundary(world, scope=None):
    def make():
        from chengyun.watershed.services import exchange

        lng, lat = world.point("in")
        return exchange.add_boundary_section(None, neighbour(world), code="JJ-M", name="矩阵交界断面", river="矩阵河", lng=lng, lat=lat,
                                             upstream="neighbour", target_class=3)

    return world.once(("boundary",), make)


def incident(world, scope=None):
    def make():
        import datetime as dt

        from chengyun.watershed.services import exchange

        r = exchange.receive(neighbour(world), {"format": exchange.FORMAT, "message_id": "matrix-1", "sender": "NBM", "kind": "reading",
                                                "body": {"section": boundary(world).code, "time": dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc).isoformat(),
                                                         "values": {"COD": 45}}})
        from chengyun.watershed.models import JointIncident

        return JointIncident.objects.get(uid=r["incident"])

    return world.once(("incident",), make)


CODE = lambda w: {"code": w.code}  # noqa: E731
PROJECT_PATH = lambda p: {"project_id": p.pk}  # noqa: E731
UID = lambda i: {"uid": i.uid}  # noqa: E731
PAGE = lambda w, s, o: {"limit": 500}  # noqa: E731
YEAR = lambda w, s, o: {"year": 2025}  # noqa: E731

SPEC = {
    "chengyun_watershed_api_watershed_list": Open(),
    "chengyun_watershed_api_watershed_map": Open(),
    "chengyun_watershed_api_indicator_list": Open(),
    "chengyun_watershed_api_verdict_list": Open(query=YEAR),
    "chengyun_watershed_api_watershed_detail": Read(model=WS, make=watershed, path=CODE),
    "chengyun_watershed_api_watershed_sheet": Read(model=WS, make=watershed, path=CODE, query=YEAR),
    "chengyun_watershed_api_watershed_hydro": Read(model=WS, make=watershed, path=CODE),
    "chengyun_watershed_api_watershed_values": Write(model=WS, make=watershed, path=CODE, body=lambda w, s, o: {"year": 2025, "values": {}}),
    "chengyun_watershed_api_watershed_hydro_compute": Write(model=WS, make=watershed, path=CODE,
                                                            body=lambda w, s, o: {"start": "2026-01-01", "end": "2026-01-02"}),
    "chengyun_watershed_api_watershed_hydro_year": Write(model=WS, make=watershed, path=CODE,
                                                         body=lambda w, s, o: {"year": 2020, "sediment_t": 10, "runoff_m3": 1000}),
    "chengyun_watershed_api_watershed_measure": Write(model=WS, make=watershed, path=CODE,
                                                      body=lambda w, s, o: {"kind": "check_dam", "quantity": 2}),
    "chengyun_watershed_api_watershed_boundary": Write(model=WS, make=watershed, path=CODE, body=lambda w, s, o: {"geometry": {
        "type": "Polygon", "coordinates": [[[101.7, 36.5], [101.71, 36.5], [101.71, 36.51], [101.7, 36.5]]]}}),
    "chengyun_watershed_api_watershed_boundary_derive": Write(model=WS, make=watershed, path=CODE),
    "chengyun_watershed_api_project_list": List(model=PROJECT, make=project, found=by_results("id", "pk"), query=PAGE),
    "chengyun_watershed_api_project_action": Write(model=PROJECT, make=project, path=PROJECT_PATH,
                                                   body=lambda w, s, o: {"action": "approve_plan", "plan_number": "河水保〔2026〕1号"}),
    "chengyun_watershed_api_project_check": Write(model=PROJECT, make=project, path=PROJECT_PATH,
                                                  body=lambda w, s, o: {"checked_on": "2026-03-01", "inspector": "监督站", "findings": "堆土未苫盖", "verdict": "rectify"}),
    "chengyun_watershed_api_boundary_sections": Open(),
    "chengyun_watershed_api_boundary_reading": Write(model="watershed.BoundarySection", make=boundary, path=CODE,
                                                     body=lambda w, s, o: {"at": "2026-03-01T08:00:00+08:00", "values": {"COD": 12}}),
    "chengyun_watershed_api_incident_list": List(model=INCIDENT, make=incident, found=by_results("uid", "uid"), query=PAGE),
    "chengyun_watershed_api_incident_detail": Read(model=INCIDENT, make=incident, path=UID),
    "chengyun_watershed_api_incident_entry": Write(model=INCIDENT, make=incident, path=UID, body=lambda w, s, o: {"kind": "note", "text": "情况通报"}),
    "chengyun_watershed_api_incident_action": Write(model=INCIDENT, make=incident, path=UID, body=lambda w, s, o: {"action": "resolve"}),
    # The exchange: only a neighbour's account, which no role of the matrix is.
    "chengyun_watershed_api_exchange_exchange_receive": Open(gate=NOBODY),
    "chengyun_watershed_api_exchange_exchange_publish": Open(gate=NOBODY),
    "chengyun_watershed_api_exchange_exchange_sections": Open(gate=NOBODY),
}
