"""The demo district's watershed governance:

- three small watersheds of the 湟水河 (北川河、南川河 and 海湖—火烧沟), their boundaries derived from
  the outlet sections and the drainage network, treatment measures, five years of the indicator
  sheet and of sediment and runoff; 北川河's outlet gets a hydrological station (SS and flow hourly
  for the last 30 days) from which this year's days are computed;
- eight soil-disturbing projects at every stage, with checks, an escalated violation and two drone
  findings of spoil;
- two neighbouring districts (湟中区 upstream, 平安区 downstream) with their boundary sections and
  three past joint incidents with both sides' actions and a joint patrol;
- the ecological-civilization demonstration target sheet, its unmet indicators made key tasks.

Deterministic: everything is drawn from ``ctx.rng("watershed")``; only the dates follow today.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import uuid

from django.db import transaction
from django.utils import timezone

from chengyun.core import current
from chengyun.demo.context import DemoContext
from chengyun.geo.models import Street, Unit

from . import workflow
from .models import BoundarySection, ErosionProject, Indicator, JointIncident, Watershed
from .services import demotasks, erosion, exchange, sediment, watersheds

SHEET = [
    # code, name, unit, direction, target, max, computed
    ("erosion_control", "水土流失治理度", "%", "at_least", 80, 100),
    ("forest_cover", "林草覆盖率", "%", "at_least", 40, 100),
    ("waste_treatment", "生活垃圾无害化处理率", "%", "at_least", 95, 100),
    ("sewage_treatment", "生活污水处理率", "%", "at_least", 90, 100),
    ("inflow_water_class", "入河（湖）沟道水质类别", "类", "at_most", 3, 6),
    ("erosion_modulus", "土壤侵蚀模数", "t/(km²·a)", "at_most", 1000, None),
]
WATERSHEDS = [
    # code, name, water body, outlet section, sediment target t/a, runoff baseline 万m³, land use
    ("XLY-01", "北川河小流域", "R02", "DM05", 2600, 5200, {"林地": 31.5, "草地": 18.2, "耕地": 22.4, "建设用地": 24.1, "水域": 3.8}),
    ("XLY-02", "南川河小流域", "R03", "DM07", 3100, 6100, {"林地": 27.0, "草地": 20.6, "耕地": 26.3, "建设用地": 22.5, "水域": 3.6}),
    ("XLY-03", "海湖—火烧沟小流域", "L01", "DM08", 900, 1500, {"林地": 35.8, "草地": 24.1, "耕地": 9.7, "建设用地": 21.9, "水域": 8.5}),
]
MEASURES = [("terrace", "水平梯田", 120, 260), ("check_dam", "谷坊", 4, 12), ("vegetation", "水保林草", 150, 420),
            ("sewage", "农村污水管网入户", 300, 1200), ("buffer", "河岸植物缓冲带", 1.5, 6), ("waste", "垃圾收集点", 6, 20)]
# Where each year starts and how fast it improves, per watershed (the third misses sewage last year).
START = {"XLY-01": (68, 34, 86, 72, 4, 1500), "XLY-02": (64, 31, 84, 70, 5, 1800), "XLY-03": (75, 38, 90, 78, 4, 900)}
STEP = {"XLY-01": (4, 1.8, 3, 5, 0, -170), "XLY-02": (4.5, 2.4, 3, 5.5, 0, -210), "XLY-03": (2, 1, 1.5, 2.5, 0, -20)}

PROJECT_STAGES = [
    ("SB-2026-001", "北川河滨河路改扩建工程", "区交通运输局", "XLY-01", workflow.REGISTERED),
    ("SB-2026-002", "朝阳片区棚户区改造安置房", "河湟城投集团", "XLY-01", workflow.PLAN_APPROVED),
    ("SB-2025-014", "南川河综合治理二期", "区水务局", "XLY-02", workflow.CONSTRUCTING),
    ("SB-2025-018", "南川工业园标准厂房", "南川产业发展公司", "XLY-02", workflow.CONSTRUCTING),
    ("SB-2025-021", "火烧沟生态修复工程", "区林业和草原局", "XLY-03", workflow.AWAITING),
    ("SB-2024-009", "海湖路雨污分流工程", "河湟水务集团", "XLY-03", workflow.ACCEPTED),
    ("SB-2024-003", "彩虹路220千伏输变电工程", "国网河湟供电公司", "XLY-02", workflow.CLOSED),
    ("SB-2026-005", "城北物流园场地平整", "城北物流公司", "XLY-01", workflow.CONSTRUCTING),
]
PATH = {workflow.REGISTERED: [], workflow.PLAN_APPROVED: ["approve_plan"], workflow.CONSTRUCTING: ["approve_plan", "start"],
        workflow.AWAITING: ["approve_plan", "start", "apply"], workflow.ACCEPTED: ["approve_plan", "start", "apply", "accept"],
        workflow.CLOSED: ["approve_plan", "start", "apply", "accept", "close"]}

DEMO_TASKS = [
    ("eco_01", "地表水水质达到或优于Ⅲ类比例", "生态环境", "%", "at_least", 85, 80.0, "D04", "water_quality"),
    ("eco_02", "森林覆盖率", "生态空间", "%", "at_least", 35, 36.4, "D06", "forest_cover"),
    ("eco_03", "水土保持率", "生态空间", "%", "at_least", 78, 79.2, "D03", ""),
    ("eco_04", "城镇污水处理率", "生态生活", "%", "at_least", 95, 96.8, "D03", ""),
    ("eco_05", "生活垃圾无害化处理率", "生态生活", "%", "at_least", 100, 99.2, "D01", ""),
    ("eco_06", "单位地区生产总值用水量", "生态经济", "立方米/万元", "at_most", 45, 41.7, "D03", ""),
    ("eco_07", "河湖岸线保护率", "生态空间", "%", "at_least", 90, 86.5, "D03", ""),
    ("eco_08", "城镇人均公园绿地面积", "生态生活", "平方米", "at_least", 14.6, 15.1, "D06", ""),
]


def generate(ctx: DemoContext) -> None:
    if Watershed.objects.exists():
        ctx.log("流域治理：已存在，跳过")
        return
    from chengyun.water.models import Section

    if not Section.objects.filter(code="DM05").exists():
        ctx.log("流域治理：没有水环境断面，跳过")
        return
    rng = ctx.rng("watershed")
    today = timezone.localdate()
    with current.acting(None, source="cli"), transaction.atomic():
        sheds = _watersheds(rng, today)
        projects = _projects(rng, sheds, today)
        incidents = _joint(rng, today)
        tasks = _demo_tasks(today)
    ctx.log(f"流域治理：{len(sheds)} 个小流域（{sum(w.measures.count() for w in sheds)} 项措施），{len(projects)} 个生产建设项目，"
            f"{incidents} 起联防联控事件，{tasks} 项示范区指标")


def _watersheds(rng, today: dt.date) -> list[Watershed]:
    from chengyun.water.models import Section, WaterBody

    for order, (code, name, unit, direction, target, top) in enumerate(SHEET, start=1):
        watersheds.create_indicator(None, code=code, name=name, unit=unit, direction=direction, target=target, max_value=top,
                                    min_value=1 if code == "inflow_water_class" else 0, order=order)
    out = []
    last = today.year - 1
    for code, name, body, outlet, sed_target, runoff, land in WATERSHEDS:
        section = Section.objects.get(code=outlet)
        w = watersheds.create_watershed(None, code=code, name=name, water_body=WaterBody.objects.get(code=body), outlet=section,
                                        land_use=land, sediment_target_t=sed_target, runoff_baseline_m3=runoff,
                                        description=f"{name}：以{section.name}为出口的生态清洁型小流域")
        w.reaches.set(section.water_body.reaches.all())
        watersheds.derive_boundary(None, w)
        w.refresh_from_db()
        _measures(rng, w, today)
        start, step = START[code], STEP[code]
        for k, year in enumerate(range(last - 4, last + 1)):
            values = {}
            for (ind_code, *_rest), s0, ds in zip(SHEET, start, step):
                v = s0 + ds * k + rng.uniform(-0.6, 0.6) * (abs(ds) or 0.2)
                if ind_code == "inflow_water_class":
                    v = max(2, round(s0 - (1 if k >= 3 and code != "XLY-02" else 0) - (1 if k == 4 else 0)))
                elif ind_code != "erosion_modulus":
                    v = min(100.0, round(v, 1))
                else:
                    v = round(v)
                values[ind_code] = v
            if code == "XLY-03" and year == last:
                values["sewage_treatment"] = 86.4  # the villages' new pipes were not yet connected
            watersheds.record_values(None, w, year, values)
            # The target is set at the sheet's modulus target: the year's sediment follows the modulus.
            sed = sed_target * values["erosion_modulus"] / 1000 * rng.uniform(0.9, 1.0)
            sediment.enter_year(None, w, year, sediment_t=round(sed, 1), runoff_m3=round(runoff * 10_000 * rng.uniform(0.85, 1.15)))
        out.append(w)
    _station(rng, out[0], today)
    return out


def _measures(rng, w: Watershed, today: dt.date) -> None:
    from shapely.geometry import shape

    geom = shape(json.loads(w.boundary)) if w.boundary else None
    for kind, name, low, high in MEASURES:
        where = None
        if geom is not None:
            c = geom.representative_point()
            where = {"type": "Point", "coordinates": [round(c.x + rng.uniform(-0.004, 0.004), 6), round(c.y + rng.uniform(-0.004, 0.004), 6)]}
        qty = rng.uniform(low, high)
        qty = round(qty) if kind in ("check_dam", "sewage", "waste") else round(qty, 1)
        watersheds.add_measure(None, w, kind=kind, name=f"{w.name}{name}", quantity=qty, completed_on=today - dt.timedelta(days=rng.randint(60, 1500)),
                               geometry=where)


def _station(rng, w: Watershed, today: dt.date) -> None:
    """A hydrological station at the 北川河 outlet: hourly SS and flow for 30 days; this year's days computed from it."""
    from chengyun.monitoring import services as monitoring

    device = monitoring.create_device(None, mn="630109XLY0001", password="123456", st="21", name=f"{w.outlet.name}水文站",
                                      factors=[{"code": "w01012", "unit": "mg/L"}, {"code": "w00000", "unit": "L/s"}],
                                      site_kind="section", site_code=w.outlet.code)
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    start = now - dt.timedelta(days=30)
    rows = []
    received = timezone.now()
    hour, storm = start, None
    while hour < now:
        if storm is None and rng.random() < 0.004:
            storm = 18  # a summer storm: turbid high water for most of a day
        surge = 1.0 + (2.5 * math.sin(math.pi * storm / 18) if storm else 0)
        flow = round(1650 * surge * rng.uniform(0.92, 1.08), 1)
        ss = round(22 * surge ** 1.6 * rng.uniform(0.85, 1.15), 1)
        rows += [(device.pk, "2061", "w01012", hour, ss, ss * 0.9, ss * 1.1, None, "N", received, "demo"),
                 (device.pk, "2061", "w00000", hour, flow, flow * 0.95, flow * 1.05, round(flow * 3.6, 2), "N", received, "demo")]
        storm = storm - 1 if storm else None
        hour += dt.timedelta(hours=1)
    monitoring.write_rows(rows)
    sediment.compute_from_monitoring(None, w, start.date(), now.date())


