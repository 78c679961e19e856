"""Matrix declarations for /api/v1/drainage/."""
from __future__ import annotations

import datetime as dt

from matrix import Create, List, Open, Read, Write, by_results
from chengyun.people import policy
from chengyun.people import roles as R

TODAY = dt.date.today()
NETWORK_KEEPERS = frozenset({R.SYSADMIN, R.DEPT_HANDLER})  # inventory / inspection imports
DETECTORS = frozenset({R.SYSADMIN, R.OPS_DISPATCHER, R.OPS_SHIFT_LEADER, R.DEPT_HANDLER})  # detect_misconnections


def network(world, scope):
    """Two manholes and a rain pipe between them in the scope's grid, owned by its unit."""
    def make():
        from chengyun.drainage import services
        from chengyun.drainage.importers import NetFeature
        from chengyun.drainage.models import Pipe

        lng, lat = world.point(scope)
        tag = scope.upper()
        a, b = f"M{tag}1", f"M{tag}2"
        feats = [NetFeature("m.geojson", 1, {"code": a, "kind": "manhole", "ground_m": 2230.0}, {"type": "Point", "coordinates": [lng, lat]}),
                 NetFeature("m.geojson", 2, {"code": b, "kind": "manhole", "ground_m": 2229.0}, {"type": "Point", "coordinates": [lng + 0.0005, lat]}),
                 NetFeature("m.geojson", 3, {"code": f"P{tag}", "type": "rain", "diameter_mm": 400, "material": "钢筋混凝土", "install_year": 1995,
                                             "from_node": a, "to_node": b, "up_invert_m": 2228.0, "down_invert_m": 2227.8},
                            {"type": "LineString", "coordinates": [[lng, lat], [lng + 0.0005, lat]]})]
        report = services.import_network(feats, default_owner=world.unit(scope).code)
        assert report.ok, report.as_text()
        return Pipe.objects.select_related("from_node").get(code=f"P{tag}")

    return world.once(("pipe", scope), make)


def node(world, scope):
    return network(world, scope).from_node


def misconnection(world, scope, status="open"):
    def make():
        from chengyun.drainage.models import Misconnection

        p = network(world, scope)
        return Misconnection.objects.create(key=f"matrix-{scope}-{status}", kind=Misconnection.Kind.SEWAGE_TO_RAIN, status=status, pipe=p,
                                            evidence="矩阵", street=world.street(scope), grid=world.grid(scope), owner=world.unit(scope))

    return world.once(("misconnection", scope, status), make)


def plan(world, scope):
    def make():
        from chengyun.drainage.models import RenovationPlan

        return RenovationPlan.objects.create(year=TODAY.year, name=f"矩阵计划{scope}", budget_yuan=100000, unit=world.unit(scope))

    return world.once(("plan", scope), make)


def project(world, scope):
    def make():
        from chengyun.drainage import services

        return services.create_project(None, code=f"SP{scope.upper()}", name=f"矩阵分流{scope}", pipe_codes=[network(world, scope).code],
                                       unit=world.unit(scope), street=world.street(scope))

    return world.once(("project", scope), make)


def _creators_of(label):
    """Roles that may create the model for their own unit (the API places it in the caller's unit)."""
    def roles():
        from django.apps import apps

        rule = policy.rule_for(apps.get_model(label))
        return rule.write | rule.wide_write
    return roles


def _upload(name, text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode("utf-8"), "text/csv")


def overflow(world, scope):
    """An overflow entered by hand at the scope's manhole (owned by the scope's unit)."""
    def make():
        from django.utils import timezone

        from chengyun.drainage import overflow_feed

        return overflow_feed.enter_overflow(None, node(world, scope).code, occurred_at=timezone.now() - dt.timedelta(hours=3), note="矩阵")

    return world.once(("overflow", scope), make)


MISC = "drainage.Misconnection"
MISC_PATH = lambda m: {"pk": m.pk}  # noqa: E731

