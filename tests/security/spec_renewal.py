"""Matrix declarations for /api/v1/renewal/: the health check (indicator sets, indicators,
layers, the problem ledger) and the renewal portfolio (projects, lifts).

The health-check office (renewal.services.access) is the department handlers of a unit whose
specialty is in settings.RENEWAL_OFFICE_SPECIALTIES (default 住建) and system administrators.
The matrix's users all belong to D01 (城管), so of them the office is the system administrator;
OFFICE computes it from the setting rather than assuming it.
"""
from __future__ import annotations

import datetime as dt

from matrix import UNIT_IN, Create, List, Open, Read, Write, by_results
from spec_supervision import SOON
from chengyun.people import roles as R
from chengyun.renewal import workflow as PW

YEAR = 2025


def OFFICE() -> frozenset[str]:
    from chengyun.geo.models import Unit
    from chengyun.renewal.services.access import office_specialties

    in_office = Unit.objects.filter(code=UNIT_IN, specialty__in=office_specialties()).exists()
    return frozenset({R.SYSADMIN} | ({R.DEPT_HANDLER} if in_office else set()))


def indicator_set(world, scope=None):
    def make():
        from chengyun.renewal.models import IndicatorSet

        return IndicatorSet.objects.create(year=YEAR, name="矩阵体检指标")

    return world.once(("indicator_set",), make)


def indicator(world, scope):
    """An indicator the scope's unit is responsible for."""
    def make():
        from chengyun.renewal.models import Indicator

        return Indicator.objects.create(indicator_set=indicator_set(world), code=f"IND-M-{scope.upper()}", dimension="housing",
                                        name=f"矩阵指标{scope}", unit="栋", responsible_unit=world.unit(scope), target_value=0)

    return world.once(("indicator", scope), make)


def computed_indicator(world):
    """An indicator the platform computes (there must be one for the year to compute)."""
    def make():
        from chengyun.renewal.models import Indicator

        return Indicator.objects.create(indicator_set=indicator_set(world), code="IND-M-CALC", dimension="housing", name="老旧小区改造完成数",
                                        unit="个", computed_by="renewal.old_compounds_renewed")

    return world.once(("computed_indicator",), make)


def layer(world, scope):
    def make():
        from chengyun.renewal.models import Layer

        return Layer.objects.create(code=f"LM{scope.upper()}", name=f"矩阵图层{scope}", kind=Layer.Kind.values[0], unit=world.unit(scope))

    return world.once(("layer", scope), make)


def problem(world, scope, tag=""):
    """A problem in the scope's street (its first community) that the scope's unit answers for
    (`tag`: another one, for a factory that moves it along its workflow)."""
    def make():
        from chengyun.renewal.models import Problem

        grid = world.grid(scope)
        lng, lat = world.point(scope)
        return Problem.objects.create(code=f"WTM-{scope.upper()}{tag}", year=YEAR, origin="finding", indicator=indicator(world, scope),
                                      problem_type="楼道堆物", title=f"矩阵问题{scope}", community=grid.community, street=grid.community.street,
                                      responsible_unit=world.unit(scope), lng=lng, lat=lat, location_kind="point")

    return world.once(("problem", scope, tag), make)


def project(world, scope, tag=""):
    """An old-compound project of the scope's unit in its community, 谋划储备 (`tag`: another one)."""
    def make():
        from portfolio_support import project as make_project

        return make_project("old_compound", unit=world.unit(scope).code, community=world.grid(scope).community.code)

    return world.once(("project", scope, tag), make)


def approved_project(world, scope):
    """A project past 立项: it reports progress."""
    def make():
        from chengyun.renewal.services import portfolio

        return portfolio.transition(None, project(world, scope, "approved"), "approve")

    return world.once(("approved_project", scope), make)


def lift(world, scope, building="1"):
    """A lift being voted on in the scope's community, with its owner roster (`building`:
    another one, for a factory that moves it on)."""
    def make():
        from portfolio_support import compound

        from chengyun.renewal.services import lifts

        lng, lat = world.point(scope)
        c = world.once(("compound", scope), lambda: compound(f"XQ-M{scope.upper()}", community=world.grid(scope).community.code, lng=lng, lat=lat))
        x = lifts.create_lift(None, compound=c, building=building, unit_no="1", floors=6, responsible_unit=world.unit(scope).code)
        lifts.set_owners(None, x, ROSTER)
        return x

    return world.once(("lift", scope, building), make)


def voted_lift(world, scope, building="2"):
    """A lift whose owners all agreed: ready for 公示."""
    def make():
        from chengyun.renewal.services import lifts

        x = lift(world, scope, building)
        lifts.record_votes(None, x, [{"owner": o["owner"], "vote": "agree"} for o in ROSTER])
        return x

    return world.once(("voted_lift", scope, building), make)