def _projects(rng, sheds: list[Watershed], today: dt.date) -> list[ErosionProject]:
    from shapely.geometry import shape

    supervisor = Unit.objects.get(code="D03")
    by_code = {w.code: w for w in sheds}
    out = []
    for n, (code, name, developer, ws_code, stage) in enumerate(PROJECT_STAGES):
        w = by_code[ws_code]
        c = shape(json.loads(w.boundary)).representative_point()
        lng, lat = c.x + rng.uniform(-0.006, 0.006), c.y + rng.uniform(-0.006, 0.006)
        dx, dy = rng.uniform(0.0015, 0.004), rng.uniform(0.001, 0.003)
        area = {"type": "Polygon", "coordinates": [[[lng - dx, lat - dy], [lng + dx, lat - dy], [lng + dx, lat + dy], [lng - dx, lat + dy], [lng - dx, lat - dy]]]}
        street = _street_at(lng, lat)
        p = erosion.create_project(None, code=code, name=name, developer=developer, street=street, supervisor=supervisor, lng=round(lng, 6),
                                   lat=round(lat, 6), disturbed_area=area, watershed=w)
        began = today - dt.timedelta(days=540 - n * 50)
        for k, action in enumerate(PATH[stage]):
            on = began + dt.timedelta(days=40 * (k + 1))
            erosion.transition(None, p, action, on=min(on, today), plan_number=f"河水保〔{on.year}〕{10 + n}号" if action == "approve_plan" else "",
                               note="水土保持设施运行正常，同意验收" if action == "accept" else "")
            if action == "start":
                _checks(rng, p, on, today)
        p.refresh_from_db()
        out.append(p)
    _violation(out)
    _drone(out, today)
    return out


