"""The demo district's water: three rivers and a lake, the sections and outfalls the
monitoring demo's devices (``monitoring.demo.DEMO_DEVICES``) report for, river chiefs with
their reaches and a month of patrols, rain days, the month's readings judged, alerts in
every state, and cameras with snapshots.

The 湟水河 runs just south of the district's southern edge, where the drainage demo's rain
outfalls OF-01 … OF-07 discharge (same codes, same positions); 北川河 and 南川河 cross the
district from the north to join it; 海湖 lies in the north. The drainage demo, generated
after this one, ends catchments at the monitored outfalls too (``monitored_outfalls``). Everything is drawn from
``ctx.rng("water")``; only the dates follow today, so the data always ends "now".
"""
from __future__ import annotations

import datetime as dt
import io
import json
import math

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db.models import Count
from django.utils import timezone
from shapely.geometry import LineString, Point

from chengyun.core import current
from chengyun.core.errors import DomainError
from chengyun.demo.context import DemoContext
from chengyun.geo import demo as geo_demo
from chengyun.geo.models import Community, Street, Unit
from chengyun.people import roles as R
from chengyun.people.models import Person

from . import geometry, services
from .models import Aggregate, Alert, ChiefLevel, Outfall, Reach, RiverChief, Section, WaterBody

SHANGHAI = services.SHANGHAI
KX = 111_320.0 * math.cos(math.radians(geo_demo.ORIGIN[1]))
KY = 110_950.0
DAYS = 30
# drainage.demo.RAIN_OUTFALL_COLUMNS: the lattice columns whose rain trunks end on the river road.
RAIN_OUTFALL_COLUMNS = (2, 4, 8, 12, 16, 20, 22)


def ll(x: float, y: float) -> tuple[float, float]:
    """Metres east/north of the district origin → (lng, lat), as the drainage demo computes them."""
    return (round(geo_demo.ORIGIN[0] + x / KX, 7), round(geo_demo.ORIGIN[1] + y / KY, 7))


