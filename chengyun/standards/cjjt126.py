"""CJJ/T 126-2022 城市道路清扫保洁与质量评价标准 — cleaning grades, frequencies and quality grading.

Pure Python, no Django. The 2022 standard (in force 2022-05-01, replacing CJJ/T 126-2008) splits
roads into three cleaning grades (一级/二级/三级) by what lies along them and by road class, and
evaluates quality by 感观质量, 可见垃圾及污渍密度 and 清洁度. What is verified and what is a
district default standing in for a number the standard's text was not available for is marked in
``docs/standards/cjjt126.md``: every ``Source`` below says which.

``grade_for_road_class`` gives the default grade of a road class; ``grade_inspection`` the
highest grade whose quality limits an inspection's measurements all meet (or ``None``).
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Mapping

__all__ = ["GRADES", "GRADE_NAMES", "ROAD_CLASS_GRADE", "FREQUENCIES", "QUALITY_LIMITS", "INDICATORS",
           "Frequency", "QualityLimits", "Measurement", "Verdict", "grade_for_road_class", "grade_inspection"]

GRADE_1, GRADE_2, GRADE_3 = 1, 2, 3
GRADES: Final = (GRADE_1, GRADE_2, GRADE_3)
GRADE_NAMES: Final = MappingProxyType({GRADE_1: "一级", GRADE_2: "二级", GRADE_3: "三级"})

# Where each number comes from.
STANDARD = "CJJ/T 126-2022"  # verified from public summaries of the 2022 text
LOCAL = "地方作业规范（已核实的地方标准）"  # a verified local operating norm, not the national text
DEFAULT = "区级默认值（国家标准数值未核实）"  # the district's default until the standard's table is obtained

# §grade split (2022): 城市主干路 is named under 一级, 城市次干路 under 二级; the rest falls to
# 三级 unless what lies along the road lifts it. 快速路 carries 主干路 traffic and is put with it;
# 支路 is not named by the standard: 三级 is this module's default (a 支路 by a 居住区 is lifted to
# 二级 by the segment's own grade, which the sanitation register can set).
ROAD_CLASS_GRADE: Final = MappingProxyType({"expressway": GRADE_1, "arterial": GRADE_1, "secondary": GRADE_2, "branch": GRADE_3})

GRADE_CRITERIA: Final = MappingProxyType({
    GRADE_1: ("主要党政机关、重要外事机构周边道路；大型商业、文化、教育、卫生、体育、旅游场所周边道路；"
              "主要交通场站（枢纽）周边道路；公交线路较多的道路；城市主干路及对市容有重大影响的道路"),
    GRADE_2: ("次要党政机关、一般外事机构周边道路；中小型公共场所周边道路；企事业单位和居住区周边道路；"
              "有固定交通线路或场站的道路；城市次干路及其附近路段"),
    GRADE_3: "偏远道路；人流量、车流量较小的道路；简易道路（无排水、无路缘石、未铺装人行道）；其他道路",
})


@dataclass(frozen=True)
class Frequency:
    """How often a grade's roads are cleaned, and when."""

    sweeps_per_day: int  # 普扫 passes (manual or mechanized)
    mechanized_passes_per_day: int  # 机扫 passes the sweeping plan asks of each segment
    first_sweep_by: str  # HH:MM, the first 普扫 finished by
    second_sweep_by: str
    care_from: str  # 保洁时段 (continuous litter picking)
    care_to: str
    source: str


FREQUENCIES: Final = MappingProxyType({
    # 普扫 deadlines and 保洁时段: local norm (一、二级 before 7:00 / 16:00, 5:30-22:00; 三级 7:30 / 16:00,
    # 6:30-20:30). 机扫 ≥2 a day on 一类街道 is a local norm; 1 for 二、三级 is the district default.
    GRADE_1: Frequency(2, 2, "07:00", "16:00", "05:30", "22:00", LOCAL),
    GRADE_2: Frequency(2, 1, "07:00", "16:00", "05:30", "22:00", LOCAL + "；机扫次数：" + DEFAULT),
    GRADE_3: Frequency(2, 1, "07:30", "16:00", "06:30", "20:30", LOCAL + "；机扫次数：" + DEFAULT),
})