def _street_at(lng, lat) -> Street:
    from chengyun.geo import services as geo

    try:
        return Street.objects.get(pk=geo.locate(lng, lat).grid.street_id)
    except geo.OutsideDistrict:
        from chengyun.water import geometry

        grid = geometry.nearest_grid(lng, lat, 3000)
        return grid.street if grid else Street.objects.order_by("code").first()


FINDINGS = [("compliant", "临时堆土已苫盖，排水沟、沉沙池运行正常"), ("rectify", "临时堆土部分未苫盖，要求 5 日内完成苫盖"),
            ("compliant", "表土剥离单独堆存，挡土墙完好"), ("rectify", "施工便道未硬化，雨后泥浆外流，要求设置洗车平台")]


def _checks(rng, p: ErosionProject, started: dt.date, today: dt.date) -> None:
    for k in range(rng.randint(1, 3)):
        on = started + dt.timedelta(days=30 * (k + 1))
        if on > today:
            break
        verdict, text = FINDINGS[(k + p.pk) % len(FINDINGS)]
        erosion.record_check(None, p, checked_on=on, inspector="区水务局水土保持监督站", findings=text, verdict=verdict)


def _violation(projects: list[ErosionProject]) -> None:
    """Spoil tipped into the 南川河 channel at the industrial park: a violation escalated as a key task."""
    p = next(x for x in projects if x.code == "SB-2025-018")
    c = erosion.record_check(None, p, checked_on=timezone.localdate() - dt.timedelta(days=12), inspector="区水务局水土保持监督站",
                             findings="弃渣倾倒入南川河支沟约 300 立方米，未按批复方案设置弃渣场", verdict="violation")
    erosion.escalate(None, c, to="task", deadline=timezone.localdate() + dt.timedelta(days=30))