SPEC = {
    "chengyun_drainage_api_nodes": List(model="drainage.Node", make=node, found=by_results("code", "code"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_drainage_api_node_detail": Read(model="drainage.Node", make=node, path=lambda n: {"code": n.code}),
    "chengyun_drainage_api_pipes": List(model="drainage.Pipe", make=network, found=by_results("code", "code"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_drainage_api_pipes_geojson": Open(),
    "chengyun_drainage_api_pipe_detail": Read(model="drainage.Pipe", make=network, path=lambda p: {"code": p.code}),
    "chengyun_drainage_api_inspections": Open(),
    "chengyun_drainage_api_import_inspections": Open(gate=NETWORK_KEEPERS, files=lambda w, s, o: (
        {"file": _upload("report.csv", "管段编号,检测日期,检测方法,检测人员,缺陷代码,缺陷等级,缺陷位置(m),缺陷长度(m),环向位置,照片\n"
                                       f"{network(w, 'in').code},{TODAY},CCTV,张工,PL,3,5.0,0.5,0309,\n")}, {"dry_run": "true"})),
    "chengyun_drainage_api_import_network": Open(gate=NETWORK_KEEPERS, files=lambda w, s, o: (
        {"file": _upload("pipes.csv", "code,type,diameter_mm,material,install_year,from_node,to_node,up_invert_m,down_invert_m\n"
                                      f"PNEW,rain,300,HDPE,2015,{node(w, 'in').code},{network(w, 'in').to_node.code},2228.0,2227.9\n")}, {"dry_run": "true"})),
    "chengyun_drainage_api_trace": Open(query=lambda w, s, o: {"node": node(w, s).code}),
    "chengyun_drainage_api_misconnections": List(model=MISC, make=misconnection, found=by_results("id", "pk"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_drainage_api_detect": Open(gate=DETECTORS),
    "chengyun_drainage_api_to_case": Write(model=MISC, make=misconnection, path=MISC_PATH),
    "chengyun_drainage_api_to_task": Write(model=MISC, make=misconnection, path=MISC_PATH,
                                           body=lambda w, s, o: {"lead_unit": w.unit(s).code, "deadline": str(TODAY + dt.timedelta(days=30))}),
    "chengyun_drainage_api_dismiss": Write(model=MISC, make=misconnection, path=MISC_PATH, body=lambda w, s, o: {"note": "现场核查无混接"}),
    "chengyun_drainage_api_reopen": Write(model=MISC, make=lambda w, s: misconnection(w, s, "dismissed"), path=MISC_PATH),
    "chengyun_drainage_api_priority": Open(),
    "chengyun_drainage_api_create_plan": Open(gate=_creators_of("drainage.RenovationPlan"), body=lambda w, s, o: {"year": TODAY.year, "budget_yuan": 500000}),
    "chengyun_drainage_api_plans": List(model="drainage.RenovationPlan", make=plan, found=by_results("id", "pk"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_drainage_api_plan_detail": Read(model="drainage.RenovationPlan", make=plan, path=lambda p: {"pk": p.pk}),
    "chengyun_drainage_api_plan_export": Read(model="drainage.RenovationPlan", make=plan, path=lambda p: {"pk": p.pk}),
    "chengyun_drainage_api_projects": List(model="drainage.SeparationProject", make=project, found=by_results("code", "code"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_drainage_api_create_project": Open(gate=_creators_of("drainage.SeparationProject"),
                                                 body=lambda w, s, o: {"code": "SPNEW", "name": "新分流项目", "pipes": [network(w, "in").code]}),
    "chengyun_drainage_api_project_progress": Write(model="drainage.SeparationProject", make=project, path=lambda p: {"code": p.code},
                                                    body=lambda w, s, o: {"pipes": [network(w, s).code], "done_on": str(TODAY)}),
    # Overflow records: everyone reads them; the node's owner unit (or the ops center) enters one.
    "chengyun_drainage_api_overflows_overflows": List(model="drainage.OverflowRecord", make=overflow, found=by_results("id", "pk"),
                                                      query=lambda w, s, o: {"limit": 500}),
    "chengyun_drainage_api_overflows_overflow": Read(model="drainage.OverflowRecord", make=overflow, path=lambda r: {"pk": r.pk}),
    "chengyun_drainage_api_overflows_enter_overflow": Create(model="drainage.OverflowRecord", body=lambda w, s, o: {
        "node": node(w, s).code, "occurred_at": (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).isoformat(), "source": "巡查"}),
}
