"""Read models shared by the pages and the API: map layers, latest class, trends."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone

from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.standards import gb3838

from .factors import factor_name, factor_unit
from .models import Aggregate, Alert, Outfall, RiverChief, Section
from .rules import rule

OPEN = [Alert.Status.NEW, Alert.Status.ACKNOWLEDGED]
CLASS_COLOURS = {1: "#1e88e5", 2: "#26a69a", 3: "#43a047", 4: "#fdd835", 5: "#fb8c00", 6: "#e53935"}
OUTFALL_STATUS = {
    "alert": ("告警中", "#e53935"),
    "online": ("在线", "#43a047"),
    "offline": ("离线", "#757575"),
    "unmonitored": ("未接入监测", "#90a4ae"),
}


def latest_aggregates(site_kind: str, codes: list[str], period: str = Aggregate.Period.HOUR) -> dict[str, Aggregate]:
    """The newest judged aggregate of each site: an hour whose readings were all flagged (a
    calibration, a maintenance visit) has no class and does not hide the last one that had."""
    # One look-up per site down the (kind, code, period, start) key, newest first: a correlated
    # subquery over all of the sites' rows cost a year of hours per site (80 ms for 8 sections).
    found = {}
    for code in dict.fromkeys(codes):
        latest = (Aggregate.objects.filter(site_kind=site_kind, site_code=code, period=period, water_class__isnull=False)
                  .order_by("-start").first())
        if latest is not None:
            found[code] = latest
    return found


def section_features(sections: list[Section]) -> dict[str, Any]:
    latest = latest_aggregates("section", [s.code for s in sections])
    open_alerts = set(Alert.objects.filter(section__in=sections, status__in=OPEN).values_list("section_id", flat=True))
    features = []
    for s in sections:
        agg = latest.get(s.code)
        cls = agg.water_class if agg else None
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [s.lng, s.lat]}, "properties": {
            "kind": "section", "code": s.code, "name": s.name, "water_body": s.water_body.name, "target": s.target_label,
            "water_class": cls, "label": gb3838.LABELS.get(cls, "") if cls else "", "colour": CLASS_COLOURS.get(cls, "#9e9e9e"),
            "compliant": agg.compliant if agg else None, "at": agg.start.isoformat() if agg else None,
            "alert": s.pk in open_alerts, "url": f"/water/sections/{s.code}/",
        }})
    return {"type": "FeatureCollection", "features": features}


def outfall_statuses(outfalls: list[Outfall], now: dt.datetime | None = None) -> dict[str, str]:
    from chengyun.monitoring.models import Device

    now = now or timezone.now()
    silent_after = dt.timedelta(minutes=int(rule("silent_minutes")))
    alerting = set(Alert.objects.filter(outfall__in=outfalls, status__in=OPEN).values_list("outfall__code", flat=True))
    seen: dict[str, dt.datetime | None] = {}
    monitored: set[str] = set()
    for code, last in Device.objects.filter(site_kind="outfall", site_code__in=[o.code for o in outfalls], active=True).values_list("site_code", "last_seen_at"):
        monitored.add(code)
        if last and (seen.get(code) is None or last > seen[code]):
            seen[code] = last
    out = {}
    for o in outfalls:
        if o.code in alerting:
            out[o.code] = "alert"
        elif o.code not in monitored:
            out[o.code] = "unmonitored"
        elif seen.get(o.code) and now - seen[o.code] <= silent_after:
            out[o.code] = "online"
        else:
            out[o.code] = "offline"
    return out


def outfall_features(outfalls: list[Outfall]) -> dict[str, Any]:
    statuses = outfall_statuses(outfalls)
    features = []
    for o in outfalls:
        st = statuses[o.code]
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [o.lng, o.lat]}, "properties": {
            "kind": "outfall", "code": o.code, "name": o.name, "outfall_kind": o.get_kind_display(), "water_body": o.water_body.name,
            "unit": o.unit.name, "status": st, "status_label": OUTFALL_STATUS[st][0], "colour": OUTFALL_STATUS[st][1],
            "url": f"/water/outfalls/{o.code}/",
        }})
    return {"type": "FeatureCollection", "features": features}


def trend(site_kind: str, code: str, period: str, start: dt.datetime, end: dt.datetime) -> list[Aggregate]:
    return list(Aggregate.objects.filter(site_kind=site_kind, site_code=code, period=period, start__gte=start, start__lt=end).order_by("start"))


def factor_series(aggs: list[Aggregate], body: str | None) -> list[dict[str, Any]]:
    """Per factor: the series of means and, where GB 3838 has them, the class Ⅰ–Ⅴ limits."""
    keys: list[str] = []
    for a in aggs:
        for k in a.means:
            if k not in keys:
                keys.append(k)
    order = {k: i for i, k in enumerate(gb3838.FACTORS)}
    keys.sort(key=lambda k: (order.get(k, 999), k))
    out = []
    for k in keys:
        limit = gb3838.LIMITS[body].get(k) if body else None
        limits = None
        if limit is not None and limit.cmp in ("le", "ge"):
            limits = [limit.threshold(c) for c in range(1, 6)]
        out.append({"key": k, "name": factor_name(k), "unit": factor_unit(k),
                    "cmp": limit.cmp if limit else None, "limits": limits,
                    "points": [[a.start.isoformat(), a.means.get(k)] for a in aggs]})
    return out


def visible_chiefs(user) -> list[RiverChief]:
    """The chiefs whose patrols the user may see: everyone for the ops center, else the chief
    themself and the chiefs of reaches in their area."""
    p = policy.principal(user)
    qs = RiverChief.objects.filter(active=True).select_related("person")
    if p.has(R.DISTRICT_WIDE):
        return list(qs)
    return list(qs.filter(Q(person_id=p.person_id) | Q(reaches__street_id__in=p.street_ids) | Q(reaches__community_id__in=p.community_ids)).distinct())
