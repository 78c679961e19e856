"""Matrix declarations for /api/v1/villagefund/.

A village and its projects are read and written by the village's cadres and its street's
officers (policy area paths), read by the district-wide roles; the district's joint-review
departments (组织部、财政局、农业农村局: services.access) read everything. The matrix's users
all belong to D01 (城管), so none of them reviews for the district: REVIEWERS computes it from
the setting rather than assuming it. Each workflow step is narrower than the rule: its roles come
from the transition table or the service's constant.
"""
from __future__ import annotations

import datetime as dt

from matrix import UNIT_IN, Create, List, Open, Read, Write, by_results
from chengyun.people import roles as R

PAGE = lambda w, s, o: {"limit": 500}  # noqa: E731
MEETINGS = [
    {"kind": "committees", "held_on": "2026-03-01", "entitled": 7, "present": 7, "agree": 7},
    {"kind": "party", "held_on": "2026-03-05", "entitled": 40, "present": 30, "agree": 28},
    {"kind": "representatives", "held_on": "2026-03-09", "entitled": 30, "present": 24, "agree": 20},
]


def REVIEWERS() -> frozenset[str]:
    from chengyun.geo.models import Unit
    from chengyun.villagefund import rules

    in_review = Unit.objects.filter(code=UNIT_IN, specialty__in=list(rules.review_units())).exists()
    return frozenset({R.SYSADMIN} | ({R.DEPT_HANDLER} if in_review else set()))


def _review_units():
    from chengyun.geo.models import Unit

    return [Unit.objects.get_or_create(code=code, defaults={"name": name, "kind": Unit.Kind.DEPARTMENT, "specialty": spec})[0]
            for code, name, spec in (("MZZB", "矩阵组织部", "组织"), ("MCZJ", "矩阵财政局", "财政"), ("MNYJ", "矩阵农业农村局", "农业农村"))]


def village(world, scope):
    def make():
        from chengyun.standards import gb32100
        from chengyun.villagefund import services

        community = world.grid(scope).community
        return services.create_village(None, community=community, name=f"矩阵村{scope}", organisation=f"矩阵村{scope}股份经济合作社",
                                       credit_code=gb32100.make(f"N2630109MA000{1 if scope == 'in' else 2}000"), representatives=30)

    return world.once(("fund_village", scope), make)


def batch(world, scope=None):
    def make():
        from chengyun.villagefund import services

        return services.create_batch(None, year=2026, name="矩阵资金批次", central_wan=500)

    return world.once(("fund_batch",), make)


def project(world, scope, tag="", state="draft"):
    """A project of the scope's village, walked to ``state`` by the platform itself."""
    def make():
        from chengyun.villagefund import services

        p = services.create_project(None, village=village(world, scope), batch=batch(world), name=f"矩阵项目{scope}{tag}", model="property",
                                    amount_wan=100, budget=[{"item": "工程建设", "amount_wan": 100}])
        services.record_decision(None, p, MEETINGS)
        if state == "draft":
            return p
        services.transition(None, p, "submit")
        services.transition(None, p, "town_approve", note="同意")
        for unit in _review_units():
            services.transition(None, p, "joint_opinion", agree=True, note="同意", unit=unit)
        services.transition(None, p, "approve")
        services.transition(None, p, "publish", on=dt.date.today())
        if state == "publicity":
            return p
        services.transition(None, p, "start", on=p.publicity_end + dt.timedelta(days=1))
        if state == "implementing":
            return p
        services.transition(None, p, "accept", note="合格", on=p.publicity_end + dt.timedelta(days=2), assets=[{"name": "电站", "value_wan": 100}])
        return p

    return world.once(("fund_project", scope, tag, state), make)


def objection(world, scope):
    def make():
        from chengyun.villagefund import services

        return services.raise_objection(None, project(world, scope, "objection", "publicity"), content="补偿标准未公开")

    return world.once(("fund_objection", scope), make)


def progress(world, scope):
    def make():
        from chengyun.villagefund import services

        return services.report_progress(None, project(world, scope, "progress", "implementing"), percent=40, spent_wan=30)

    return world.once(("fund_progress", scope), make)


def payment(world, scope):
    def make():
        from chengyun.villagefund import services

        p = project(world, scope, "paid", "implementing")
        return services.record_payment(None, p, amount_wan=10, kind="prepay", use="construction", voucher=f"M-{scope}",
                                       paid_on=p.publicity_end + dt.timedelta(days=2))

    return world.once(("fund_payment", scope), make)


def yearly_return(world, scope):
    def make():
        from chengyun.villagefund import services

        return services.report_return(None, project(world, scope, "earning", "accepted"), year=2026, income_wan=6, dividend_wan=3)

    return world.once(("fund_return", scope), make)


PROJECT_PATH = lambda p: {"project_id": p.pk}  # noqa: E731
VILLAGE_EDIT = frozenset({R.VILLAGE_CADRE, R.SYSADMIN})
TOWN = frozenset({R.STREET_OFFICER, R.SYSADMIN})
LOCAL = frozenset({R.VILLAGE_CADRE, R.STREET_OFFICER, R.SYSADMIN})


