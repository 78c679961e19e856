"""One year of city-management cases for the demo district (≥ 30,000), written in bulk.

The spread follows what a district's digital city-management centre sees: most reports come
from supervisors and grid workers, a few from the public, 12345 and drones; 暴露垃圾, 占道经营,
小广告 and 乱停放 dominate; a few grids are hot spots; reports cluster in working hours and in
summer. Outcomes include returns, rework, postponements, suspensions and overdue handling,
and the last days' cases are still open at every stage, so lists, maps, clocks and evaluation
all show real numbers. Deterministic: one seeded RNG (ctx.rng("cases")).
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

import numpy as np
import shapely

from chengyun.core import audit
from chengyun.core.calendar import get_calendar
from chengyun.demo.context import DemoContext
from chengyun.geo import index as geo_index
from chengyun.people import roles as R
from chengyun.people.models import Person

from . import services, workflow as W
from .bulk import fast_insert, reset_sequences
from .models import Case, CaseCounter, CaseEvent, Category

TOTAL = 32_000
DAYS = 365

# (kind, code, weight): the classes that fill a real centre's queue.
HEAVY = [
    ("event", "0110", 14), ("event", "0406", 10), ("event", "0201", 9), ("event", "0410", 8), ("event", "0405", 7),
    ("event", "0111", 6), ("event", "0136", 5), ("event", "0112", 5), ("event", "0113", 4), ("event", "0192", 4),
    ("event", "0304", 3), ("event", "0302", 2), ("event", "0107", 2), ("event", "0206", 2), ("event", "0130", 1.5),
    ("event", "0126", 1), ("event", "0182", 0.6), ("event", "0181", 0.4), ("event", "0506", 1), ("event", "0503", 0.8),
    ("component", "0101", 1.2), ("component", "0102", 1.5), ("component", "0103", 1.5), ("component", "0104", 1.2),
    ("component", "0137", 2), ("component", "0305", 3), ("component", "0402", 1.5), ("component", "0217", 1.2),
]
SOURCES = [("ops_grid_worker", 40), ("community_grid_worker", 24), ("street_chief", 10), ("hotline", 11), ("public", 7),
           ("drone", 4), ("sensor", 2), ("leader", 2)]
DESCRIPTIONS = {
    "0110": ["路边垃圾桶外散落生活垃圾", "小区门口暴露垃圾一堆", "绿化带内有塑料袋等垃圾"],
    "0406": ["流动摊贩占用人行道经营", "早点摊占道经营", "水果摊占用盲道"],
    "0201": ["电线杆上张贴小广告", "墙面喷涂办证小广告", "公交站亭粘贴小广告"],
    "0410": ["共享单车乱停放堵塞人行道", "电动车停放在盲道上"],
    "0405": ["商铺跨门经营，商品摆放在店外", "餐馆在门外摆放桌椅"],
    "0113": ["人行道地砖破损松动", "路面坑洼约 1 平方米", "机动车道出现裂缝"],
    "0126": ["河面漂浮油污，水体发黑有异味", "河道出现大面积白色泡沫"],
    "0130": ["商户向雨水井倾倒污水", "工地污水直排路面"],
    "0181": ["河道管理范围内搭建彩钢房"], "0182": ["河岸堆放建筑垃圾和砂石"],
    "B0101": ["上水井盖缺失", "上水井盖破损"], "B0102": ["污水井盖移位，存在安全隐患"], "B0103": ["雨水井盖破损"],
}
HOTSPOT_SHARE = 0.25


def _points_in(geom, n: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = geom.bounds
    out = []
    while sum(len(o) for o in out) < n:
        k = max(8, int(n * 1.6))
        xs = rng.uniform(minx, maxx, k)
        ys = rng.uniform(miny, maxy, k)
        inside = shapely.contains_xy(geom, xs, ys)
        out.append(np.column_stack([xs[inside], ys[inside]]))
    return np.concatenate(out)[:n]


def generate(ctx: DemoContext) -> None:
    if Case.objects.exists():
        ctx.log("案件：已存在，跳过")
        return
    import time

    t_begin = time.monotonic()
    rng = ctx.rng("cases")
    nrng = np.random.default_rng(rng.randrange(2**32))
    cal = get_calendar()
    idx = geo_index.get_index()
    if not len(idx):
        ctx.log("案件：没有网格，跳过")
        return
    now = services.clocks.current_time().replace(microsecond=0)
    start = now - dt.timedelta(days=DAYS)

    services.load_seed_catalogue()
    cats = {(c.kind, c.code): c for c in Category.objects.prefetch_related("conditions")}
    heavy = [(cats[(k, c)], w) for k, c, w in HEAVY if (k, c) in cats]
    light = [c for c in cats.values() if c not in {h for h, _ in heavy}]
    cat_choices = [c for c, _ in heavy] + light
    cat_weights = [w for _, w in heavy] + [0.05] * len(light)
    conditions = {c.pk: list(c.conditions.all()) for c in cats.values()}

    people = list(Person.objects.prefetch_related("roles", "grids").select_related("unit"))
    by_role: dict[str, list[Person]] = defaultdict(list)
    grid_workers: dict[int, list[Person]] = defaultdict(list)
    handlers: dict[int, list[Person]] = defaultdict(list)
    for p in people:
        for code in p.role_codes:
            by_role[code].append(p)
        if p.role_codes & W.GRID_WORKERS:
            for g in p.grids.all():
                grid_workers[g.pk].append(p)
        if R.DEPT_HANDLER in p.role_codes:
            handlers[p.unit_id].append(p)
    chiefs_by_grid: dict[int, list[Person]] = defaultdict(list)
    for p in by_role.get(R.STREET_CHIEF, []):
        for g in p.grids.all():
            chiefs_by_grid[g.pk].append(p)

    def pick(lst, fallback=None):
        return rng.choice(lst) if lst else fallback

    acceptors = by_role.get(R.OPS_ACCEPTOR, []) or people[:1]
    dispatchers = by_role.get(R.OPS_DISPATCHER, []) or acceptors
    shift_leaders = by_role.get(R.OPS_SHIFT_LEADER, []) or acceptors
    leaders = by_role.get(R.DISTRICT_LEADER, []) or shift_leaders

    # Where: each grid gets a weight; a few are hot spots (markets, schools, construction).
    n_grids = len(idx.grids)
    grid_w = nrng.gamma(2.0, 1.0, n_grids)
    hot = nrng.choice(n_grids, max(1, n_grids // 12), replace=False)
    grid_w[hot] *= 6
    grid_w /= grid_w.sum()
    grid_of_case = nrng.choice(n_grids, TOTAL, p=grid_w)
    positions = np.zeros((TOTAL, 2))
    for gi in np.unique(grid_of_case):
        sel = np.nonzero(grid_of_case == gi)[0]
        positions[sel] = _points_in(idx.geometries[gi], len(sel), nrng)

    # When: more in summer and on working days, in daytime hours.
    day_w = np.array([1.0 + 0.35 * math.sin((d / DAYS) * 2 * math.pi - 1.2) for d in range(DAYS)])
    for d in range(DAYS):
        day = (start + dt.timedelta(days=d)).astimezone(services.SHANGHAI).date()
        day_w[d] *= 1.0 if cal.is_workday(day) else 0.55
    day_w /= day_w.sum()
    days = np.sort(nrng.choice(DAYS, TOTAL, p=day_w))
    hour_w = np.array([1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 13, 11, 7, 8, 12, 13, 12, 10, 7, 5, 4, 3, 2, 1], float)
    hours = nrng.choice(24, TOTAL, p=hour_w / hour_w.sum())
    minutes = nrng.integers(0, 60, TOTAL)
    src_names = [s for s, _ in SOURCES]
    src_w = np.array([w for _, w in SOURCES], float)
    sources = nrng.choice(len(src_names), TOTAL, p=src_w / src_w.sum())
    cat_idx = nrng.choice(len(cat_choices), TOTAL, p=np.array(cat_weights) / sum(cat_weights))

    t_places = time.monotonic()
    suggester = services._UnitSuggester()
    street_offices = {}
    for u in suggester.units:
        if u.specialty == "街道":
            for street_id in suggester.reach[u.pk]["street"]:
                street_offices.setdefault(street_id, u)
    cases: list[Case] = []
    plans: list[list[tuple]] = []  # per case: (action, at, from, to, actor Person|None, unit, note, data, on_time)
    numbers_per_day: dict[dt.date, int] = defaultdict(int)
    base_day = start.astimezone(services.SHANGHAI).replace(hour=0, minute=0, second=0)

    def later(t: dt.datetime, lo_min: float, hi_min: float) -> dt.datetime:
        return t + dt.timedelta(minutes=rng.uniform(lo_min, hi_min))

    for i in range(TOTAL):
        reported = base_day + dt.timedelta(days=int(days[i]), hours=int(hours[i]), minutes=int(minutes[i]))
        if reported >= now:
            reported = now - dt.timedelta(minutes=rng.uniform(5, 600))
        grid = idx.grids[int(grid_of_case[i])]
        cat = cat_choices[int(cat_idx[i])]
        source = src_names[int(sources[i])]
        reporter = None
        if source == "ops_grid_worker":
            reporter = pick([p for p in grid_workers.get(grid.id, []) if R.OPS_GRID_WORKER in p.role_codes])
        elif source == "community_grid_worker":
            reporter = pick([p for p in grid_workers.get(grid.id, []) if R.COMMUNITY_GRID_WORKER in p.role_codes])
        elif source == "street_chief":
            reporter = pick(chiefs_by_grid.get(grid.id, []))
        elif source == "leader":
            reporter = pick(leaders)
        elif source == "drone":
            reporter = pick(by_role.get(R.DRONE_OPERATOR, []))
        if source in ("ops_grid_worker", "community_grid_worker", "street_chief") and reporter is None:
            source = "public"
        local_day = reported.astimezone(services.SHANGHAI).date()
        numbers_per_day[local_day] += 1
        texts = DESCRIPTIONS.get(cat.service_code)
        description = rng.choice(texts) if texts else f"{cat.name}：{rng.choice(conditions[cat.pk]).text[:40]}" if conditions[cat.pk] else cat.name
        case = Case(number=f"{local_day:%Y%m%d}{numbers_per_day[local_day]:05d}", category=cat, source=source, description=description,
                    address=f"{grid.street_name}{grid.community_name}附近", lng=float(positions[i, 0]), lat=float(positions[i, 1]),
                    street_id=grid.street_id, community_id=grid.community_id, grid_id=grid.id,
                    reporter_person=reporter, reporter_name=reporter.name if reporter else ("12345 来电市民" if source == "hotline" else "市民" if source == "public" else workflow_name(source)),
                    needs_verification=source in W.NEEDS_VERIFICATION, occurred_at=reported - dt.timedelta(minutes=rng.uniform(0, 90)),
                    reported_at=reported, extra={}, external_id=f"DEMO-{i:06d}" if source in ("hotline", "drone", "sensor") else None)
        case.suggested_unit = suggester.suggest(cat, grid.street_id, grid.community_id, grid.id)
        age_days = (now - reported).total_seconds() / 86400
        plan = [("report", reported, "", W.REPORTED, reporter, None, description, {"source": source}, None)]
        t = reported
        state = W.REPORTED

        def step(action, to, actor, t_new, unit=None, note="", data=None, on_time=True):
            nonlocal t, state
            plan.append((action, t_new, state, to if to else state, actor, unit, note, data or {}, on_time))
            t = t_new
            if to:
                state = to

        # How far this case has got: recent cases stop at earlier stages.
        if age_days < 0.3:
            horizon = rng.choice([0, 1, 2, 3])
        elif age_days < 3:
            horizon = rng.choice([1, 2, 3, 4, 5, 5, 6, 9, 9])
        elif age_days < 12:
            horizon = rng.choice([5, 6, 7, 9, 9, 9, 9, 9])
        else:
            horizon = 9
        roll = rng.random()
        if horizon >= 1:
            step("accept", W.ACCEPTED, pick(acceptors), later(t, 3, 50), on_time=rng.random() < 0.95)
        if horizon >= 1 and case.needs_verification:
            step("send_verify", W.VERIFYING, pick(acceptors), later(t, 2, 20))
            if horizon >= 2:
                worker = pick(grid_workers.get(grid.id, []))
                truth = rng.random() > 0.12
                step("verify", W.ACCEPTED, worker, later(t, 20, 200), note="现场属实" if truth else "现场未发现该问题", data={"verified": truth}, on_time=rng.random() < 0.9)
                case.verified = truth
                if not truth:
                    step("reject", W.REJECTED, pick(acceptors), later(t, 5, 60), note="经核实不属实")
        if state == W.ACCEPTED and horizon >= 2 and roll < 0.025:
            step("reject", W.REJECTED, pick(acceptors), later(t, 5, 60), note=rng.choice(["不属于城市管理范围", "信息不全，无法定位"]))
        elif state == W.ACCEPTED and horizon >= 2 and roll < 0.045:
            step("merge", W.MERGED, pick(acceptors), later(t, 5, 60), data={"target": ""}, note="重复上报")
        elif state == W.ACCEPTED and horizon >= 2 and roll < 0.055:
            step("void", W.VOIDED, pick(shift_leaders), later(t, 5, 60), note="误报")
        if state == W.ACCEPTED and horizon >= 2:
            cond = rng.choice(conditions[cat.pk]) if conditions[cat.pk] else None
            if cond is None:
                plans.append(plan)
                cases.append(case)
                continue
            case.condition = cond
            step("file", W.FILED, pick(acceptors), later(t, 3, 40), data={"condition": cond.text, "limit": cond.limit_text}, on_time=rng.random() < 0.95)
            case.filed_at = t
        if state == W.FILED and horizon >= 3:
            unit = case.suggested_unit
            if unit is None:
                plans.append(plan)
                cases.append(case)
                continue
            step("dispatch", W.DISPATCHED, pick(dispatchers), later(t, 3, 60), unit=unit, data={"unit": unit.name}, on_time=rng.random() < 0.95)
            case.unit = unit
            case.dispatched_at = t
            cond = case.condition
            case.overall_deadline = cal.add(t, cond.limit_amount, cond.limit_unit)
            if age_days < 40:  # only cases that may still be open need the warning instant
                case.overall_warning_at = cal.add(t, cond.limit_amount * services.WARNING_FRACTION, cond.limit_unit)
            if horizon >= 4 and rng.random() < 0.05:  # 回退: not ours, back to the dispatcher and on to the street office
                step("send_back", W.FILED, pick(handlers.get(unit.pk, [])), later(t, 20, 240), unit=unit, note="非本单位职责", data={"unit": unit.name})
                case.returned_count += 1
                other = street_offices.get(grid.street_id, unit)
                step("dispatch", W.DISPATCHED, pick(dispatchers), later(t, 10, 90), unit=other, data={"unit": other.name})
                case.unit = unit = other
        if state == W.DISPATCHED and horizon >= 4:
            step("sign", W.HANDLING, pick(handlers.get(case.unit_id, [])), later(t, 5, 150), unit=case.unit, on_time=rng.random() < 0.93)
        if state == W.HANDLING and horizon >= 5:
            span = (case.overall_deadline - case.dispatched_at).total_seconds()
            if rng.random() < 0.03:
                step("request_postpone", None, pick(handlers.get(case.unit_id, [])), later(t, 30, 600), unit=case.unit, note="需协调相关部门", data={"amount": 2, "unit": "work_day"})
                step("approve_postpone", None, pick(shift_leaders), later(t, 10, 120), unit=case.unit, data={"amount": 2, "unit": "work_day"})
                case.postpone_count += 1
                case.overall_deadline = cal.add(case.overall_deadline, 2, "work_day")
                span = (case.overall_deadline - case.dispatched_at).total_seconds()
            if rng.random() < 0.004:
                step("request_suspend", None, pick(handlers.get(case.unit_id, [])), later(t, 30, 600), unit=case.unit, note="涉及征收拆迁，需长期处置")
                step("approve_suspend", W.SUSPENDED, pick(shift_leaders), later(t, 30, 300), unit=case.unit)
                case.pauses = [[t.isoformat(), None]]
                plans.append(plan)
                cases.append(case)
                case.status = state
                continue
            frac = rng.betavariate(2.2, 3.0) * (1.45 if rng.random() < 0.1 else 0.95)
            fed = case.dispatched_at + dt.timedelta(seconds=max(span * frac, 1800))
            if fed > now:
                plans.append(plan)
                cases.append(case)
                case.status = state
                continue
            step("feedback", W.CHECKING, pick(handlers.get(case.unit_id, [])), max(fed, later(t, 10, 30)), unit=case.unit, note="已处置完毕",
                 data={"overall_on_time": fed <= case.overall_deadline}, on_time=fed <= case.overall_deadline)
            case.fed_back_at = t
            case.was_overdue = fed > case.overall_deadline
        if state == W.CHECKING and horizon >= 6:
            if rng.random() < 0.06:
                step("rework", W.HANDLING, pick(grid_workers.get(grid.id, [])), later(t, 30, 240), unit=case.unit, note="现场仍未整改到位", on_time=rng.random() < 0.9)
                case.rework_count += 1
                again = later(t, 120, 1800)
                if again < now and horizon >= 7:
                    step("feedback", W.CHECKING, pick(handlers.get(case.unit_id, [])), again, unit=case.unit, note="已重新整改",
                         data={"overall_on_time": again <= case.overall_deadline}, on_time=again <= case.overall_deadline)
                    case.fed_back_at = t
                    case.was_overdue = case.was_overdue or again > case.overall_deadline
        if state == W.CHECKING and horizon >= 7:
            chk = later(t, 20, 300)
            if chk < now:
                step("check_pass", W.CHECKED, pick(grid_workers.get(grid.id, [])), chk, unit=case.unit, note="现场核查已整改", on_time=rng.random() < 0.92)
        if state == W.CHECKED and horizon >= 9:
            done = later(t, 5, 120)
            if done < now:
                step("close", W.CLOSED, pick(acceptors), done, unit=case.unit, on_time=rng.random() < 0.96)
                case.closed_at = t
        if rng.random() < 0.01 and state in W.OPEN and state != W.REPORTED:
            step("escalate", None, pick(leaders), later(t, 1, 60), unit=case.unit, note="请加快处置")
            case.escalation_level += 1
        case.status = state
        plans.append(plan)
        cases.append(case)

    t_plan = time.monotonic()
    # Stage clocks for the cases still open; merged cases point at an earlier open or closed case.
    by_category_open: dict[int, Case] = {}
    for case, plan in zip(cases, plans):
        last_at = plan[-1][1]
        if case.status == W.MERGED:
            target = by_category_open.get(case.category_id)
            if target is not None:
                case.merged_into = target
                target.reporter_count += 1
        elif case.status in W.OPEN:
            by_category_open[case.category_id] = case
        if case.status in W.OPEN and case.status != W.SUSPENDED:
            services._start_stage(case, case.status, last_at)
        case.clock_status = services.clock_status_at(case, now) if case.status in W.OPEN else (Case.Clock.OVERDUE if case.was_overdue else Case.Clock.NORMAL)
        if case.clock_status == Case.Clock.OVERDUE:
            case.was_overdue = True
        case.updated_at = last_at

    # Ids are assigned here so that cases and their timelines go in with plain multi-row inserts:
    # the ORM's per-object bulk_create path costs minutes for a few hundred thousand rows.
    next_id = (Case.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    for k, c in enumerate(cases):
        c.pk = c.id = next_id + k
    for c in cases:
        if c.merged_into is not None:
            c.merged_into_id = c.merged_into.pk
    events = []
    next_event = (CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    for case, plan in zip(cases, plans):
        for action, at, frm, to, actor, unit, note, data, on_time in plan:
            events.append({"id": next_event + len(events), "case_id": case.pk, "at": at, "action": action, "from_status": frm, "to_status": to,
                           "actor_person_id": actor.pk if actor else None, "actor_name": actor.name if actor else "系统",
                           "unit_id": unit.pk if unit else None, "note": note, "data": data, "on_time": on_time if action != "report" else None})
    t_write = time.monotonic()
    fast_insert(Case, cases)
    fast_insert(CaseEvent, events)
    reset_sequences(Case, CaseEvent)
    CaseCounter.objects.bulk_create([CaseCounter(day=d, last=n) for d, n in numbers_per_day.items()], batch_size=2000)
    audit.action(None, "demo_generate", otype="cases.case", object_repr="演示案件", after={"cases": len(cases), "events": len(events),
                 "first_id": next_id, "last_id": next_id + len(cases) - 1})
    open_n = sum(1 for c in cases if c.status in W.OPEN)
    ctx.log(f"案件：{len(cases)} 件（在办 {open_n}），流转记录 {len(events)} 条；"
            f"用时：位置 {t_places - t_begin:.1f} 秒，流程 {t_plan - t_places:.1f} 秒，时限 {t_write - t_plan:.1f} 秒，写入 {time.monotonic() - t_write:.1f} 秒")


def workflow_name(source: str) -> str:
    return W.SOURCES.get(source, source)
