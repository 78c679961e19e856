"""The demo district's renewal portfolio (城市更新项目库), on top of the health-check demo:
~80 projects of every type in every stage with 2026–2028 targets and funding, linked to the
ledger's problems and to compounds and pipes; 老旧小区 consultations and supervisors; 12 lift
projects with real vote distributions (some failing each threshold); parking supply per
compound and public lots; charging sites (existing and candidates); three projects under
supervision. Runs after the health-check demo (``renewal.demo``); when that has not made the
compound register, it makes a small one itself. Deterministic: one seeded RNG.
"""
from __future__ import annotations

import datetime as dt
import math

from chengyun.demo.context import DemoContext

from . import project_types as pt
from . import project_workflow as pw

# (type, count, responsible unit, name pattern)
PLAN = [
    (pt.OLD_COMPOUND, 20, "D02", "{c}老旧小区综合改造"),
    (pt.LIFT, 4, "D02", "{c}既有住宅加装电梯（第{n}批）"),
    (pt.PARKING, 8, "D05", "{c}公共临时停车场"),
    (pt.DRAINAGE, 8, "U02", "{c}雨污分流改造"),
    (pt.WATER_SUPPLY, 6, "U01", "{c}老旧供水管网更新"),
    (pt.GAS, 8, "U03", "{c}老旧燃气管网更新改造"),
    (pt.BUILDING_ENERGY, 5, "D02", "{c}公共建筑节能改造"),
    (pt.CLEAN_ENERGY, 4, "U04", "{c}清洁能源替代（煤改电/气）"),
    (pt.CHARGING, 7, "D05", "{c}新能源汽车充电设施"),
    (pt.WATER_SAVING, 5, "D03", "{c}节水型单位（小区）创建"),
    (pt.MUNICIPAL, 5, "C04", "{c}市政设施维修"),
]
STATE_MIX = [pw.RESERVE, pw.APPROVED, pw.FUNDED, pw.TENDERING, pw.CONSTRUCTION, pw.CONSTRUCTION, pw.CONSTRUCTION,
             pw.ACCEPTED, pw.OPERATION, pw.RESERVE, pw.CONSTRUCTION, pw.ACCEPTED, pw.WITHDRAWN]
FUNDING = {
    pt.OLD_COMPOUND: ("central_budget", "local_fiscal", "residents", "property_owner"),
    pt.LIFT: ("local_fiscal", "residents"),
    pt.PARKING: ("special_bonds", "social_capital"),
    pt.DRAINAGE: ("central_budget", "special_bonds", "local_fiscal"),
    pt.WATER_SUPPLY: ("special_bonds", "property_owner"),
    pt.GAS: ("central_budget", "special_bonds", "property_owner"),
    pt.BUILDING_ENERGY: ("local_fiscal", "social_capital"),
    pt.CLEAN_ENERGY: ("central_budget", "local_fiscal", "residents"),
    pt.CHARGING: ("social_capital", "local_fiscal"),
    pt.WATER_SAVING: ("local_fiscal", "property_owner"),
    pt.MUNICIPAL: ("local_fiscal",),
}
# Lift votes: (owners, agree, oppose, abstain, absent) by count; areas vary per flat. Chosen to
# pass, and to fail participation by area, by owners, approval by area, by owners.
LIFT_VOTES = [
    ("pass", (12, 10, 1, 1, 0)), ("pass", (12, 9, 1, 0, 2)), ("pass", (18, 14, 1, 0, 3)), ("pass", (12, 9, 0, 0, 3)),
    ("pass", (10, 8, 1, 0, 1)), ("pass", (14, 11, 2, 0, 1)), ("pass", (12, 12, 0, 0, 0)),
    ("participation_owners", (12, 7, 0, 0, 5)), ("participation_area", (12, 7, 1, 0, 4)),
    ("approval_owners", (12, 8, 3, 1, 0)), ("approval_area", (12, 9, 3, 0, 0)), ("approval_owners", (18, 12, 4, 1, 1)),
]


# The app's demo generator as the registry sees it (set by portfolio_setup): the health-check
# demo the app config declared, then this one.
CHAINED = "chengyun.renewal.demo_portfolio.generate_with_health_check"
HEALTH_CHECK_DEMO: str | None = None