def objection(world, scope):
    """An objection raised during the lift's 公示."""
    def make():
        from chengyun.renewal.services import lifts

        x = lifts.start_publicity(None, voted_lift(world, scope, "3"), start=PUBLICITY_START)
        return lifts.add_objection(None, x, objector="丙", content="影响采光", raised_on=PUBLICITY_START)

    return world.once(("objection", scope), make)


def remedy(world, scope):
    """The problem's remedy: a case already closed, waiting for the office's 整改验收."""
    def make():
        from spec_cases import case

        from chengyun.renewal.services import problems

        return problems.link_remedy(None, problem(world, scope, "R"), case=case(world, scope, "closed"))

    return world.once(("remedy", scope), make)


PUBLICITY_START = dt.date(2026, 3, 1)
ROSTER = [{"part": "101", "owner": "甲", "area_m2": 80}, {"part": "201", "owner": "乙", "area_m2": 80}]


def _photo():
    from django.core.files.uploadedfile import SimpleUploadedFile
    from spec_cases import jpeg

    return SimpleUploadedFile("p.jpg", jpeg(), "image/jpeg")


def _indicator_sheet(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chengyun.renewal.services import indicators

    return SimpleUploadedFile("indicators.xlsx", indicators.export_xlsx(indicator_set(world)),
                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _layer_file(world, scope):
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    lng, lat = world.point(scope)
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "F1", "name": "社区卫生服务站", "facility_kind": "社区卫生服务站"},
                                                     "geometry": {"type": "Point", "coordinates": [lng, lat]}}]}
    return SimpleUploadedFile("facilities.geojson", json.dumps(fc, ensure_ascii=False).encode(), "application/geo+json")


PROBLEM = "renewal.Problem"
PROBLEM_PATH = lambda p: {"problem_id": p.pk}  # noqa: E731
PROJECT_PATH = lambda p: {"project_id": p.pk}  # noqa: E731
PAGE = lambda w, s, o: {"limit": 500}  # noqa: E731

