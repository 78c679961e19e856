"""GB 3096-2008 声环境质量标准: the environmental noise limits of Table 1 per 声环境功能区 class.

Classes: 0 康复疗养区; 1 居住、医疗卫生、文化教育、科研设计、行政办公为主; 2 商业金融、集市贸易为主
或居住、商业、工业混杂; 3 工业生产、仓储物流为主; 4a 高速公路、一级二级城市主干路、城市快速路、
城市次干路、城市轨道交通地面段、内河航道两侧; 4b 铁路干线两侧. Values are LAeq in dB(A).

Day (昼间) is 06:00–22:00 and night (夜间) 22:00–06:00 (the standard's 3.1/3.2, also the 噪声污染防治法);
a county-level government may shift the hours, so ``is_daytime`` takes them as arguments.
At night a sudden noise's Lmax may exceed the night limit by at most 15 dB(A) (5.4).
GB 22337-2008 (社会生活环境噪声排放标准) uses the same classes for a business's boundary noise.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class NoiseLimit:
    noise_class: str
    day_db: int
    night_db: int
    label: str


# Table 1, 环境噪声限值 (dB(A)).
TABLE_1: dict[str, NoiseLimit] = {
    "0": NoiseLimit("0", 50, 40, "0类（康复疗养区）"),
    "1": NoiseLimit("1", 55, 45, "1类（居住、文教、行政办公为主）"),
    "2": NoiseLimit("2", 60, 50, "2类（商业金融、集市贸易为主或混杂区）"),
    "3": NoiseLimit("3", 65, 55, "3类（工业生产、仓储物流为主）"),
    "4a": NoiseLimit("4a", 70, 55, "4a类（道路交通干线两侧）"),
    "4b": NoiseLimit("4b", 70, 60, "4b类（铁路干线两侧）"),
}
CLASSES = tuple(TABLE_1)

DAY_START = dt.time(6, 0)
NIGHT_START = dt.time(22, 0)
SUDDEN_NIGHT_MARGIN_DB = 15  # 5.4: night-time sudden noise, Lmax above the limit


def limit(noise_class: str) -> NoiseLimit:
    try:
        return TABLE_1[noise_class]
    except KeyError:
        raise ValueError(f"声环境功能区类别 {noise_class!r} 无效（可用：{'、'.join(CLASSES)}）") from None


def is_daytime(t: dt.time, *, day_start: dt.time = DAY_START, night_start: dt.time = NIGHT_START) -> bool:
    """06:00 belongs to the day and 22:00 to the night (each period includes its start)."""
    return day_start <= t < night_start


def limit_at(noise_class: str, t: dt.time, **hours: dt.time) -> int:
    """The LAeq limit for the class at time of day ``t``."""
    row = limit(noise_class)
    return row.day_db if is_daytime(t, **hours) else row.night_db


def sudden_night_max(noise_class: str) -> int:
    """The highest Lmax a sudden noise may reach at night (night limit + 15 dB(A))."""
    return limit(noise_class).night_db + SUDDEN_NIGHT_MARGIN_DB


def exceeds(noise_class: str, t: dt.time, laeq_db: float) -> bool:
    return laeq_db > limit_at(noise_class, t)
