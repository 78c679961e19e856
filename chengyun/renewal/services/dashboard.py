"""What the indicator dashboard shows: per dimension, each indicator's value for a unit kind with
its target, verdict and year-on-year arrow, and a choropleth of one indicator by area."""
from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from django.utils.translation import gettext as _

from chengyun.geo.models import Community, Street

from ..models import Dimension, Indicator
from . import verdicts


def summary(year: int, unit_kind: str = "district") -> dict[str, Any]:
    rows = verdicts.evaluate(year, unit_kind=unit_kind)
    by_indicator: dict[int, list] = defaultdict(list)
    for r in rows:
        by_indicator[r.indicator.pk].append(r)
    failing_units = defaultdict(int)
    for r in verdicts.evaluate(year, unit_kind="community"):
        if r.verdict.status == verdicts.UNMET:
            failing_units[r.indicator.code] += 1
    out = []
    inds = Indicator.objects.filter(indicator_set__year=year).select_related("responsible_unit").order_by("order", "code")
    for code, label in Dimension.choices:
        items = []
        for ind in inds:
            if ind.dimension != code:
                continue
            rs = by_indicator.get(ind.pk, [])
            r = rs[0] if len(rs) == 1 else None
            items.append({"id": ind.id, "code": ind.code, "name": ind.name, "aspect": ind.aspect, "unit": ind.unit,
                          "kind": ind.kind, "direction": ind.direction, "target_value": ind.target_value,
                          "computed_by": ind.computed_by,
                          "responsible_unit": ind.responsible_unit.short_name or ind.responsible_unit.name if ind.responsible_unit_id else "",
                          "value": r.measurement.value if r else None, "previous": r.previous if r else None,
                          "status": r.verdict.status if r else None, "status_label": r.verdict.status_label if r else _("未填报"),
                          "trend": r.verdict.trend if r else None, "trend_label": r.verdict.trend_label if r else "",
                          "arrow": r.verdict.arrow if r else "", "failing_communities": failing_units.get(ind.code, 0)})
        met = sum(1 for i in items if i["status"] == verdicts.MET)
        unmet = sum(1 for i in items if i["status"] == verdicts.UNMET)
        out.append({"dimension": code, "label": str(label), "indicators": items, "met": met, "unmet": unmet})
    return {"year": year, "unit_kind": unit_kind, "dimensions": out}


def choropleth(year: int, indicator_code: str, unit_kind: str = "community") -> dict[str, Any]:
    """Areas of `unit_kind` (community or street) with the indicator's value, verdict and trend."""
    model = {"community": Community, "street": Street}.get(unit_kind, Community)
    kind = "street" if model is Street else "community"
    rows = {r.measurement.unit_code: r for r in verdicts.evaluate(year, unit_kind=kind, indicator_code=indicator_code)}
    ind = Indicator.objects.filter(indicator_set__year=year, code=indicator_code).first()
    features = []
    for area in model.objects.order_by("code"):
        r = rows.get(area.code)
        features.append({"type": "Feature", "geometry": json.loads(area.geometry), "properties": {
            "code": area.code, "name": area.name, "value": r.measurement.value if r else None,
            "previous": r.previous if r else None, "status": r.verdict.status if r else None,
            "status_label": r.verdict.status_label if r else "", "trend": r.verdict.trend if r else None,
            "arrow": r.verdict.arrow if r else ""}})
    return {"type": "FeatureCollection", "features": features,
            "indicator": {"code": indicator_code, "name": ind.name if ind else "", "unit": ind.unit if ind else "",
                          "direction": ind.direction if ind else "lower", "target_value": ind.target_value if ind else None}}