SPEC = {
    # health check: reference data everyone reads
    "chengyun_renewal_api_indicator_sets": Open(),
    "chengyun_renewal_api_indicator_set_export": Read(model="renewal.IndicatorSet", make=indicator_set, path=lambda s: {"set_id": s.pk}),
    "chengyun_renewal_api_indicators": List(model="renewal.Indicator", make=indicator, found=by_results("id", "pk"), query=PAGE),
    "chengyun_renewal_api_measurements": Open(),
    "chengyun_renewal_api_dashboard_data": Open(query=lambda w, s, o: {"year": YEAR}),
    "chengyun_renewal_api_choropleth": Open(query=lambda w, s, o: {"year": YEAR, "indicator": indicator(w, "in").code}),
    "chengyun_renewal_api_layers": Open(),
    "chengyun_renewal_api_layer_geojson": Read(model="renewal.Layer", make=layer, path=lambda x: {"code": x.code}),
    "chengyun_renewal_api_coverage_now": Open(),
    "chengyun_renewal_api_problem_types": Open(),
    # health check: the office's work
    "chengyun_renewal_api_indicator_set_create": Open(gate=OFFICE, body=lambda w, s, o: {"year": 2030, "name": "矩阵新体系"}),
    "chengyun_renewal_api_indicator_set_national": Open(gate=OFFICE, body=lambda w, s, o: {"year": 2031}),
    "chengyun_renewal_api_indicator_create": Open(gate=OFFICE, make=indicator_set, path=lambda s: {"set_id": s.pk}, body=lambda w, s, o: {
        "code": "IND-M-NEW", "dimension": "housing", "name": "区特色指标", "source": "district"}),
    "chengyun_renewal_api_measurement_compute": Open(gate=OFFICE, body=lambda w, s, o: {"year": computed_indicator(w).indicator_set.year}),
    "chengyun_renewal_api_problems_generate": Open(gate=OFFICE, body=lambda w, s, o: {"year": YEAR}),
    "chengyun_renewal_api_problems_recheck": Open(gate=OFFICE, body=lambda w, s, o: {"year": YEAR}),
    # an indicator's responsible department keeps it
    "chengyun_renewal_api_indicator_update": Write(model="renewal.Indicator", make=indicator, path=lambda i: {"indicator_id": i.pk},
                                                   body=lambda w, s, o: {"target_value": 5}),
    # the problem ledger: the area's people and the responsible unit
    "chengyun_renewal_api_problems": List(model=PROBLEM, make=problem, found=by_results("code", "code"), query=PAGE),
    "chengyun_renewal_api_problem_detail": Read(model=PROBLEM, make=problem, path=PROBLEM_PATH),
    "chengyun_renewal_api_problem_action": Write(model=PROBLEM, make=problem, path=lambda p: {"problem_id": p.pk, "action": "start"},
                                                 gate=lambda: PW.TRANSITIONS["start"].roles | OFFICE(), narrows=True, body=lambda w, s, o: {"note": "开始整改"}),
    # the portfolio: every signed-in person reads projects; lifts are the area's and the unit's
    "chengyun_renewal_api_portfolio_projects": List(model="renewal.Project", make=project, found=by_results("code", "code"), query=PAGE),
    "chengyun_renewal_api_portfolio_project_detail": Read(model="renewal.Project", make=project, path=lambda p: {"project_id": p.pk}),
    "chengyun_renewal_api_portfolio_compounds": Open(),
    "chengyun_renewal_api_portfolio_parking_gaps": Open(),
    "chengyun_renewal_api_portfolio_lift_projects": List(model="renewal.LiftProject", make=lift, found=by_results("code", "code"), query=PAGE),
    "chengyun_renewal_api_portfolio_lift_detail": Read(model="renewal.LiftProject", make=lift, path=lambda x: {"lift_id": x.pk}),
    "chengyun_renewal_api_problem_create": Create(model=PROBLEM, body=lambda w, s, o: {
        "year": YEAR, "problem_type": "楼道堆物", "title": "现场发现", "lng": w.point(s)[0], "lat": w.point(s)[1],
        "responsible_unit": w.unit(s).code}),
    # a project: its responsible unit (and the office) writes it
    "chengyun_renewal_api_portfolio_create_project": Create(model="renewal.Project", body=lambda w, s, o: {
        "name": "矩阵新项目", "type": "gas", "start_year": 2026, "end_year": 2026, "metrics": {"main_km": 1},
        "responsible_unit": w.unit(s).code}),
    "chengyun_renewal_api_portfolio_patch_project": Write(model="renewal.Project", make=project, path=PROJECT_PATH,
                                                          body=lambda w, s, o: {"name": "改名后的项目"}),
    "chengyun_renewal_api_portfolio_put_targets": Write(model="renewal.Project", make=project, path=PROJECT_PATH,
                                                        body=lambda w, s, o: [{"year": 2026, "quantity": 1}]),
    "chengyun_renewal_api_portfolio_put_funding": Write(model="renewal.Project", make=project, path=PROJECT_PATH,
                                                        body=lambda w, s, o: [{"source": "central_budget", "year": 2026, "amount_wan": 100}]),
    # residents' participation: the project's community and street with its unit
    "chengyun_renewal_api_portfolio_post_consultation": Create(model="renewal.ResidentConsultation", make=project, path=PROJECT_PATH,
                                                               body=lambda w, s, o: {"stage": "needs_survey", "held_on": "2026-03-01",
                                                                                     "households_reached": 100, "responses": 80, "favourable": 70}),
    "chengyun_renewal_api_portfolio_post_supervisor": Create(model="renewal.ResidentSupervisor", make=project, path=PROJECT_PATH,
                                                             body=lambda w, s, o: {"name": "王监督", "appointed_on": "2026-03-01"}),
    # a lift: the compound's community and street with its competent unit
    "chengyun_renewal_api_portfolio_create_lift": Create(model="renewal.LiftProject", body=lambda w, s, o: {
        "compound": lift(w, s).compound.code, "building": "9", "unit_no": "1", "floors": 6, "responsible_unit": w.unit(s).code}),
    "chengyun_renewal_api_portfolio_put_owners": Write(model="renewal.LiftProject", make=lift, path=lambda x: {"lift_id": x.pk}, body=lambda w, s, o: ROSTER),
    "chengyun_renewal_api_portfolio_post_votes": Write(model="renewal.LiftProject", make=lift, path=lambda x: {"lift_id": x.pk},
                                                       body=lambda w, s, o: [{"owner": "甲", "vote": "agree"}]),
    # working on a problem: its area's people and responsible unit
    "chengyun_renewal_api_problem_photos": Write(model=PROBLEM, make=problem, path=PROBLEM_PATH, files=lambda w, s, o: ({"files": _photo()}, {})),
    "chengyun_renewal_api_problem_link_remedy": Write(model=PROBLEM, make=problem, path=PROBLEM_PATH,
                                                      body=lambda w, s, o: {"project_key": f"renewal.project:{project(w, s).pk}"}),
    "chengyun_renewal_api_problem_to_case": Write(model=PROBLEM, make=problem, path=PROBLEM_PATH, body=lambda w, s, o: {"category_code": "0113"}),
    # a value is entered by the indicator's responsible department (or the office)
    "chengyun_renewal_api_measurement_record": Create(model="renewal.Measurement", parent="renewal.Indicator", body=lambda w, s, o: {
        "indicator_id": indicator(w, s).pk, "unit_kind": "street", "unit_code": w.street(s).code, "value": 1}),
    "chengyun_renewal_api_portfolio_post_compounds": Write(model="renewal.Project", make=project, path=PROJECT_PATH,
                                                           body=lambda w, s, o: {"compounds": [lift(w, s).compound.code]}),
    # 立项 is the office's decision (project_workflow: office_only), whatever the project's unit
    "chengyun_renewal_api_portfolio_project_action": Write(model="renewal.Project", make=project, gate=OFFICE,
                                                           path=lambda p: {"project_id": p.pk, "action": "approve"}, body=lambda w, s, o: {}),
    # a computation over the data given (or the district's); about no one object
    "chengyun_renewal_api_portfolio_charging_plan": Open(body=lambda w, s, o: {
        "k": 1, "demand": [{"lng": w.point(s)[0], "lat": w.point(s)[1], "weight": 10}],
        "candidates": [{"lng": w.point(s)[0] + 0.001, "lat": w.point(s)[1], "capacity": 8}]}),
    # 加装电梯: the lift's area and competent unit run it, step by step
    "chengyun_renewal_api_portfolio_lift_step": Write(model="renewal.LiftProject", make=voted_lift,
                                                      path=lambda x: {"lift_id": x.pk, "step": "publicity"},
                                                      body=lambda w, s, o: {"on": str(PUBLICITY_START)}),
    "chengyun_renewal_api_portfolio_post_objection": Write(model="renewal.LiftProject", make=lambda w, s: objection(w, s).lift,
                                                           path=lambda x: {"lift_id": x.pk}, body=lambda w, s, o: {
                                                               "objector": "丁", "content": "噪声", "raised_on": str(PUBLICITY_START)}),
    "chengyun_renewal_api_portfolio_post_mediation": Write(model="renewal.LiftObjection", make=objection, path=lambda x: {"objection_id": x.pk},
                                                           body=lambda w, s, o: {"result": "协商一致", "resolved": True,
                                                                                 "on": str(PUBLICITY_START + dt.timedelta(days=3))}),
    # 整改验收 is the health-check office's
    "chengyun_renewal_api_remedy_accept": Write(model="renewal.ProblemRemedy", make=remedy, gate=OFFICE, path=lambda r: {"remedy_id": r.pk}),
    "chengyun_renewal_api_indicator_set_import": Open(gate=OFFICE, make=indicator_set, path=lambda x: {"set_id": x.pk},
                                                      files=lambda w, s, o: ({"file": _indicator_sheet(w)}, {"dry_run": "true"})),
    # a layer is uploaded for the uploader's unit (the office and administrators for any)
    "chengyun_renewal_api_layer_upload": Create(model="renewal.Layer", files=lambda w, s, o: ({"file": _layer_file(w, s)}, {
        "code": "LM-NEW", "name": "公共服务设施", "kind": "facility", "unit": w.unit(s).code, "dry_run": "true"})),
    "chengyun_renewal_api_portfolio_post_progress": Write(model="renewal.Project", make=approved_project, path=PROJECT_PATH,
                                                          body=lambda w, s, o: {"percent": 10, "reported_on": "2026-04-01"}),
    # the problem linked is one every matrix user sees: only the project's writers decide
    "chengyun_renewal_api_portfolio_post_problem": Write(model="renewal.Project", make=project, path=PROJECT_PATH,
                                                         body=lambda w, s, o: {"problem": problem(w, "in", "L").code}),
    "chengyun_renewal_api_portfolio_post_asset": Write(model="renewal.Project", make=project, path=PROJECT_PATH,
                                                       body=lambda w, s, o: {"kind": "drainage.pipe", "code": _pipe(w, s).code}),
    # 督办: a key task, placed on its lead unit, by those who may set tasks (supervision's rule)
    "chengyun_renewal_api_portfolio_post_supervise": Create(model="supervision.KeyTask", make=lambda w, s: project(w, s, "supervised"),
                                                            path=PROJECT_PATH, body=lambda w, s, o: {"deadline": str(SOON), "lead_unit": w.unit(s).code}),
    "chengyun_renewal_api_problem_to_task": Create(model="supervision.KeyTask", parent=PROBLEM, make=lambda w, s: problem(w, s, "T"),
                                                   path=PROBLEM_PATH, body=lambda w, s, o: {"deadline": str(SOON), "lead_unit": w.unit(s).code}),
}


def _pipe(world, scope):
    from spec_drainage import network

    return network(world, scope)