def _drone(projects: list[ErosionProject], today: dt.date) -> None:
    """A patrol flight's spoil detections inside two constructing projects become candidate findings."""
    from chengyun.cases.services import import_drone_flight

    targets = [p for p in projects if p.state == workflow.CONSTRUCTING][:2]
    detections = [{"id": f"d{i}", "category_kind": "event", "category_code": "0305", "lng": p.lng, "lat": p.lat, "confidence": 0.86,
                   "time": timezone.now().isoformat()} for i, p in enumerate(targets)]
    try:
        import_drone_flight(None, {"flight_id": f"WS-{today:%Y%m%d}", "detections": detections})
    except Exception:  # the cases catalogue may lack the class in a trimmed demo: the findings are then simply absent
        return
    erosion.collect_drone_findings()


def _joint(rng, today: dt.date) -> int:
    from chengyun.water.models import Section

    upstream, _key1 = exchange.register_neighbour(None, code="HZQ", name="湟中区", secret="demo-huangzhong-shared-secret", contact="湟中区河长办")
    downstream, _key2 = exchange.register_neighbour(None, code="PAQ", name="平安区", secret="demo-pingan-shared-secret-01", contact="平安区河长办")
    sections = {}
    for code, name, n, water, river, up, target, ours, theirs in (
        ("JJ-HZ-01", "湟水河湟中—河湟交界断面", upstream, "DM01", "湟水河", "neighbour", 3, "下游段巡查、入境水质复核", "上游入河排污口整治、超标预警通报"),
        ("JJ-HZ-02", "南川河湟中—河湟交界断面", upstream, "DM06", "南川河", "neighbour", 3, "七一桥以下河段巡查", "南川工业园排口监管"),
        ("JJ-PA-01", "湟水河河湟—平安交界断面", downstream, "DM03", "湟水河", "ours", 4, "出境水质达标、污水厂稳定运行", "下游段监测、异常通报"),
    ):
        s = Section.objects.get(code=water)
        sections[code] = exchange.add_boundary_section(None, n, code=code, name=name, river=river, lng=s.lng, lat=s.lat, upstream=up,
                                                       target_class=target, our_duty=ours, their_duty=theirs, section=s)
    now = timezone.now()
    # Routine monthly joint samples over the last half year, mostly compliant.
    for months_back in range(6, 0, -1):
        at = now - dt.timedelta(days=30 * months_back)
        for code, s in sections.items():
            values = {"w01018": round(rng.uniform(11, 18), 1), "w21003": round(rng.uniform(0.3, 0.8), 2)}
            if s.upstream == "neighbour":
                exchange.receive(s.neighbour, _msg(s, at, values))
            else:
                exchange.record_reading(None, s, at=at, values=values)
    # Three incidents: two from upstream water, one the downstream neighbour opened on ours.
    _upstream_incident(sections["JJ-HZ-01"], now - dt.timedelta(days=118), {"w01018": 38.5, "w21003": 1.9}, close=True)
    _upstream_incident(sections["JJ-HZ-02"], now - dt.timedelta(days=61), {"w01018": 19.0, "w21003": 2.4}, close=True)
    _their_incident(sections["JJ-PA-01"], now - dt.timedelta(days=19))
    return JointIncident.objects.count()