# The quality indicators an inspection records (code: Chinese name, unit).
INDICATORS: Final = MappingProxyType({
    "sensory": ("感观质量", "分"),  # 0-100 by the inspector's checklist
    "litter": ("可见垃圾密度", "处/1000㎡"),  # 果皮、纸屑塑膜、烟蒂等 counted on the sample area
    "stain": ("污渍密度", "㎡/1000㎡"),  # 痰迹、污水、油渍 area on the sample area
    "cleanliness": ("清洁度", "%"),
    "dust": ("尘负荷", "g/㎡"),  # where measured (积尘负荷走航监测); optional
})


@dataclass(frozen=True)
class QualityLimits:
    max_litter: float  # strictly below (the local norm says "<4")
    max_stain: float  # at most
    min_sensory: float  # at least
    min_cleanliness: float  # at least
    max_dust: float  # at most
    source: str


QUALITY_LIMITS: Final = MappingProxyType({
    # litter: 一类 果皮<4 纸屑<4 烟蒂<4 (local norm, per item); here the sum of the three kinds per
    # 1000 ㎡ is held below 12 / 19 for 一/二级. stain: 一类 no 污水 (0), 二类 <0.5 ㎡ (local norm).
    # 三级, sensory, cleanliness and dust are district defaults (the national values were not found).
    GRADE_1: QualityLimits(12, 0.0, 90, 95, 10.0, LOCAL + "；感观、清洁度、尘负荷：" + DEFAULT),
    GRADE_2: QualityLimits(19, 0.5, 80, 90, 15.0, LOCAL + "；感观、清洁度、尘负荷：" + DEFAULT),
    GRADE_3: QualityLimits(30, 1.0, 70, 85, 25.0, DEFAULT),
})


@dataclass(frozen=True)
class Measurement:
    sensory: float
    litter: float
    stain: float
    cleanliness: float
    dust: float | None = None


@dataclass(frozen=True)
class Verdict:
    grade: int | None  # the highest grade met, None: below 三级
    meets_required: bool  # met the segment's own grade (or better)
    failures: tuple[str, ...]  # indicator codes missing the required grade's limits


_EPS: Final = 1e-9


def grade_for_road_class(road_class: str) -> int:
    try:
        return ROAD_CLASS_GRADE[road_class]
    except KeyError:
        raise ValueError(f"未知的道路等级：{road_class}") from None


def _failures(m: Measurement, lim: QualityLimits) -> tuple[str, ...]:
    out = []
    if m.sensory < lim.min_sensory - _EPS:
        out.append("sensory")
    if m.litter >= lim.max_litter - _EPS:
        out.append("litter")
    if m.stain > lim.max_stain + _EPS:
        out.append("stain")
    if m.cleanliness < lim.min_cleanliness - _EPS:
        out.append("cleanliness")
    if m.dust is not None and m.dust > lim.max_dust + _EPS:
        out.append("dust")
    return tuple(out)


def grade_inspection(m: Measurement, required: int, limits: Mapping[int, QualityLimits] = QUALITY_LIMITS) -> Verdict:
    """The highest grade whose limits ``m`` meets, and whether it meets the segment's ``required`` grade."""
    if required not in GRADES:
        raise ValueError(f"保洁等级应为 1、2 或 3，而不是 {required}")
    for value, name in ((m.sensory, "sensory"), (m.litter, "litter"), (m.stain, "stain"), (m.cleanliness, "cleanliness")):
        if value is None or value < 0:
            raise ValueError(f"{INDICATORS[name][0]}不能为负数或为空")
    if m.sensory > 100 or m.cleanliness > 100:
        raise ValueError("感观质量与清洁度不超过 100")
    reached = next((g for g in GRADES if not _failures(m, limits[g])), None)
    return Verdict(reached, reached is not None and reached <= required, _failures(m, limits[required]))