def generate_with_health_check(ctx: DemoContext) -> None:
    from django.utils.module_loading import import_string

    if HEALTH_CHECK_DEMO:
        import_string(HEALTH_CHECK_DEMO)(ctx)
    generate(ctx)


def generate(ctx: DemoContext) -> None:
    from chengyun.geo.models import Community, Compound

    from .models import Project

    if Project.objects.exists():
        ctx.log("城市更新项目库：已存在，跳过")
        return
    if not Community.objects.exists():
        ctx.log("城市更新项目库：没有社区，跳过")
        return
    rng = ctx.rng("renewal-portfolio")
    if not Compound.objects.exists():
        _compounds(rng)
    _parking(rng)
    projects = _projects(rng)
    lifts = _lifts(rng, [p for p in projects if p.type == pt.LIFT])
    sites = _charging_sites(rng)
    supervised = _supervise(projects)
    ctx.log(f"城市更新项目库：项目 {len(projects)} 个，加装电梯 {lifts} 个单元，充电设施点位 {sites} 个，督办 {supervised} 个")


def _compounds(rng) -> None:
    """A small register when the health-check demo has not made one: 3 per community."""
    from chengyun.geo import compounds
    from chengyun.geo.models import Community

    for comm in Community.objects.order_by("code"):
        p = comm.shape.representative_point()
        for n in range(3):
            old = n == 0
            compounds.create_compound(None, code=f"XQ{comm.code[-6:]}{n + 1:03d}", name=f"{comm.name}{'一二三'[n]}号小区", community=comm,
                                      built_year=rng.randint(1980, 1999) if old else rng.randint(2001, 2020), buildings=rng.randint(4, 16),
                                      households=rng.randint(120, 600), floor_area_m2=rng.randint(8000, 60000),
                                      management_mode=rng.choice(["professional", "community_cleaning", "community_quasi", "none"]),
                                      lng=p.x + rng.uniform(-0.001, 0.001), lat=p.y + rng.uniform(-0.001, 0.001))


def _parking(rng) -> None:
    from chengyun.geo.models import Community, Compound

    from .services import parking

    for c in Compound.objects.filter(active=True).order_by("code"):
        old = c.built_year is not None and c.built_year <= 2000
        spaces = int(c.households * rng.uniform(0.15, 0.45) if old else c.households * rng.uniform(0.6, 1.1))
        chargers = int(spaces * rng.uniform(0.0, 0.04 if old else 0.12))
        parking.add_supply(None, code=f"PS-{c.code}", name=f"{c.name}内部泊位", kind="compound", compound=c, spaces=spaces, chargers=chargers)
    for i, comm in enumerate(Community.objects.order_by("code")):
        if i % 3:
            continue
        p = comm.shape.representative_point()
        parking.add_supply(None, code=f"PL-{comm.code}", name=f"{comm.name}公共停车场", kind="public_lot", community=comm,
                           spaces=rng.randint(60, 240), chargers=rng.randint(0, 12), lng=p.x + rng.uniform(-0.002, 0.002),
                           lat=p.y + rng.uniform(-0.002, 0.002))


def _pipes(rng, n: int) -> list[str]:
    try:
        from chengyun.drainage.models import Pipe
    except ImportError:
        return []
    codes = list(Pipe.objects.order_by("code").values_list("code", flat=True)[:400])
    return rng.sample(codes, min(n, len(codes)))


