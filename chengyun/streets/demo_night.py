"""Night-economy demo: two business districts and a tourist street along three arterials, their
zones (a school and a hospital gate's 100 m, a bridge), policies, shops, ~80 permits through the
real workflow, and violations found on evening patrols (three shops lose their permit)."""
from __future__ import annotations

import datetime as dt
import math

from shapely.geometry import LineString, Polygon, mapping
from shapely.ops import linemerge

from chengyun.core.errors import DomainError

SHANGHAI = dt.timezone(dt.timedelta(hours=8))

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林罗高"
TRADES = ["牛肉面馆", "烧烤店", "酸奶铺", "茶餐厅", "火锅店", "手抓羊肉馆", "面片馆", "奶茶店", "小吃店", "酿皮店", "炕锅店", "咖啡馆"]


class _F:
    def __init__(self, lat0):
        self.kx, self.ky = 111_320.0 * math.cos(math.radians(lat0)), 111_320.0

    def fwd(self, g):
        from shapely import transform

        return transform(g, lambda a: a * [self.kx, self.ky])

    def back(self, g):
        from shapely import transform

        return transform(g, lambda a: a / [self.kx, self.ky])


def _stretch(street_id, used):
    """Four consecutive arterial segments of one road name in a street: a 800 m frontage."""
    from chengyun.roads.models import RoadSegment

    by_name: dict[str, list] = {}
    for s in RoadSegment.objects.filter(street_id=street_id, road_class="arterial").order_by("code"):
        by_name.setdefault(s.name, []).append(s)
    for name, segs in sorted(by_name.items(), key=lambda kv: -len(kv[1])):
        if name in used or len(segs) < 4:
            continue
        for k in range(len(segs) - 3):
            line = linemerge([segs[i].shape for i in range(k, k + 4)])
            if line.geom_type == "LineString":
                used.add(name)
                return name, line
    return None, None