def _msg(s: BoundarySection, at: dt.datetime, values: dict, kind: str = "reading", body: dict | None = None) -> dict:
    return {"format": exchange.FORMAT, "message_id": str(uuid.uuid4()), "sender": s.neighbour.code, "sender_name": s.neighbour.name,
            "sent_at": at.isoformat(), "kind": kind, "body": body or {"section": s.code, "time": at.isoformat(), "values": values}}


def _theirs(inc: JointIncident, at: dt.datetime, kind: str, text: str, **extra) -> None:
    body = {"uid": str(uuid.uuid4()), "incident": inc.uid, "kind": kind, "party": inc.neighbour.name, "at": at.isoformat(), "text": text, **extra}
    exchange.receive(inc.neighbour, _msg(inc.section, at, {}, kind="entry", body=body))


def _upstream_incident(s: BoundarySection, at: dt.datetime, values: dict, *, close: bool) -> None:
    from chengyun.water import services as water
    from chengyun.water.models import Alert

    r = exchange.receive(s.neighbour, _msg(s, at, values))
    inc = JointIncident.objects.get(uid=r["incident"])
    _theirs(inc, at + dt.timedelta(hours=3), "action", "排查上游工业园排口，责令超标企业停产整改")
    exchange.add_entry(None, inc, kind="action", text="加密入境断面监测至每 2 小时一次，启动下游应急调度", at=at + dt.timedelta(hours=1))
    exchange.add_entry(None, inc, kind="patrol", text="双方沿河联合巡查，确认上游两处排口溢流", participants="湟中区河长办、河湟区河长办、区水务局",
                       route="交界断面—上游 4 公里", at=at + dt.timedelta(hours=20))
    _theirs(inc, at + dt.timedelta(days=2), "note", "整改完成，排口已封堵，上游水质恢复")
    if close:
        exchange.move_incident(None, inc, "resolve", at=at + dt.timedelta(days=3))
        exchange.move_incident(None, inc, "close", at=at + dt.timedelta(days=10))
        alert = Alert.objects.filter(pk=inc.alert_id, status="new").first()
        if alert is not None:
            water.dispose_alert(None, alert, disposal_note="联防联控事件已办结，上游整改完成")


def _their_incident(s: BoundarySection, at: dt.datetime) -> None:
    """平安区 judged our outgoing water over its target and opened the incident; it arrives here and we respond."""
    uid = str(uuid.uuid4())
    exchange.receive(s.neighbour, _msg(s, at, {}, kind="incident", body={
        "uid": uid, "section": s.code, "title": f"上游河湟区{s.name}超标（Ⅴ类，目标Ⅳ类）", "upstream_party": "河湟区",
        "opened_at": at.isoformat(), "factor": "NH3N", "value": 1.8, "water_class": 5, "target_class": 4}))
    inc = JointIncident.objects.get(uid=uid)
    exchange.add_entry(None, inc, kind="action", text="第一污水处理厂排口加强监管，核查彩虹路合流制溢流口", at=at + dt.timedelta(hours=2))
    _theirs(inc, at + dt.timedelta(days=1), "action", "下游断面加密监测，暂停取水口取水")
    exchange.move_incident(None, inc, "resolve", at=at + dt.timedelta(days=4))


def _demo_tasks(today: dt.date) -> int:
    units = {u.code: u for u in Unit.objects.filter(code__in={t[7] for t in DEMO_TASKS})}
    year = today.year - 1
    for code, name, cat, unit, direction, target, actual, unit_code, health in DEMO_TASKS:
        t = demotasks.create_task(None, code=code, name=name, category=cat, unit=unit, direction=direction, target=target, year=year,
                                  responsible_unit=units[unit_code], health_indicator=health)
        demotasks.record_actual(None, t, actual)
    demotasks.to_key_tasks(None, year, deadline=today + dt.timedelta(days=180))
    return len(DEMO_TASKS)