def _metrics(rng, type_code: str, compounds: list) -> dict:
    hh = sum(c.households for c in compounds) or rng.randint(200, 900)
    return {
        pt.OLD_COMPOUND: lambda: {"households": hh, "buildings": sum(c.buildings for c in compounds) or 8,
                                  "floor_area_m2": round(sum(c.floor_area_m2 for c in compounds) or 30000, 0), "lifts": rng.randint(0, 4)},
        pt.LIFT: lambda: {"lifts": rng.randint(3, 12), "households": rng.randint(40, 140)},
        pt.PARKING: lambda: {"parking_spaces": rng.choice([40, 60, 80, 120, 160]), "chargers": rng.choice([0, 4, 8, 12])},
        pt.DRAINAGE: lambda: {"main_km": round(rng.uniform(0.8, 6.5), 2), "households": hh},
        pt.WATER_SUPPLY: lambda: {"main_km": round(rng.uniform(1.0, 9.0), 2), "households": hh},
        pt.GAS: lambda: {"main_km": round(rng.uniform(0.6, 7.5), 2), "households": hh},
        pt.BUILDING_ENERGY: lambda: {"floor_area_m2": rng.randint(5000, 40000), "tce_saved": round(rng.uniform(80, 900), 1)},
        pt.CLEAN_ENERGY: lambda: {"tce_saved": round(rng.uniform(200, 3000), 1), "households": rng.randint(100, 1500)},
        pt.CHARGING: lambda: {"chargers": rng.choice([10, 20, 30, 40, 60])},
        pt.WATER_SAVING: lambda: {"water_saved_m3": rng.randint(2000, 40000), "facilities": rng.randint(1, 12)},
        pt.MUNICIPAL: lambda: {"facilities": rng.randint(3, 40), "main_km": round(rng.uniform(0.2, 3.0), 2)},
    }[type_code]()


def _projects(rng) -> list:
    from chengyun.geo.models import Community, Compound

    from .models import Problem
    from .services import participation, portfolio

    communities = list(Community.objects.select_related("street").order_by("code"))
    eligible = list(participation.eligible_compounds().select_related("community").order_by("code"))
    open_problems = list(Problem.objects.filter(state__in=["pending", "in_progress"]).order_by("code"))
    rng.shuffle(open_problems)
    pipes = _pipes(rng, 40)
    made = []
    k = 0
    for type_code, count, unit, pattern in PLAN:
        for n in range(count):
            state = STATE_MIX[k % len(STATE_MIX)]
            k += 1
            if type_code == pt.OLD_COMPOUND and eligible:
                comps = [eligible.pop(0) for _ in range(min(len(eligible), rng.choice((1, 1, 2))))]
                comm = comps[0].community
            else:
                comm = rng.choice(communities)
                comps = list(Compound.objects.filter(community=comm).order_by("code")[:1]) if type_code in (pt.CHARGING, pt.WATER_SAVING) else []
            start = rng.choice((2026, 2026, 2026, 2027, 2027, 2028)) if state == pw.RESERVE else 2026
            if state in (pw.ACCEPTED, pw.OPERATION):
                start = 2026
            end = min(2028, start + rng.choice((0, 1, 1, 2)))
            metrics = _metrics(rng, type_code, comps)
            main = pt.TYPES[type_code].main_metric
            years = list(range(start, end + 1))
            share = [round(metrics[main] / len(years), 2) for _ in years]
            invest = round(rng.uniform(80, 3000), 2)
            sources = FUNDING[type_code]
            funding = [{"source": s, "year": start + (i % len(years)), "amount_wan": round(invest * w, 2), "secured": state not in (pw.RESERVE, pw.APPROVED)}
                       for i, (s, w) in enumerate(zip(sources, _split(rng, len(sources))))]
            point = comps[0] if comps and comps[0].lng else None
            rep = comm.shape.representative_point()
            contents = (sorted(rng.sample([c for c, (cat, _) in pt.CONTENTS.items() if cat == pt.BASIC], 4)
                              + rng.sample([c for c, (cat, _) in pt.CONTENTS.items() if cat == pt.COMPLETE], 2)
                              + rng.sample([c for c, (cat, _) in pt.CONTENTS.items() if cat == pt.IMPROVE], rng.choice((0, 1))))
                        if type_code == pt.OLD_COMPOUND else [])
            p = portfolio.create_project(
                None, name=pattern.format(c=(comps[0].name if comps and type_code == pt.OLD_COMPOUND else comm.name), n=n + 1), type=type_code,
                start_year=start, end_year=end, metrics=metrics, contents=contents, responsible_unit=unit, community=comm,
                total_investment_wan=invest, lng=point.lng if point else rep.x + rng.uniform(-0.002, 0.002),
                lat=point.lat if point else rep.y + rng.uniform(-0.002, 0.002), compounds=comps,
                targets=[{"year": y, "quantity": q, "investment_wan": round(invest / len(years), 2),
                          "content": f"{y}年完成{q}{pt.METRICS[main].unit}"} for y, q in zip(years, share)],
                funding=funding, description=f"{pt.TYPES[type_code].label}：{pattern.format(c=comm.name, n=n + 1)}")
            if type_code == pt.DRAINAGE and pipes:
                for code in pipes[:rng.randint(2, 5)]:
                    portfolio.link_asset(None, p, kind="drainage.pipe", code=code)
                    pipes.remove(code)
            if open_problems and rng.random() < 0.6:
                for problem in [open_problems.pop() for _ in range(min(len(open_problems), rng.randint(1, 3)))]:
                    portfolio.link_problem(None, p, problem)
            p = _advance(rng, p, state, comps)
            made.append(p)
    return made


