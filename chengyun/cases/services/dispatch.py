"""Who handles a class of case in an area: the responsibility table and the dispatch suggestion."""
from __future__ import annotations

from typing import Any

from django.db import transaction

from chengyun.core import audit
from chengyun.geo.models import Unit
from chengyun.people import policy
from chengyun.people import roles as R

from ..models import Category, Responsibility


def set_responsibility(user: Any, *, unit: Unit, category: Category | None = None, street_id: int | None = None, community_id: int | None = None) -> Responsibility:
    """Set who handles a class of case in an area (the dispatch suggestion's table)."""
    if user is not None:
        policy.require_role(user, {R.SYSADMIN, R.OPS_SHIFT_LEADER}, "只有系统管理员或值班长可以维护责任分工")
    with transaction.atomic():
        row = Responsibility.objects.filter(category=category, street_id=street_id, community_id=community_id).first()
        if row is None:
            row = Responsibility.objects.create(category=category, street_id=street_id, community_id=community_id, unit=unit)
            audit.created(row)
        else:
            before = audit.snapshot(row)
            row.unit = unit
            row.save()
            audit.updated(row, before)
    return row


class _UnitSuggester:
    """Dispatch suggestion: responsibility table first, then the category's specialty, then the street office."""

    def __init__(self):
        self.rows = list(Responsibility.objects.select_related("unit").filter(unit__active=True))
        self.units = list(Unit.objects.filter(active=True).order_by("code"))
        reach: dict[int, dict[str, set[int]]] = {u.pk: {"grid": set(), "community": set(), "street": set()} for u in self.units}
        for rel, key in ((Unit.grids.through, "grid"), (Unit.communities.through, "community"), (Unit.streets.through, "street")):
            for unit_id, area_id in rel.objects.values_list("unit_id", f"{key}_id"):
                if unit_id in reach:
                    reach[unit_id][key].add(area_id)
        self.reach = reach
        self._cache: dict[tuple, Unit | None] = {}

    def suggest(self, category: Category, street_id: int, community_id: int, grid_id: int) -> Unit | None:
        key = (category.pk, street_id, community_id, grid_id)
        if key not in self._cache:
            self._cache[key] = self._suggest(category, street_id, community_id, grid_id)
        return self._cache[key]

    def _level(self, u: Unit, street_id: int, community_id: int, grid_id: int) -> int:
        r = self.reach[u.pk]
        if grid_id in r["grid"]:
            return 4
        if community_id in r["community"]:
            return 3
        if street_id in r["street"]:
            return 2
        return 1 if u.district_wide else 0

    def _suggest(self, category, street_id, community_id, grid_id):
        best, best_score = None, -1
        for r in self.rows:
            if r.category_id not in (None, category.pk) or r.street_id not in (None, street_id) or r.community_id not in (None, community_id):
                continue
            score = (r.category_id is not None) * 4 + (r.community_id is not None) * 2 + (r.street_id is not None)
            if score > best_score:
                best, best_score = r.unit, score
        if best is not None:
            return best
        for specialty in (category.responsible_specialty, "街道"):
            if not specialty:
                continue
            ranked = [(self._level(u, street_id, community_id, grid_id), u) for u in self.units if u.specialty == specialty]
            ranked = [t for t in ranked if t[0] > 0]
            if ranked:
                return max(ranked, key=lambda t: t[0])[1]
        return None


def suggest_unit(category: Category, street_id: int, community_id: int, grid_id: int) -> Unit | None:
    return _UnitSuggester().suggest(category, street_id, community_id, grid_id)