def generate_night(ctx, rng, today: dt.date) -> None:
    from chengyun.geo.models import Street
    from chengyun.geo.tracks import TrackPoint

    from . import permit_workflow as wf
    from .models import NightPolicy, Permit, Violation
    from .services import night, patrols, permits

    if NightPolicy.objects.exists():
        return
    year = today.year
    streets = list(Street.objects.order_by("code"))
    plans = [
        ("NE-BD1", "business", "商圈", "04-10", "10-31", None, [
            ("outdoor_dining", "regular", "17:00", "22:30"), ("outdoor_dining", "holiday", "17:00", "24:00"),
            ("night_market", "regular", "18:30", "22:30"), ("barbecue", "regular", "20:00", "24:00"), ("performance", "regular", "19:00", "21:30")]),
        ("NE-BD2", "business", "商圈", "01-01", "12-31", None, [
            ("outdoor_dining", "regular", "18:00", "22:00"), ("outdoor_dining", "holiday", "18:00", "23:30"),
            ("night_market", "regular", "18:30", "22:00")]),
        ("NE-TS1", "tourist", "古街", "01-01", "12-31", (dt.date(year, 7, 1), dt.date(year, 8, 31)), [
            ("outdoor_dining", "regular", "17:00", "23:00"), ("outdoor_dining", "tourist", "10:00", "24:00"),
            ("outdoor_dining", "holiday", "10:00", "24:00"), ("night_market", "tourist", "18:00", "02:00"),
            ("night_market", "holiday", "18:00", "01:00"), ("performance", "regular", "19:00", "22:00")]),
    ]
    used: set[str] = set()
    shops_made, refused = [], []
    chosen = [streets[1 % len(streets)], streets[3 % len(streets)], streets[4 % len(streets)]]
    for (code, kind, suffix, s_start, s_end, tourist, windows), street in zip(plans, chosen):
        name, line = _stretch(street.id, used)
        if line is None:
            continue
        f = _F(line.centroid.y)
        local = f.fwd(line)
        area = f.back(local.buffer(40, cap_style="flat"))
        pol = night.create_policy(None, code=code, name=f"{name}{suffix}", kind=kind, geometry=mapping(area), windows=[
            {"activity": a, "day_type": d, "start": s, "end": e} for a, d, s, e in windows], season_start=s_start, season_end=s_end,
            tourist_start=tourist[0] if tourist else None, tourist_end=tourist[1] if tourist else None, noise_class="2" if kind == "business" else "4a",
            min_passage_m=2.0, tactile_buffer_m=0.5, max_depth_m=3.0, publicity_days=7, strikes_to_revoke=3)
        night.create_zone(None, code=f"{code}-OPEN", name=f"{name}{suffix}开放区域", kind="open", geometry=mapping(area), reason="特色街区、商圈")
        # A school gate at a third of the way, 100 m around it: 严禁.
        gate = local.interpolate(local.length * 0.3)
        d = local.interpolate(local.length * 0.3 + 1)
        nx, ny = -(d.y - gate.y), d.x - gate.x
        norm = math.hypot(nx, ny) or 1
        school = f.back(LineString([(gate.x + nx / norm * 45, gate.y + ny / norm * 45)] * 2).centroid)
        gate_kind = ("学校", "中小学校门口两侧 100 米") if code != "NE-BD2" else ("医院", "医院门口两侧 100 米")
        night.create_zone(None, code=f"{code}-X1", name=f"{name}{gate_kind[0]}门口", kind="forbidden",
                          geometry=night.circle(school.x, school.y, 100), reason=gate_kind[1])
        if code == "NE-TS1":
            bridge = f.back(local.interpolate(local.length * 0.85))
            night.create_zone(None, code=f"{code}-BR", name=f"{name}人行天桥", kind="forbidden", geometry=night.circle(bridge.x, bridge.y, 30),
                              reason="桥梁、人行天桥")
        # Shops every 30 m on both sides, at the building line 22 m from the centre line.
        n = 0
        for side in (1, -1):
            for k in range(1, int(local.length // 30)):
                at = local.interpolate(k * 30.0)
                ahead = local.interpolate(k * 30.0 + 1)
                ux, uy = ahead.x - at.x, ahead.y - at.y
                nx, ny = -uy * side, ux * side
                n += 1
                front = f.back(LineString([(at.x + nx * 22, at.y + ny * 22)] * 2).centroid)
                surname = SURNAMES[rng.randrange(len(SURNAMES))]
                shop = permits.create_shop(None, code=f"{code}-{n:03d}", name=f"{surname}记{rng.choice(TRADES)}", lng=front.x, lat=front.y,
                                           address=f"{name}{n * 2 + (1 if side > 0 else 0)}号", policy_obj=pol)
                depth = round(rng.uniform(1.5, 3.0), 1)
                spot = Polygon([(at.x + nx * 22 - ux * 3, at.y + ny * 22 - uy * 3), (at.x + nx * 22 + ux * 3, at.y + ny * 22 + uy * 3),
                                (at.x + nx * (22 - depth) + ux * 3, at.y + ny * (22 - depth) + uy * 3),
                                (at.x + nx * (22 - depth) - ux * 3, at.y + ny * (22 - depth) - uy * 3)])
                shops_made.append((shop, pol, mapping(f.back(spot)), depth))
    # About eighty applications through the real workflow; the ones by the school gate are refused.
    season_start = dt.date(year, 3, 1)
    approved = []
    for shop, pol, spot, depth in shops_made:
        if rng.random() > 0.62:
            continue
        applied = dt.datetime.combine(season_start + dt.timedelta(days=rng.randint(0, 60)), dt.time(10), tzinfo=SHANGHAI)
        try:
            p = permits.apply(None, shop=shop, policy_obj=pol, area_m2=round(6 * depth, 1), tables=max(1, int(depth * 6 // 4)), depth_m=depth,
                              passage_m=round(rng.uniform(2.0, 4.0), 1), tactile_m=round(rng.uniform(0.6, 2.0), 1), geometry=spot, applied_at=applied)
        except DomainError as exc:
            refused.append((shop.name, exc.message))
            continue
        if rng.random() < 0.05:
            permits.transition(None, p, "reject", note="外摆位置影响消防通道", at=applied + dt.timedelta(days=5))
            continue
        permits.transition(None, p, "review", note="街道审核通过", at=applied + dt.timedelta(days=3))
        permits.transition(None, p, "approve", at=dt.datetime.combine(p.publicity_until + dt.timedelta(days=1), dt.time(9), tzinfo=SHANGHAI))
        approved.append(p)
    permits.expire_due(today)
    # A few fresh applications: some in publicity now, some waiting for the street's review.
    for shop, pol, spot, depth in shops_made[-40:]:
        if Permit.objects.filter(shop=shop).exists() or rng.random() > 0.3:
            continue
        try:
            p = permits.apply(None, shop=shop, policy_obj=pol, area_m2=round(6 * depth, 1), tables=2, depth_m=depth, passage_m=2.5, tactile_m=1.0,
                              geometry=spot, applied_at=dt.datetime.combine(today - dt.timedelta(days=3), dt.time(10), tzinfo=SHANGHAI))
            if rng.random() < 0.7:
                permits.transition(None, p, "review", note="街道审核通过", at=dt.datetime.combine(today - dt.timedelta(days=1), dt.time(10), tzinfo=SHANGHAI))
        except DomainError as exc:
            refused.append((shop.name, exc.message))
    # Evening patrols by each policy's street chief; violations found on them become cases.
    from .models import SegmentAssignment

    for pol in NightPolicy.objects.order_by("code"):
        chief = (SegmentAssignment.objects.filter(street_id=pol.street_id, valid_to__isnull=True).select_related("chief")
                 .order_by("chief_id").first())
        if chief is None:
            continue
        mine = [p for p in approved if p.policy_id == pol.pk]
        repeat = mine[:1]  # one shop per policy breaks the rules three times
        for week in range(12, 0, -1):
            day = today - dt.timedelta(weeks=week, days=rng.randint(0, 3))
            start = dt.datetime.combine(day, dt.time(22, 40), tzinfo=SHANGHAI)
            line = list(pol.shape.exterior.coords)[:2]
            pts = [(line[0][0] + (line[1][0] - line[0][0]) * k / 20, line[0][1] + (line[1][1] - line[0][1]) * k / 20) for k in range(21)]
            patrol = patrols.record(None, points=[TrackPoint(start + dt.timedelta(seconds=30 * k), x, y) for k, (x, y) in enumerate(pts)],
                                    patroller=chief.chief, kind="leader", note="夜间巡查")
            targets = (repeat if week % 4 == 0 else []) + rng.sample(mine, min(len(mine), rng.randint(0, 2)))
            for k, permit in enumerate(targets):
                shop = permit.shop
                found = start + dt.timedelta(minutes=20 + 7 * k)  # 23:00 and after: past most windows
                rule = "" if rng.random() < 0.7 else "passage"
                try:
                    permits.report_night_violation(None, patrol, lng=shop.lng, lat=shop.lat, activity="outdoor_dining", shop=shop, rule_code=rule,
                                                   description="夜间巡查发现", found_at=found)
                except DomainError:
                    permits.report_night_violation(None, patrol, lng=shop.lng, lat=shop.lat, activity="outdoor_dining", shop=shop, rule_code="passage",
                                                   description="夜间巡查发现：外摆桌椅占用人行通道", found_at=found)
    ctx.log(f"夜间经济：{NightPolicy.objects.count()} 个一街一策，{Permit.objects.count()} 件外摆许可"
            f"（有效 {Permit.objects.filter(state=wf.APPROVED).count()}，撤销 {Permit.objects.filter(state=wf.REVOKED).count()}），"
            f"{len(refused)} 件申请因严禁区或限制被拒，{Violation.objects.count()} 起违规")
