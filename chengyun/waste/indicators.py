"""The default 无废城市 / 垃圾分类 indicator set for a district, and the providers the health check reads.

The set is configurable (ZeroWasteIndicator rows); these are what the demo and a fresh install
start from, after 环固体〔2021〕114号 and the 十四五 targets (see docs/waste.md for sources).
Providers (renewal.providers) are registered for the sorting figures computed from the register
and for each default indicator's yearly actual, so a health-check indicator can name them in
``computed_by``.
"""
from __future__ import annotations

import datetime as dt

# code, name, unit, direction, category (一级), basis
DEFAULT_INDICATORS = (
    ("recycling_rate", "生活垃圾回收利用率", "%", "higher", "资源化利用", "十三五 46 重点城市 ≥35%"),
    ("resource_rate", "城市生活垃圾资源化利用率", "%", "higher", "资源化利用", "发改环资〔2021〕642号：2025 年底约 60%"),
    ("construction_rate", "建筑垃圾资源化利用率", "%", "higher", "资源化利用", "环固体〔2021〕114号 指标名称"),
    ("zero_landfill", "原生生活垃圾填埋量", "万吨", "lower", "最终处置", "原生生活垃圾“零填埋”（地方目标）"),
    ("sorting_coverage", "居民小区垃圾分类覆盖率", "%", "higher", "保障能力", "住建部：2025 年底基本全覆盖"),
    ("zero_waste_cells", "无废细胞数量", "个", "higher", "群众获得感", "无废社区、学校、机关、景区等"),
)


def _district_code() -> str:
    from chengyun.geo.models import District

    return District.objects.order_by("code").values_list("code", flat=True).first() or ""


def _count_by(unit_kind: str, qs, prefix: str) -> dict[str, int]:
    if unit_kind == "district":
        return {_district_code(): qs.count()}
    key = prefix + ("community__code" if unit_kind == "community" else "community__street__code")
    counts: dict[str, int] = {}
    for code in qs.values_list(key, flat=True):
        counts[code] = counts.get(code, 0) + 1
    return counts


def sorting_coverage(year: int, unit_kind: str) -> dict[str, float]:
    from chengyun.geo.models import Compound

    from .models import SortingCompound

    if unit_kind not in ("community", "street", "district"):
        return {}
    totals = _count_by(unit_kind, Compound.objects.filter(active=True), "")
    done = _count_by(unit_kind, SortingCompound.objects.filter(compound__active=True, sorting_since__lte=dt.date(year, 12, 31)), "compound__")
    return {code: round(done.get(code, 0) / n * 100, 2) for code, n in totals.items() if n}


def compliant_compounds(year: int, unit_kind: str) -> dict[str, float]:
    from .models import SortingCompound

    if unit_kind not in ("community", "street", "district"):
        return {}
    rows = SortingCompound.objects.filter(compliant=True, assessed_on__year__lte=year)
    if unit_kind == "district":
        return {_district_code(): float(rows.count())}
    key = "community__code" if unit_kind == "community" else "street__code"
    out: dict[str, float] = {}
    for code in rows.values_list(key, flat=True):
        out[code] = out.get(code, 0.0) + 1
    return out


def yearly_actual(code: str):
    def provider(year: int, unit_kind: str) -> dict[str, float]:
        from .models import ZeroWasteValue

        if unit_kind != "district":
            return {}
        v = ZeroWasteValue.objects.filter(indicator__code=code, year=year).exclude(actual=None).values_list("actual", flat=True).first()
        return {} if v is None else {_district_code(): float(v)}

    return provider


def register_providers() -> None:
    from chengyun.renewal import providers

    providers.register("waste.sorting_coverage", "居民小区垃圾分类覆盖率（分类小区登记）", sorting_coverage)
    providers.register("waste.compliant_compounds", "垃圾分类达标小区数量（调查与检查）", compliant_compounds)
    for code, name, *_ in DEFAULT_INDICATORS:
        providers.register(f"waste.zero_waste.{code}", f"{name}（无废城市指标年度实际值）", yearly_actual(code))