def _payment_body(w, s, o):
    return {"amount_wan": 10, "kind": "prepay", "use": "construction", "voucher": f"MB-{s}", "paid_on": str(o.publicity_end + dt.timedelta(days=1))}


def _new_village_body(w, s, o):
    from chengyun.standards import gb32100

    street = w.street(s)
    return {"community": f"{street.code}002", "name": "矩阵新村", "organisation": "矩阵新村股份经济合作社", "credit_code": gb32100.make("N2630109MA0009999")}


SPEC = {
    "chengyun_villagefund_api_public": Open(),
    "chengyun_villagefund_api_villages": List(model="villagefund.Village", make=village, found=by_results("id", "pk"), query=PAGE),
    "chengyun_villagefund_api_village_detail": Read(model="villagefund.Village", make=village, path=lambda v: {"village_id": v.pk}),
    "chengyun_villagefund_api_create_village": Create(model="villagefund.Village", gate=TOWN, body=_new_village_body),
    "chengyun_villagefund_api_patch_village": Write(model="villagefund.Village", make=village, path=lambda v: {"village_id": v.pk},
                                                    body=lambda w, s, o: {"households": 321}),
    "chengyun_villagefund_api_batches": Open(query=PAGE),
    "chengyun_villagefund_api_create_batch": Open(gate=REVIEWERS, body=lambda w, s, o: {"year": 2027, "name": "矩阵新批次", "central_wan": 100}),
    "chengyun_villagefund_api_projects": List(model="villagefund.Project", make=project, found=by_results("code", "code"), query=PAGE),
    "chengyun_villagefund_api_create_project": Create(model="villagefund.Project", gate=VILLAGE_EDIT, body=lambda w, s, o: {
        "village": village(w, s).pk, "batch": batch(w).pk, "name": "矩阵新项目", "model": "service", "amount_wan": 20}),
    "chengyun_villagefund_api_project_detail": Read(model="villagefund.Project", make=project, path=PROJECT_PATH),
    "chengyun_villagefund_api_patch_project": Write(model="villagefund.Project", make=project, path=PROJECT_PATH, gate=VILLAGE_EDIT, narrows=True,
                                                    body=lambda w, s, o: {"name": "改名后的项目"}),
    "chengyun_villagefund_api_put_decision": Write(model="villagefund.Project", make=project, path=PROJECT_PATH, gate=VILLAGE_EDIT, narrows=True,
                                                   body=lambda w, s, o: MEETINGS),
    "chengyun_villagefund_api_post_objection": Write(model="villagefund.Project", make=lambda w, s: project(w, s, "", "publicity"),
                                                     path=PROJECT_PATH, gate=LOCAL, narrows=True, body=lambda w, s, o: {"content": "选址有异议"}),
    "chengyun_villagefund_api_resolve_objection": Write(model="villagefund.Objection", make=objection, path=lambda o: {"objection_id": o.pk},
                                                        gate=TOWN, narrows=True, body=lambda w, s, o: {"resolution": "已协商一致"}),
    "chengyun_villagefund_api_post_progress": Write(model="villagefund.Project", make=lambda w, s: project(w, s, "", "implementing"),
                                                    path=PROJECT_PATH, gate=VILLAGE_EDIT, narrows=True, body=lambda w, s, o: {"percent": 50, "spent_wan": 40}),
    "chengyun_villagefund_api_verify_progress": Write(model="villagefund.Progress", make=progress, path=lambda g: {"progress_id": g.pk},
                                                      gate=TOWN, narrows=True),
    "chengyun_villagefund_api_post_payment": Write(model="villagefund.Project", make=lambda w, s: project(w, s, "", "publicity"),
                                                   path=PROJECT_PATH, gate=TOWN, narrows=True, body=_payment_body),
    "chengyun_villagefund_api_payments": List(model="villagefund.Payment", make=payment, found=by_results("voucher", "voucher"), query=PAGE),
    "chengyun_villagefund_api_post_return": Write(model="villagefund.Project", make=lambda w, s: project(w, s, "", "accepted"),
                                                  path=PROJECT_PATH, gate=VILLAGE_EDIT, narrows=True,
                                                  body=lambda w, s, o: {"year": 2026, "income_wan": 5, "dividend_wan": 2}),
    "chengyun_villagefund_api_returns": List(model="villagefund.YearlyReturn", make=yearly_return, found=by_results("id", "pk"), query=PAGE),
    # a step of the table: submitting is the village cadre's alone (workflow.TRANSITIONS["submit"].roles)
    "chengyun_villagefund_api_project_action": Write(model="villagefund.Project", make=lambda w, s: project(w, s, "submit"),
                                                     path=lambda p: {"project_id": p.pk, "action": "submit"},
                                                     gate=lambda: __import__("chengyun.villagefund.workflow", fromlist=["x"]).TRANSITIONS["submit"].roles,
                                                     body=lambda w, s, o: {}),
}