def _river(points_xy, rng, wiggle: float, step: float = 40.0) -> list[tuple[float, float]]:
    """A meandering course through the given metre waypoints, as lng/lat every `step` metres."""
    out = []
    phase = rng.uniform(0, math.tau)
    travelled = 0.0
    for (x0, y0), (x1, y1) in zip(points_xy, points_xy[1:]):
        length = math.hypot(x1 - x0, y1 - y0)
        n = max(1, int(length // step))
        nx, ny = -(y1 - y0) / length, (x1 - x0) / length
        for k in range(n):
            f = k / n
            s = travelled + f * length
            off = wiggle * math.sin(s / 380.0 + phase)
            out.append(ll(x0 + (x1 - x0) * f + nx * off, y0 + (y1 - y0) * f + ny * off))
        travelled += length
    out.append(ll(*points_xy[-1]))
    return out


def _reservoir(cx: float, cy: float, a: float, b: float) -> list[tuple[float, float]]:
    ring = [ll(cx + a * math.cos(t) * (1 + 0.08 * math.sin(3 * t)), cy + b * math.sin(t)) for t in (k * math.tau / 48 for k in range(48))]
    return ring + [ring[0]]


BODIES = {"湟水河": "R01", "北川河": "R02", "南川河": "R03", "海湖": "L01"}
BANK = "bank"  # y of the 湟水河's north bank at the site's x
# Where each site lies, metres east/north of the district origin; names, targets and kinds
# come from DEMO_DEVICES when the monitoring demo is installed, else from here.
SITES: dict[str, dict] = {
    "DM01": {"xy": (480, BANK), "name": "湟水河入境断面", "body": "湟水河", "target": 3},
    "DM02": {"xy": (2460, BANK), "name": "湟水河小峡桥断面", "body": "湟水河", "target": 3},
    "DM03": {"xy": (4800, BANK), "name": "湟水河出境断面", "body": "湟水河", "target": 4},
    "DM04": {"xy": (1420, 3350), "name": "北川河朝阳桥断面", "body": "北川河", "target": 3},
    "DM05": {"xy": (1390, 160), "name": "北川河入湟口断面", "body": "北川河", "target": 4},
    "DM06": {"xy": (4400, 3000), "name": "南川河七一桥断面", "body": "南川河", "target": 3},
    "DM07": {"xy": (3560, 260), "name": "南川河入湟口断面", "body": "南川河", "target": 4},
    "DM08": {"xy": (2600, 2640), "name": "海湖湿地出水断面", "body": "海湖", "target": 3},
    "PK01": {"xy": (4880, BANK), "name": "第一污水处理厂排口", "body": "湟水河", "kind": "wwtp"},
    "PK02": {"xy": (800, BANK), "name": "第二污水处理厂排口", "body": "湟水河", "kind": "wwtp"},
    "PK03": {"xy": (3200, BANK), "name": "生物园区工业排口", "body": "湟水河", "kind": "industrial"},
    "PK04": {"xy": (1450, 1830), "name": "甘河工业园排口", "body": "北川河", "kind": "industrial"},
    "PK05": {"xy": (1400, 2500), "name": "朝阳东路雨水排口", "body": "北川河", "kind": "rain"},
    "PK06": {"xy": (2050, BANK), "name": "文汇路雨水排口", "body": "湟水河", "kind": "rain"},
    "PK07": {"xy": (3900, 1300), "name": "南川西路雨水排口", "body": "南川河", "kind": "rain"},
    "PK08": {"xy": (4080, 1750), "name": "古城台合流制溢流口", "body": "南川河", "kind": "combined"},
    "PK09": {"xy": (4300, BANK), "name": "彩虹路合流制溢流口", "body": "湟水河", "kind": "combined"},
    "PK10": {"xy": (2900, 2750), "name": "海湖宾馆排口", "body": "海湖", "kind": "other"},
}
RAIN_OUTFALL_NAMES = ("昆仑路", "柴达木路", "海湖路", "七一路", "建国路", "湟中路", "门源路")
# The unit answerable for each kind of outfall.
OUTFALL_UNIT = {"wwtp": "D03", "industrial": "D04", "rain": "U02", "combined": "U02", "other": "D04"}
CAMERA_SITES = ("PK06", "PK01", "OF-03")


def north_bank(x: float) -> float:
    """The 湟水河's centre line runs ~135 m south of the (slanting) southern district edge."""
    return -100 - 4 * (x / 205.0) - 35


def generate(ctx: DemoContext) -> None:
    if WaterBody.objects.exists():
        ctx.log("水环境：已存在，跳过")
        return
    if not Street.objects.exists():
        ctx.log("水环境：没有区域数据，跳过")
        return
    rng = ctx.rng("water")
    site_table = _site_table(ctx)
    bodies = _water_bodies(rng)
    chiefs, reaches = _chiefs_and_reaches(ctx, bodies)
    sections, outfalls = _sites(bodies, reaches, site_table)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    start = now - dt.timedelta(days=DAYS)
    # Rain days first: linking a device judges its month of data, dry-weather flow included.
    rain_days = _rain_days(rng, start)
    linked = _link_devices(sections + outfalls)
    from .tasks import check_devices

    check_devices(timezone.now())
    hours = Aggregate.objects.filter(period=Aggregate.Period.HOUR).count()
    ctx.log(f"水环境：{len(bodies)} 个水体、{len(reaches)} 个河段、{len(chiefs)} 名河湖长、{len(sections)} 个断面、"
            f"{len(outfalls)} 个排污口；关联监测设备 {linked} 台，{hours} 个站点小时评价，{len(rain_days)} 个降雨日")

    patrols, problems = _patrols(ctx, rng, chiefs, start, now)
    _work_alerts(ctx, now)
    snapshots = _cameras(rng, outfalls, now)
    by_status = dict(Alert.objects.order_by().values_list("status").annotate(n=Count("id")))
    ctx.log(f"水环境：{patrols} 次巡河（{problems} 个问题立案），告警 {sum(by_status.values())} 条 {by_status}，抓拍 {snapshots} 张")


def _monitored_table() -> dict[str, dict]:
    """The table above, with the monitoring demo's names, target classes and outfall kinds
    (its devices are the ones that report)."""
    table = {code: dict(spec) for code, spec in SITES.items()}
    for mn, entry in _demo_devices():
        spec = table.setdefault(entry["site_code"], {"xy": None})
        spec.update(mn=mn, name=entry.get("site_name") or spec.get("name"), body=entry.get("water_body") or spec.get("body"))
        if entry["site_kind"] == "section":
            spec["target"] = entry.get("target_class") or spec.get("target", 3)
        else:
            spec["kind"] = entry.get("outfall_kind") or spec.get("kind", "other")
            spec["dry_weather_flow"] = entry.get("dry_weather_flow")
    return table


def site_point(spec: dict) -> tuple[float, float]:
    """Where a site of the table is registered (lng, lat); a bank site 10 m north of the 湟水河's centre line."""
    x, y = spec["xy"] or (2400, BANK)
    return ll(x, north_bank(x) + 10 if y == BANK else y)


def monitored_outfalls() -> list[dict]:
    """The monitored outfalls (PK01 …) as this demo registers them: code, name, kind, lng, lat.
    The drainage demo ends a catchment at each one its network discharges through, at this
    very point, so that an outfall alert traces upstream."""
    out = []
    for code, spec in sorted(_monitored_table().items()):
        if "kind" in spec:
            lng, lat = site_point(spec)
            out.append({"code": code, "name": spec["name"], "kind": spec["kind"], "lng": lng, "lat": lat,
                        "dry_weather_flow": bool(spec.get("dry_weather_flow"))})
    return out


def _site_table(ctx) -> dict[str, dict]:
    """Every site to register: the monitored sites plus the drainage demo's rain outfalls."""
    table = _monitored_table()
    pts = geo_demo._lattice(ctx.rng("geo"))
    for n, (i, street_name) in enumerate(zip(RAIN_OUTFALL_COLUMNS, RAIN_OUTFALL_NAMES), start=1):
        lng, lat = pts[i][0]
        x, y = (lng - geo_demo.ORIGIN[0]) * KX, (lat - geo_demo.ORIGIN[1]) * KY
        # drainage.demo puts outfall OF-nn 3 m east and 70 m south of the trunk's last junction.
        table[f"OF-{n:02d}"] = {"xy": (x + 3, y - 70), "name": f"{street_name}雨水排放口", "body": "湟水河", "kind": "rain"}
    return table


# ---------------------------------------------------------------- registry

def _water_bodies(rng) -> dict[str, WaterBody]:
    south = north_bank
    courses = {
        "R01": ("湟水河", "river", _river([(x, south(x)) for x in (-400, 1200, 2600, 4000, 5400)], rng, 18)),
        "R02": ("北川河", "river", _river([(1480, 3950), (1380, 2900), (1470, 1800), (1360, 900), (1400, south(1400))], rng, 45)),
        "R03": ("南川河", "river", _river([(4700, 3700), (4420, 3000), (4080, 1700), (3700, 800), (3560, south(3560))], rng, 40)),
    }
    bodies = {}
    for code, (name, kind, line) in courses.items():
        bodies[code] = services.create_water_body(None, code=code, name=name, kind=kind,
                                                  geometry_json=json.dumps({"type": "LineString", "coordinates": line}),
                                                  description=f"{name}流经河湟区段")
    bodies["L01"] = services.create_water_body(None, code="L01", name="海湖", kind="lake",
                                               geometry_json=json.dumps({"type": "Polygon", "coordinates": [_reservoir(2580, 2800, 330, 190)]}),
                                               description="城市湿地湖泊，兼作调蓄")
    return bodies


def _course(body: WaterBody) -> list[list[float]]:
    geom = json.loads(body.geometry)
    return geom["coordinates"] if geom["type"] == "LineString" else geom["coordinates"][0]


def _areas_along(coords: list[list[float]]) -> list[tuple[int, int]]:
    """(street id, community id) of each point, a bank-side point taking its nearest grid."""
    from chengyun.geo import services as geo_services

    out = []
    for lng, lat in coords:
        try:
            g = geo_services.locate(lng, lat).grid
            out.append((g.street_id, g.community_id))
        except geo_services.OutsideDistrict:
            grid = geometry.nearest_grid(lng, lat, 400)
            out.append((grid.street_id, grid.community_id) if grid else (None, None))
    return out


def _runs(coords, keys) -> list[tuple[object, list]]:
    """Consecutive stretches of the course with the same key; each ends where the next begins."""
    runs: list[tuple[object, list]] = []
    for c, k in zip(coords, keys):
        if k is None:
            continue
        if runs and runs[-1][0] == k:
            runs[-1][1].append(c)
        else:
            if runs:
                runs[-1][1].append(c)
            runs.append((k, [c]))
    return [(k, pts) for k, pts in runs if len(pts) >= 2]


def _chiefs_and_reaches(ctx, bodies) -> tuple[list[RiverChief], list[Reach]]:
    people = list(Person.objects.filter(roles__code=R.RIVER_CHIEF, active=True).prefetch_related("streets", "communities").distinct())
    n_streets = Street.objects.count()
    district_chief = next((p for p in people if p.streets.count() == n_streets), None)
    street_chief = {p.streets.first().id: p for p in people if p.streets.count() == 1}
    community_chief = {p.communities.first().id: p for p in people if p.communities.count() == 1 and p.streets.count() == 0}
    appointed: dict[int, RiverChief] = {}

    def appoint(person, level, title):
        if person.pk not in appointed:
            appointed[person.pk] = services.appoint_chief(None, person=person, level=level, title=title)
        return appointed[person.pk]

    streets = {s.id: s for s in Street.objects.all()}
    communities = {c.id: c for c in Community.objects.all()}
    reaches: list[Reach] = []
    for code, body in bodies.items():
        coords = _course(body)
        geometry_json = json.dumps({"type": "LineString", "coordinates": coords})
        if district_chief is not None:
            chief = appoint(district_chief, ChiefLevel.DISTRICT, f"{body.name}区级河湖长")
            reaches.append(services.create_reach(None, code=f"{code}-Q", name=f"{body.name}（河湟区段）", water_body=body,
                                                 level=ChiefLevel.DISTRICT, chief=chief, geometry_json=geometry_json))
        areas = _areas_along(coords)
        for n, (street_id, run) in enumerate(_runs(coords, [a[0] for a in areas]), start=1):
            person = street_chief.get(street_id)
            chief = appoint(person, ChiefLevel.STREET, f"{streets[street_id].name}{body.name}河长") if person else None
            reaches.append(services.create_reach(None, code=f"{code}-S{n:02d}", name=f"{body.name}{streets[street_id].name}段", water_body=body,
                                                 level=ChiefLevel.STREET, chief=chief, street=streets[street_id],
                                                 geometry_json=json.dumps({"type": "LineString", "coordinates": run})))
        for n, (community_id, run) in enumerate(_runs(coords, [a[1] for a in areas]), start=1):
            person = community_chief.get(community_id)
            if person is None:
                continue
            chief = appoint(person, ChiefLevel.COMMUNITY, f"{communities[community_id].name}{body.name}河长")
            reaches.append(services.create_reach(None, code=f"{code}-C{n:02d}", name=f"{body.name}{communities[community_id].name}段", water_body=body,
                                                 level=ChiefLevel.COMMUNITY, chief=chief, community=communities[community_id],
                                                 geometry_json=json.dumps({"type": "LineString", "coordinates": run})))
    return list(appointed.values()), reaches


def _street_reach_near(reaches, body, lng, lat) -> Reach | None:
    here = Point(lng, lat)
    candidates = [r for r in reaches if r.water_body_id == body.pk and r.level == ChiefLevel.STREET and r.geometry]
    if not candidates:
        return None
    return min(candidates, key=lambda r: LineString(json.loads(r.geometry)["coordinates"]).distance(here))


def _sites(bodies, reaches, table) -> tuple[list[Section], list[Outfall]]:
    units = {u.code: u for u in Unit.objects.all()}
    by_name = {b.name: b for b in bodies.values()}
    sections, outfalls = [], []
    for code, spec in sorted(table.items()):
        body = by_name.get(spec.get("body")) or bodies["R01"]
        lng, lat = site_point(spec)
        reach = _street_reach_near(reaches, body, lng, lat)
        if "kind" in spec:
            outfalls.append(services.create_outfall(None, code=code, name=spec["name"], kind=spec["kind"], water_body=body, lng=lng, lat=lat,
                                                    unit=units[OUTFALL_UNIT[spec["kind"]]], reach=reach))
        else:
            sections.append(services.create_section(None, code=code, name=spec["name"], water_body=body, lng=lng, lat=lat,
                                                     target_class=spec["target"], chief=reach.chief if reach else None, reach=reach))
    return sections, outfalls


def _demo_devices() -> list[tuple[str, dict]]:
    try:
        from chengyun.monitoring import demo as monitoring_demo
    except ImportError:
        return []
    return [(e["mn"], e) for e in getattr(monitoring_demo, "DEMO_DEVICES", ()) if e.get("site_kind") in ("section", "outfall")]


def _link_devices(sites) -> int:
    from chengyun.monitoring.models import Device

    codes = {s.code: s for s in sites}
    registered = set(Device.objects.values_list("mn", flat=True))
    linked = 0
    for mn, entry in _demo_devices():
        site = codes.get(entry["site_code"])
        if site is not None and mn in registered:
            services.link_device(None, mn, site)
            linked += 1
    return linked


def _rain_days(rng, start) -> set[dt.date]:
    dates = set()
    for d in sorted(rng.sample(range(1, DAYS - 1), 5)):
        date = (start + dt.timedelta(days=d)).astimezone(SHANGHAI).date()
        services.set_rain_day(None, date, rained=True, precipitation_mm=round(rng.uniform(2.5, 28.0), 1), note="区气象站日降雨量")
        dates.add(date)
    return dates


# ---------------------------------------------------------------- patrols

def _sub_track(rng, coords: list[list[float]], metres: float) -> list[list[float]]:
    """A walk of about `metres` along a reach, with GPS scatter, a fix every ~20 m."""
    line = LineString(coords)
    total_m = geometry.line_length_m(coords)
    if total_m < 50:
        return []
    frac = min(1.0, metres / total_m)
    a = rng.uniform(0, 1 - frac)
    n = max(2, int(min(metres, total_m) / 20))
    pts = []
    for k in range(n + 1):
        p = line.interpolate((a + frac * k / n) * line.length)
        pts.append([round(p.x + rng.gauss(0, 4) / KX, 7), round(p.y + rng.gauss(0, 4) / KY, 7)])
    return pts


PROBLEM_STORIES = [
    ("dumping", "河道管理范围内堆放建筑垃圾约 5 立方米"),
    ("floating", "河面漂浮生活垃圾和塑料袋"),
    ("discharge", "岸边雨水口旱天有灰黑色污水流出，有异味"),
    ("encroachment", "沿河绿地被私自围挡占用种菜"),
    ("construction", "河道管理范围内新搭建彩钢板房一处"),
    ("pollution", "近岸水体发黑，局部有油膜"),
]


def _patrols(ctx, rng, chiefs, start, now) -> tuple[int, int]:
    patrols = problems = 0
    stories = list(PROBLEM_STORIES)
    for chief in sorted(chiefs, key=lambda c: c.pk):
        own = [r for r in Reach.objects.filter(chief=chief).order_by("code") if r.geometry]
        if not own:
            continue
        rule = services.patrol_rule(chief.level)
        # Most chiefs keep to the rule; about one in four falls short this month.
        count = rule.patrols_per_month + rng.choice([0, 0, 1, 1, 2, -1, -2])
        count = max(0, count)
        days = sorted(rng.sample(range(0, DAYS - 1), min(count, DAYS - 1)))
        user = chief.person.user
        for d in days:
            reach = rng.choice(own)
            metres = rule.min_distance_m * rng.uniform(0.7, 2.2)
            track = _sub_track(rng, json.loads(reach.geometry)["coordinates"], metres)
            if len(track) < 2:
                continue
            began = (start + dt.timedelta(days=d)).astimezone(SHANGHAI).replace(hour=rng.choice([8, 9, 10, 14, 15, 16]), minute=rng.randrange(60))
            walked = geometry.line_length_m(track)
            minutes = walked / 1.05 / 60 + rng.uniform(5, 25)
            with current.acting(user, source="cli"):
                # A chief without a login has the patrol entered for them (user None).
                p = services.start_patrol(user, chief=chief, reach=reach, started_at=began)
                if stories and rng.random() < 0.18:
                    kind, text = stories.pop(0)
                    lng, lat = track[len(track) // 2]
                    try:
                        services.report_problem(user, p, kind=kind, description=text, lng=lng, lat=lat,
                                                found_at=began + dt.timedelta(minutes=minutes / 2))
                        problems += 1
                    except DomainError as e:
                        ctx.log(f"水环境：巡河问题未能立案（{chief}）：{e.message}")
                services.finish_patrol(user, p, track=track, ended_at=began + dt.timedelta(minutes=minutes), note="巡查河岸、排口和水面")
            patrols += 1
    return patrols, problems


# ---------------------------------------------------------------- alerts worked on

def _work_alerts(ctx, now) -> None:
    User = get_user_model()
    dispatcher = User.objects.filter(username="dispatcher").first()
    if dispatcher is None:
        return
    units = {u.code: u for u in Unit.objects.all()}
    with current.acting(dispatcher, source="cli"):
        alerts = list(Alert.objects.select_related("section", "outfall").order_by("first_seen_at", "id"))
        for a in alerts:
            code = a.site_code
            try:
                if a.kind == Alert.Kind.DRY_WEATHER_FLOW and code == "PK06":
                    services.escalate_alert(dispatcher, a, to="case", note="晴天持续出流，疑似污水管混接入雨水管，请排水公司沿上游管网排查")
                elif a.kind == Alert.Kind.DRY_WEATHER_FLOW:
                    services.acknowledge_alert(dispatcher, a)
                elif a.kind == Alert.Kind.TARGET_EXCEEDED and code == "DM07":
                    services.escalate_alert(dispatcher, a, to="task", lead_unit=units["D03"], deadline=timezone.localdate() + dt.timedelta(days=30),
                                            note="南川河入湟口多次超过目标类别，请水务局牵头排查上游合流制溢流")
                elif a.kind in (Alert.Kind.DEVICE_SILENT, Alert.Kind.DEVICE_STALE):
                    services.acknowledge_alert(dispatcher, a)
                elif a.kind == Alert.Kind.SUDDEN_JUMP and a.last_seen_at < now - dt.timedelta(days=2):
                    services.dispose_alert(dispatcher, a, disposal_note="经核实为校准后数据波动，已通知运维单位复核")
                elif a.kind == Alert.Kind.TARGET_EXCEEDED and code == "DM03":
                    services.acknowledge_alert(dispatcher, a)
                    services.dispose_alert(dispatcher, a, disposal_note="上游施工导流引起，施工结束后水质已恢复Ⅲ类")
            except DomainError as e:
                ctx.log(f"水环境：告警 {a.pk} 未能处理：{e.message}")


# ---------------------------------------------------------------- cameras

def _snapshot_image(rng, when: dt.datetime, flowing: bool) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (480, 270), (118, 132, 120))
    d = ImageDraw.Draw(img)
    d.rectangle([0, 170, 480, 270], fill=(62, 92, 104))  # river
    d.rectangle([0, 120, 480, 172], fill=(150, 146, 132))  # embankment
    d.ellipse([200, 110, 280, 170], fill=(40, 40, 40))  # pipe mouth
    if flowing:
        d.polygon([(222, 150), (258, 150), (270, 270), (210, 270)], fill=(86, 80, 66))
    for _ in range(30):
        x, y = rng.randrange(480), rng.randrange(170, 270)
        d.line([x, y, x + rng.randrange(6, 20), y], fill=(90, 120, 130))
    d.text((8, 8), when.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"), fill=(255, 255, 255))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    return out.getvalue()


def _cameras(rng, outfalls, now) -> int:
    User = get_user_model()
    count = 0
    for o in outfalls:
        if o.code not in CAMERA_SITES:
            continue
        account, _ = User.objects.get_or_create(username=f"cam-{o.code.lower()}", defaults={"first_name": f"{o.name}摄像机"})
        account.set_unusable_password()
        account.save()
        camera = services.create_camera(None, code=f"CAM-{o.code}", name=f"{o.name}视频监控", outfall=o, account=account)
        for k in range(12):
            when = now - dt.timedelta(hours=6 * k) + dt.timedelta(minutes=rng.randrange(0, 5))
            hour = when.astimezone(SHANGHAI).hour
            # Treatment plants discharge round the clock; PK06 carries misconnected sewage in working hours.
            flowing = o.kind == "wwtp" or (o.code == "PK06" and 8 <= hour <= 19)
            image = ContentFile(_snapshot_image(rng, when, flowing), name="snapshot.jpg")
            services.upload_snapshot(account, camera.code, image=image, taken_at=when, note="定时抓拍" if not flowing else "定时抓拍：排口有出流")
            count += 1
    return count
