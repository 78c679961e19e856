"""Matrix declarations for /api/v1/waste/: the sorting register and surveys are the compound's
community's and street's; demonstration areas a street's; 无废城市 indicators their department's."""
from __future__ import annotations

import datetime as dt

from matrix import Create, List, Open, Read, Write

TODAY = dt.date.today()
PAGE = lambda w, s, o: {"limit": 500}  # noqa: E731


def compound(world, scope):
    def make():
        from chengyun.geo.models import Compound

        lng, lat = world.point(scope)
        return Compound.objects.create(code=f"MXQ{scope.upper()}", name=f"矩阵小区{scope}", community=world.grid(scope).community,
                                       households=300, lng=lng, lat=lat)

    return world.once(("waste.compound", scope), make)


def sorting(world, scope):
    def make():
        from chengyun.waste import services

        return services.enrol_compound(None, compound=compound(world, scope).code, sorting_since=TODAY - dt.timedelta(days=100))

    return world.once(("waste.sorting", scope), make)


def check(world, scope):
    def make():
        from chengyun.waste import services

        return services.record_check(None, compound=compound(world, scope).code, kind="survey", checked_on=TODAY, sample=50,
                                     inspector="矩阵", aware=46, participating=41)

    return world.once(("waste.check", scope), make)


def indicator(world, scope):
    def make():
        from chengyun.waste import services

        return services.create_indicator(None, code=f"mx_{scope}", name=f"矩阵指标{scope}", unit=world.unit(scope).code)

    return world.once(("waste.indicator", scope), make)


def _listed(key, of):
    return lambda data, obj: any(r.get(key) == of(obj) for r in data.get("results", []))


SPEC = {
    "chengyun_waste_api_compounds": List(model="waste.SortingCompound", make=sorting, found=_listed("code", lambda o: o.compound.code), query=PAGE),
    "chengyun_waste_api_compound_detail": Read(model="waste.SortingCompound", make=sorting, path=lambda o: {"code": o.compound.code}),
    "chengyun_waste_api_compound_enrol": Write(model="waste.SortingCompound", make=sorting, path=lambda o: {"code": o.compound.code},
                                               body=lambda w, s, o: {"sorting_since": str(TODAY - dt.timedelta(days=10))}),
    "chengyun_waste_api_surveys": List(model="waste.SortingCheck", make=check, found=_listed("code", lambda o: o.code), query=PAGE),
    "chengyun_waste_api_survey_create": Create(model="waste.SortingCheck", body=lambda w, s, o: {
        "compound": compound(w, s).code, "kind": "inspection", "checked_on": str(TODAY), "sample": 40, "inspector": "矩阵", "correct": 35}),
    "chengyun_waste_api_areas": Open(),
    "chengyun_waste_api_area_create": Create(model="waste.DemoArea", body=lambda w, s, o: {
        "code": "MXPQ", "name": "矩阵片区", "street": w.street(s).code, "designated_on": str(TODAY)}),
    "chengyun_waste_api_indicators": Open(),
    "chengyun_waste_api_indicator_value": Write(model="waste.ZeroWasteIndicator", make=indicator, path=lambda i: {"code": i.code, "year": TODAY.year},
                                                body=lambda w, s, o: {"target": 60.0, "actual": 55.5}),
    "chengyun_waste_api_coverage": Open(),
}