def _split(rng, n: int) -> list[float]:
    w = [rng.uniform(0.5, 2.0) for _ in range(n)]
    return [x / sum(w) for x in w]


def _advance(rng, p, state: str, comps: list):
    from .services import participation, portfolio

    old = p.type == pt.OLD_COMPOUND
    today = dt.date.today()
    households = p.metrics.get("households", 100)
    if old:
        reached = households
        participation.record_consultation(None, p, stage="needs_survey", held_on=today - dt.timedelta(days=200), households_reached=reached,
                                          responses=int(reached * rng.uniform(0.7, 0.95)), favourable=int(reached * rng.uniform(0.6, 0.7)),
                                          summary="居民最关心：屋面漏水、燃气立管锈蚀、停车难、无障碍通道")
    if state == pw.WITHDRAWN:
        return portfolio.transition(None, p, "withdraw", note="并入片区统筹更新项目")
    for action in ("approve", "fund", "tender", "start", "accept", "handover"):
        if p.state == state:
            break
        if old and action == "tender":
            reached = households
            participation.record_consultation(None, p, stage="plan_publicity", held_on=today - dt.timedelta(days=150), households_reached=reached,
                                              responses=int(reached * rng.uniform(0.6, 0.9)), favourable=int(reached * rng.uniform(0.55, 0.6)),
                                              summary="改造方案公示，调整停车位布局")
        if action == "accept":
            portfolio.report_progress(None, p, percent=100, quantity_done=p.metrics.get(p.type_info.main_metric, 0), note="完工待验收")
        p = portfolio.transition(None, p, action, representatives=["张桂兰", "李建国", "马海军"] if old else [],
                                 conclusion="工程质量合格，同意验收")
        if old and action == "start":
            for i in range(rng.randint(1, 3)):
                participation.appoint_supervisor(None, p, name=f"居民监督员{i + 1}", building=f"{rng.randint(1, 12)}号楼",
                                                 appointed_on=today - dt.timedelta(days=90))
    if p.state == pw.CONSTRUCTION:
        for pct in sorted(rng.sample(range(10, 95, 5), 2)):
            portfolio.report_progress(None, p, percent=pct, reported_on=today - dt.timedelta(days=(100 - pct)),
                                      quantity_done=round(p.metrics.get(p.type_info.main_metric, 0) * pct / 100, 2), note=f"形象进度 {pct}%")
    if old and p.completed:
        reached = households
        participation.record_consultation(None, p, stage="satisfaction", held_on=today, households_reached=reached,
                                          responses=int(reached * 0.8), favourable=int(reached * rng.uniform(0.7, 0.78)), summary="满意度回访")
    return p


