"""The renewal portfolio's declared vocabulary: project types with their metrics, the
老旧小区改造 menu of contents (国办发〔2020〕23号 基础类/完善类/提升类), funding sources.

A type's metrics are the quantities its yearly targets and progress are counted in; the
first of them is the type's main metric (what "完成 N" means in a plan).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Metric:
    key: str
    label: object
    unit: object
    integer: bool = False


METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("households", _("惠及户数"), _("户"), integer=True),
    Metric("buildings", _("楼栋数"), _("栋"), integer=True),
    Metric("floor_area_m2", _("建筑面积"), _("平方米")),
    Metric("lifts", _("加装电梯"), _("台"), integer=True),
    Metric("main_km", _("管网长度"), _("千米")),
    Metric("parking_spaces", _("停车泊位"), _("个"), integer=True),
    Metric("chargers", _("充电桩"), _("个"), integer=True),
    Metric("tce_saved", _("年节约标准煤"), _("吨标准煤")),
    Metric("water_saved_m3", _("年节水量"), _("立方米")),
    Metric("facilities", _("设施数量"), _("处"), integer=True),
)}


@dataclass(frozen=True)
class ProjectType:
    code: str
    label: object
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def main_metric(self) -> str:
        return self.required[0]

    @property
    def allowed(self) -> frozenset[str]:
        return frozenset(self.required) | frozenset(self.optional)


OLD_COMPOUND = "old_compound"
LIFT = "lift"
PARKING = "parking"
DRAINAGE = "drainage"
WATER_SUPPLY = "water_supply"
GAS = "gas"
BUILDING_ENERGY = "building_energy"
CLEAN_ENERGY = "clean_energy"
CHARGING = "charging"
WATER_SAVING = "water_saving"
MUNICIPAL = "municipal"

TYPES: dict[str, ProjectType] = {t.code: t for t in (
    ProjectType(OLD_COMPOUND, _("老旧小区改造"), ("households", "buildings", "floor_area_m2"), ("lifts", "parking_spaces", "chargers")),
    ProjectType(LIFT, _("加装电梯"), ("lifts", "households"), ("buildings",)),
    ProjectType(PARKING, _("公共停车场"), ("parking_spaces",), ("chargers", "floor_area_m2")),
    ProjectType(DRAINAGE, _("排水/雨污分流"), ("main_km",), ("households",)),
    ProjectType(WATER_SUPPLY, _("供水管网"), ("main_km",), ("households", "water_saved_m3")),
    ProjectType(GAS, _("燃气管网/设施更新"), ("main_km",), ("households",)),
    ProjectType(BUILDING_ENERGY, _("公共建筑节能改造"), ("floor_area_m2", "tce_saved"), ("buildings",)),
    ProjectType(CLEAN_ENERGY, _("清洁能源替代"), ("tce_saved",), ("households", "buildings")),
    ProjectType(CHARGING, _("新能源充电设施"), ("chargers",), ("parking_spaces",)),
    ProjectType(WATER_SAVING, _("节水载体"), ("water_saved_m3",), ("facilities", "buildings")),
    ProjectType(MUNICIPAL, _("市政设施维修"), ("facilities",), ("main_km", "floor_area_m2")),
)}
TYPE_CHOICES = [(t.code, t.label) for t in TYPES.values()]

# 老旧小区改造内容清单 (国办发〔2020〕23号; the item lists are partly paraphrased by local
# pages, so the menu is data the district may extend, not law).
BASIC, COMPLETE, IMPROVE = "basic", "complete", "improve"
CONTENT_CATEGORIES = {BASIC: _("基础类"), COMPLETE: _("完善类"), IMPROVE: _("提升类")}
CONTENTS: dict[str, tuple[str, object]] = {
    "water_supply": (BASIC, _("供水设施改造")),
    "drainage": (BASIC, _("排水设施改造")),
    "power": (BASIC, _("供电设施改造")),
    "telecom": (BASIC, _("弱电及通信设施改造")),
    "road": (BASIC, _("小区道路改造")),
    "gas": (BASIC, _("供气设施改造")),
    "heating": (BASIC, _("供热设施改造")),
    "fire": (BASIC, _("消防设施改造")),
    "security": (BASIC, _("安防设施改造")),
    "waste_sorting": (BASIC, _("生活垃圾分类设施")),
    "overhead_lines": (BASIC, _("架空线规整（入地）")),
    "roof_facade": (BASIC, _("屋面、外墙、楼梯等公共部位维修")),
    "illegal_build": (COMPLETE, _("拆除违法建设")),
    "greening_lighting": (COMPLETE, _("整治绿化、照明")),
    "elderly_accessible": (COMPLETE, _("适老及无障碍设施")),
    "parking": (COMPLETE, _("停车库（场）")),
    "charging": (COMPLETE, _("电动自行车及汽车充电设施")),
    "lift": (COMPLETE, _("加装电梯")),
    "energy_saving": (COMPLETE, _("建筑节能改造")),
    "parcel_lockers": (COMPLETE, _("智能快件箱、信包箱")),
    "fitness": (COMPLETE, _("文化休闲和体育健身设施")),
    "property_room": (COMPLETE, _("物业用房")),
    "community_service": (IMPROVE, _("社区综合服务设施")),
    "health_station": (IMPROVE, _("卫生服务站等公共卫生设施")),
    "kindergarten": (IMPROVE, _("幼儿园等教育设施")),
    "smart_perimeter": (IMPROVE, _("周界防护等智能感知设施")),
    "elderly_care": (IMPROVE, _("养老、托育、助餐服务设施")),
    "convenience": (IMPROVE, _("便民市场、便利店、邮政快递末端综合服务站")),
}

FUNDING_SOURCES: dict[str, object] = {
    "central_budget": _("中央预算内投资"),
    "special_bonds": _("地方政府专项债券"),
    "local_fiscal": _("省市区财政资金"),
    "social_capital": _("社会资本"),
    "residents": _("居民出资"),
    "property_owner": _("产权单位出资"),
}
FUNDING_CHOICES = list(FUNDING_SOURCES.items())

# 三问于民: 改造前问需, 改造中问计, 改造后问效.
CONSULTATION_STAGES: dict[str, object] = {
    "needs_survey": _("改造前问需（需求调查）"),
    "plan_publicity": _("改造中问计（方案公示）"),
    "satisfaction": _("改造后问效（满意度调查）"),
}