def _lifts(rng, lift_projects: list) -> int:
    from chengyun.geo.models import Compound

    from .services import lifts

    compounds = list(Compound.objects.filter(active=True, built_year__lte=2000).order_by("code")) or list(Compound.objects.order_by("code"))
    today = dt.date.today()
    for i, (kind, (n_owners, agree, oppose, abstain, absent)) in enumerate(LIFT_VOTES):
        comp = compounds[(i * 5) % len(compounds)]
        floors = rng.choice((5, 6, 6, 7))
        lift = lifts.create_lift(None, compound=comp, building=str(rng.randint(1, 12)), unit_no=str(i % 3 + 1), floors=floors,
                                 project=lift_projects[i % len(lift_projects)] if lift_projects else None, responsible_unit="D02",
                                 code=f"DT2026-{i + 1:03d}")
        votes = ["agree"] * agree + ["oppose"] * oppose + ["abstain"] * abstain + ["absent"] * absent
        areas = [round(rng.uniform(62, 96), 2) for _ in range(n_owners)]
        # Shape the areas so the intended threshold fails on area but not on count, or vice versa.
        if kind == "participation_area":      # absent owners hold the big flats
            areas = [60.0] * (agree + oppose) + [150.0] * absent
        elif kind == "participation_owners":  # the few voters hold big flats
            areas = [130.0] * agree + [55.0] * absent
        elif kind == "approval_area":         # opponents hold the big flats
            areas = [60.0] * agree + [140.0] * oppose
        elif kind == "approval_owners":       # a few large supporters, many small opponents
            areas = [140.0] * agree + [50.0] * (oppose + abstain) + [70.0] * absent
        owners = [{"part": f"{f // 2 + 1}0{f % 2 + 1}", "owner": f"业主{lift.code[-3:]}-{f + 1:02d}", "area_m2": a, "floor": f // 2 + 1}
                  for f, a in enumerate(areas)]
        lifts.set_owners(None, lift, owners)
        lifts.record_votes(None, lift, [{"owner": o["owner"], "vote": v} for o, v in zip(owners, votes)])
        lift.refresh_from_db()
        if not lift.approved:
            continue
        stage = i % 6
        start = today - dt.timedelta(days=300 - 20 * stage)
        lifts.start_publicity(None, lift, start=start if stage else today - dt.timedelta(days=5))
        if stage == 0:
            lifts.add_objection(None, lift, objector=owners[0]["owner"], content="担心低层采光和噪声", raised_on=today - dt.timedelta(days=3))
            continue
        if stage >= 2:
            o = lifts.add_objection(None, lift, objector=owners[1]["owner"], content="电梯井道占用绿地", raised_on=start + dt.timedelta(days=3))
            lifts.mediate(None, o, result="街道组织协商，调整井道位置并补植绿化", resolved=True, on=start + dt.timedelta(days=10))
            lifts.record_permits(None, lift, planning_permit=f"建字第{lift.code}号", construction_permit=f"备-{lift.code}",
                                 on=lift.publicity_end + dt.timedelta(days=7))
        if stage >= 3:
            lifts.start_construction(None, lift, on=lift.permits_on + dt.timedelta(days=10))
        if stage >= 4:
            lifts.accept(None, lift, on=lift.construction_started_on + dt.timedelta(days=60))
        if stage >= 5:
            lifts.register_equipment(None, lift, registration_no=f"梯11青A{i:04d}(26)", on=lift.accepted_on + dt.timedelta(days=10))
    return len(LIFT_VOTES)


def _charging_sites(rng) -> int:
    from chengyun.geo.models import Community

    from .services import charging

    n = 0
    for i, comm in enumerate(Community.objects.order_by("code")):
        shape = comm.shape
        minx, miny, maxx, maxy = shape.bounds
        for j in range(2):
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            n += 1
            existing = (i + j) % 5 == 0
            charging.add_site(None, code=f"CS{n:03d}", name=f"{comm.name}{'充电站' if existing else '候选点'}{j + 1}", lng=round(x, 6),
                              lat=round(y, 6), capacity=rng.choice((10, 20, 20, 30, 40)), existing=existing, community=comm)
    return n


def _supervise(projects: list) -> int:
    from chengyun.geo.models import Unit

    from .services import portfolio

    picked = [p for p in projects if p.state == pw.CONSTRUCTION and p.type in (pt.OLD_COMPOUND, pt.GAS, pt.DRAINAGE)][:3]
    for p in picked:
        deadline = dt.date(p.end_year, 12, 31)
        if deadline < dt.date.today():
            deadline = dt.date.today() + dt.timedelta(days=180)
        portfolio.supervise(None, p, deadline=deadline, lead_unit=p.responsible_unit or Unit.objects.get(code="D02"))
    return len(picked)


def charger_demand_total() -> int:
    """Used by the demo test: the chargers the demand points ask for."""
    from .services.charging import platform_demand

    return int(math.fsum(d["weight"] for d in platform_demand()))
