"""CJJ 181-2012 城镇排水管道检测与评估技术规程 — condition assessment of one sewer segment (管段).

Pure Python, no Django. Scores, parameter tables and grade texts are read once, at import,
from ``data/cjj181_defects.tsv`` and ``data/cjj181_params.tsv``; ``assess`` only does dict
look-ups and arithmetic, so it is cheap enough to run over a whole network.

Which clauses are implemented, and every reading of the standard this module had to make,
is written down in ``docs/standards/cjj181.md``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

__all__ = ["DEFECT_TYPES", "Assessment", "Defect", "DefectType", "assess", "score"]

_DATA: Final = Path(__file__).parent / "data"

# Formula constants of §8.3/§8.4 (the params tsv states them only in prose).
ALPHA: Final = 1.1  # weight of defects whose clear spacing is >1.0 m and ≤1.5 m
N1_SPACING_M: Final = 1.5  # clear spacing above this puts a defect in n1
MERGE_SPACING_M: Final = 1.0  # at or below this, defects are superposed into one (§8.1)
MIN_DEFECT_LENGTH_M: Final = 1.0  # a defect no longer than 1 m counts as 1 m (§8.1)
SCORE_CAP: Final = 10.0  # superposed scores never exceed the largest single score
IMPORTANCE_MIN_F: Final = 4.0  # K and E are 0 while F < 4 (tables of §8.3)

# Grade limits are decimal numbers; binary floats can land 1 ulp on the wrong side of them.
_EPS: Final = 1e-9
# Spacings are rounded to the micrometre for the same reason (1.2 - 0.2 != 1.0 in floats).
_SPACING_DIGITS: Final = 6

Kind = Literal["structural", "functional"]


def _rows(name: str) -> list[list[str]]:
    with open(_DATA / name, encoding="utf-8") as fh:
        return [
            line.rstrip("\n").split("\t")
            for line in fh
            if line.strip() and not line.startswith("#")
        ]


# --------------------------------------------------------------------------- defect tables


@dataclass(frozen=True, slots=True)
class DefectType:
    """One row group of the defect tables: a code, its grades and their scores (分值)."""

    code: str
    name: str
    kind: Kind
    scores: Mapping[int, float]
    descriptions: Mapping[int, str]
    scored: bool  # False for FZ 浮渣: recorded in the inspection log, not used in evaluation


# FZ's own table note says "记入检测记录表, 不参与计算"; its scores in the tsv are 0 placeholders.
_UNSCORED_CODES: Final = frozenset({"FZ"})


def _load_defects() -> dict[str, DefectType]:
    grouped: dict[str, dict[str, Any]] = {}
    for kind, code, name, grade, value, description in _rows("cjj181_defects.tsv"):
        entry = grouped.setdefault(
            code,
            {"name": name, "kind": "structural" if kind == "S" else "functional",
             "scores": {}, "descriptions": {}},
        )
        entry["scores"][int(grade)] = float(value)
        entry["descriptions"][int(grade)] = description
    return {
        code: DefectType(
            code=code,
            name=e["name"],
            kind=e["kind"],
            scores=MappingProxyType(e["scores"]),
            descriptions=MappingProxyType(e["descriptions"]),
            scored=code not in _UNSCORED_CODES,
        )
        for code, e in grouped.items()
    }


DEFECT_TYPES: Final[Mapping[str, DefectType]] = MappingProxyType(_load_defects())

# Flat look-up for the hot path: (code, grade) -> (score, is_structural, is_scored).
_LOOKUP: Final[dict[tuple[str, int], tuple[float, bool, bool]]] = {
    (t.code, g): (p, t.kind == "structural", t.scored)
    for t in DEFECT_TYPES.values()
    for g, p in t.scores.items()
}


def score(code: str, grade: int) -> float:
    """Score (分值) of one defect; 0 for FZ, which the standard records but does not score."""
    return _resolve_defect(code, grade)[0]


def _resolve_defect(code: object, grade: object) -> tuple[float, bool, bool]:
    if isinstance(code, str) and type(grade) is int:
        hit = _LOOKUP.get((code, grade))
        if hit is not None:
            return hit
    # Slow path: tolerate " pl " and 2.0 / "2", then say exactly what is wrong.
    norm_code = code.strip().upper() if isinstance(code, str) else code
    dtype = DEFECT_TYPES.get(norm_code) if isinstance(norm_code, str) else None
    if dtype is None:
        raise ValueError(f"unknown CJJ 181 defect code {code!r}")
    norm_grade = _as_grade(grade)
    if norm_grade not in dtype.scores:
        valid = ", ".join(str(g) for g in sorted(dtype.scores))
        raise ValueError(
            f"defect {dtype.code} ({dtype.name}) has no grade {grade!r}; valid grades: {valid}"
        )
    return _LOOKUP[(dtype.code, norm_grade)]


def _as_grade(grade: object) -> int | None:
    if isinstance(grade, bool):
        return None
    if isinstance(grade, int):
        return grade
    if isinstance(grade, float) and grade.is_integer():
        return int(grade)
    if isinstance(grade, str) and grade.strip().isdigit():
        return int(grade.strip())
    return None


# --------------------------------------------------------------------------- parameter tables

_PARAMS: Final[dict[str, list[tuple[str, str]]]] = {}
for _row in _rows("cjj181_params.tsv"):
    _PARAMS.setdefault(_row[0], []).append((_row[1], _row[2]))

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _grade_table(table: str) -> tuple[tuple[float, str, str], ...]:
    """(upper limit, Ⅰ..Ⅳ label, text) rows; keys look like 'Ⅱ: 1<F≤3' or 'Ⅳ: F>6'."""
    out = []
    for key, text in _PARAMS[table]:
        label, _, condition = key.partition(":")
        upper = re.search(r"≤\s*(\d+(?:\.\d+)?)", condition)
        out.append((float(upper.group(1)) if upper else math.inf, label.strip(), text))
    return tuple(out)


_GRADE_F: Final = _grade_table("GRADE_F")
_GRADE_G: Final = _grade_table("GRADE_G")
_GRADE_RI: Final = _grade_table("GRADE_RI")
_GRADE_MI: Final = _grade_table("GRADE_MI")


def _grade(value: float, table: tuple[tuple[float, str, str], ...]) -> tuple[int, str, str]:
    for i, (upper, label, text) in enumerate(table, start=1):
        if value <= upper + _EPS:
            return i, label, text
    raise AssertionError("grade tables end with an open upper limit")


# Density table rows, in order: "<0.1" 局部, "0.1 ≤ .. ≤ 0.5" 部分或整体, ">0.5" 整体.
(_D_LOCAL_KEY, _D_LOCAL), (_, _D_PARTIAL), (_D_WHOLE_KEY, _D_WHOLE) = _PARAMS["DENSITY"]
_DENSITY_LOW: Final = float(_NUMBER.findall(_D_LOCAL_KEY)[-1])
_DENSITY_HIGH: Final = float(_NUMBER.findall(_D_WHOLE_KEY)[-1])


def _distribution(density: float, count: int) -> str | None:
    if count == 0:
        return None  # the density table only applies "当管段存在缺陷时"
    if density < _DENSITY_LOW - _EPS:
        return _D_LOCAL
    if density <= _DENSITY_HIGH + _EPS:
        return _D_PARTIAL
    return _D_WHOLE


# K 地区重要性参数: accept the row text, its area alone ("中心商业", "所有其他区域"), a short
# key or the value.
_AREA_KEYS: Final = ("commercial", "arterial", "other_road", "other")  # in table row order
_AREA: Final[dict[str, float]] = {}
for _key, (_text, _value) in zip(_AREA_KEYS, _PARAMS["K"], strict=True):
    _area = _text.split("或")[0].strip()
    _AREA[_key] = _AREA[_text] = _AREA[_area] = _AREA[_area.split("、")[0]] = float(_value)

# T 土质影响参数: each row lists several soils separated by "、"; the first row adds "或 F=0".
_SOIL_KEYS: Final = {
    "general": "一般土层",
    "loess_1": "Ⅰ级湿陷性黄土",
    "loess_2": "Ⅱ级湿陷性黄土",
    "loess_3": "Ⅲ级湿陷性黄土",
    "loess_4": "Ⅳ级湿陷性黄土",
    "weak_expansive": "弱膨胀土",
    "medium_expansive": "中膨胀土",
    "strong_expansive": "强膨胀土",
    "mucky_soil": "淤泥质土",
    "red_clay": "红黏土",
    "silty_sand": "粉砂层",
    "muck": "淤泥",
}
_SOIL: Final[dict[str, float]] = {}
for _text, _value in _PARAMS["T"]:
    _SOIL[_text] = float(_value)
    for _soil in _text.split("或")[0].split("、"):
        _SOIL[_soil.strip()] = float(_value)
for _key, _soil in _SOIL_KEYS.items():
    _SOIL[_key] = _SOIL[_soil]  # KeyError here means the tsv and this module disagree
del _row, _key, _text, _value, _area, _soil

# E 管道重要性参数: four diameter bands, largest first; the limits are in the key text.
_E_ROWS: Final = _PARAMS["E"]
if [_NUMBER.findall(k) for k, _ in _E_ROWS] != [["1500"], ["1000", "1500"], ["600", "1000"],
                                               ["600", "4"]]:
    raise RuntimeError(f"cjj181_params.tsv E rows are not the expected bands: {_E_ROWS}")
_E_OVER_1500, _E_1000_1500, _E_600_1000, _E_UNDER_600 = (float(v) for _, v in _E_ROWS)


def _table_factor(given: str | int | float | None, table: Mapping[str, float], keys: Mapping[str, str], default: str,
                  what: str, symbol: str, spelling: Callable[[str], str] = str.strip) -> float:
    """A factor given by name (a key or the standard's wording, as `spelling` normalises it) or as
    one of the table's own values; None is the `default` row."""
    if given is None:
        return table[default]
    if isinstance(given, str):
        value = table.get(spelling(given))
        if value is None:
            raise ValueError(f"unknown CJJ 181 {what} {given!r}; use e.g. {list(keys)}")
        return value
    values = frozenset(table.values())
    if not isinstance(given, bool) and float(given) in values:
        return float(given)
    raise ValueError(f"{symbol} must be one of {sorted(values)}, got {given!r}")


def _area_value(area: str | int | float | None) -> float:
    return _table_factor(area, _AREA, _AREA_KEYS, "other", "area (地区)", "area importance K")


def _soil_value(soil: str | int | float | None) -> float:
    # 粘 is the common pre-standard spelling of 黏 (红粘土 = 红黏土).
    return _table_factor(soil, _SOIL, _SOIL_KEYS, "general", "soil (土质)", "soil factor T",
                         spelling=lambda text: text.strip().replace("粘", "黏"))


def _diameter_value(diameter_mm: float | None) -> float:
    if diameter_mm is None:
        return _E_UNDER_600
    d = float(diameter_mm)
    if not 0.0 < d < math.inf:
        raise ValueError(f"pipe diameter_mm must be a positive number, got {diameter_mm!r}")
    if d > 1500:
        return _E_OVER_1500
    if d > 1000:
        return _E_1000_1500
    if d >= 600:
        return _E_600_1000
    return _E_UNDER_600


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True, slots=True)
class Defect:
    """One observed defect. ``position_m`` is where it starts, measured from the segment start;
    ``length_m`` is its extent along the pipe (0 for a point defect)."""

    code: str
    grade: int
    position_m: float
    length_m: float = 0.0


@dataclass(frozen=True)
class Assessment:
    """Result for one segment. Symbols (S, Smax, F, SM, ...) are the standard's own."""

    length_m: float
    # 结构性状况 (§8.3)
    S: float
    Smax: float
    F: float
    SM: float
    structural_count: int  # n after superposing defects ≤1 m apart
    structural_n1: int
    structural_n2: int
    structural_grade: int
    structural_grade_label: str
    structural_grade_description: str
    structural_distribution: str | None
    # 功能性状况 (§8.4)
    Y: float
    Ymax: float
    G: float
    YM: float
    functional_count: int
    functional_n1: int
    functional_n2: int
    functional_grade: int
    functional_grade_label: str
    functional_grade_description: str
    functional_distribution: str | None
    unscored_count: int  # FZ 浮渣 records: kept for the log, not part of any figure
    # 修复指数 / 养护指数
    K: float
    E: float
    T: float
    RI: float
    repair_grade: int
    repair_grade_label: str
    repair_advice: str
    MI: float
    maintenance_grade: int
    maintenance_grade_label: str
    maintenance_advice: str

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _ASSESSMENT_FIELDS}

    @classmethod
    def _build(cls, values: dict[str, Any]) -> Assessment:
        # The frozen __init__ pays one object.__setattr__ per field (~38 of them), a third of
        # assess()'s time; filling __dict__ directly gives the same immutable object.
        obj = object.__new__(cls)
        obj.__dict__.update(values)
        return obj


_ASSESSMENT_FIELDS: Final = tuple(f.name for f in fields(Assessment))


def _evaluate(
    items: list[tuple[float, float, float]], pipe_length: float
) -> tuple[float, float, float, float, int, int, int]:
    """(mean, max, parameter, density, n, n1, n2) for one defect family.

    ``items`` are (start, end, score); it is sorted in place.
    """
    if not items:
        return 0.0, 0.0, 0.0, 0.0, 0, 0, 0
    if len(items) == 1:  # the common case; same result as the general path below
        start, end, p = items[0]
        return p, p, p, max(end - start, MIN_DEFECT_LENGTH_M) / pipe_length, 1, 1, 0
    items.sort()
    starts: list[float] = []
    ends: list[float] = []
    scores: list[float] = []
    cur_start, cur_end, cur_score = items[0]
    for start, end, p in items[1:]:
        # Chained, not windowed: n = n1 + n2 needs every counted defect to end up >1 m from
        # its neighbours, which only holds if ≤1 m neighbours are absorbed transitively.
        if round(start - cur_end, _SPACING_DIGITS) <= MERGE_SPACING_M:
            if end > cur_end:
                cur_end = end
            cur_score += p
        else:
            starts.append(cur_start)
            ends.append(cur_end)
            scores.append(min(cur_score, SCORE_CAP))
            cur_start, cur_end, cur_score = start, end, p
    starts.append(cur_start)
    ends.append(cur_end)
    scores.append(min(cur_score, SCORE_CAP))

    n = len(scores)
    p1 = p2 = pl1 = pl2 = 0.0
    n1 = 0
    for i in range(n):
        before = starts[i] - ends[i - 1] if i else math.inf
        after = starts[i + 1] - ends[i] if i + 1 < n else math.inf
        length = max(ends[i] - starts[i], MIN_DEFECT_LENGTH_M)
        p = scores[i]
        if round(min(before, after), _SPACING_DIGITS) > N1_SPACING_M:
            n1 += 1
            p1 += p
            pl1 += p * length
        else:
            p2 += p
            pl2 += p * length
    mean = (p1 + ALPHA * p2) / n
    peak = max(scores)
    parameter = peak if peak >= mean else mean
    density = (pl1 + ALPHA * pl2) / (mean * pipe_length)
    return mean, peak, parameter, density, n, n1, n - n1


def assess(
    length_m: float,
    defects: Iterable[Defect | Mapping[str, Any]],
    *,
    diameter_mm: float | None = None,
    area: str | int | None = None,
    soil: str | int | None = None,
) -> Assessment:
    """Assess one segment of ``length_m`` metres from its CCTV defect records.

    ``defects`` are ``Defect`` objects or mappings with ``code``, ``grade``, ``position_m``
    and optionally ``length_m``. ``area`` and ``soil`` take the table's Chinese text, a short
    key ("commercial", "arterial", "other_road", "other"; "general", "loess_3", "muck", ...)
    or the K / T value itself; ``None`` means the 0-valued row. Raises ``ValueError`` for an
    unknown code, a grade the code does not have, or a non-positive pipe length.
    """
    pipe_length = float(length_m)
    if not 0.0 < pipe_length < math.inf:
        raise ValueError(f"pipe length_m must be a positive number, got {length_m!r}")

    structural: list[tuple[float, float, float]] = []
    functional: list[tuple[float, float, float]] = []
    unscored = 0
    for d in defects:
        if isinstance(d, Defect):
            code, grade, pos, ext = d.code, d.grade, d.position_m, d.length_m
        elif isinstance(d, Mapping):
            try:
                code, grade, pos = d["code"], d["grade"], d["position_m"]
            except KeyError as exc:
                raise ValueError(f"defect {dict(d)!r} has no {exc.args[0]!r}") from None
            ext = d.get("length_m") or 0.0
        else:
            raise TypeError(f"a defect must be a Defect or a mapping, got {type(d).__name__}")
        p, is_structural, is_scored = _resolve_defect(code, grade)
        try:
            start = float(pos)
            extent = float(ext)
        except (TypeError, ValueError):
            start = extent = math.nan
        if not (0.0 <= start < math.inf and 0.0 <= extent < math.inf):
            raise ValueError(
                f"defect {code} position_m/length_m must be non-negative numbers, "
                f"got {pos!r}/{ext!r}"
            )
        if not is_scored:
            unscored += 1
        elif is_structural:
            structural.append((start, start + extent, p))
        else:
            functional.append((start, start + extent, p))

    s, smax, f, sm, ns, ns1, ns2 = _evaluate(structural, pipe_length)
    y, ymax, g, ym, nf, nf1, nf2 = _evaluate(functional, pipe_length)

    important = f >= IMPORTANCE_MIN_F - _EPS
    k = _area_value(area)
    e = _diameter_value(diameter_mm)
    t = _soil_value(soil)
    k = k if important else 0.0
    e = e if important else 0.0
    t = t if f > 0.0 else 0.0
    ri = 0.7 * f + 0.1 * k + 0.05 * e + 0.15 * t
    mi = 0.8 * g + 0.15 * k + 0.05 * e

    f_grade = _grade(f, _GRADE_F)
    g_grade = _grade(g, _GRADE_G)
    ri_grade = _grade(ri, _GRADE_RI)
    mi_grade = _grade(mi, _GRADE_MI)
    return Assessment._build(dict(
        length_m=pipe_length,
        S=s, Smax=smax, F=f, SM=sm,
        structural_count=ns, structural_n1=ns1, structural_n2=ns2,
        structural_grade=f_grade[0],
        structural_grade_label=f_grade[1],
        structural_grade_description=f_grade[2],
        structural_distribution=_distribution(sm, ns),
        Y=y, Ymax=ymax, G=g, YM=ym,
        functional_count=nf, functional_n1=nf1, functional_n2=nf2,
        functional_grade=g_grade[0],
        functional_grade_label=g_grade[1],
        functional_grade_description=g_grade[2],
        functional_distribution=_distribution(ym, nf),
        unscored_count=unscored,
        K=k, E=e, T=t,
        RI=ri,
        repair_grade=ri_grade[0],
        repair_grade_label=ri_grade[1],
        repair_advice=ri_grade[2],
        MI=mi,
        maintenance_grade=mi_grade[0],
        maintenance_grade_label=mi_grade[1],
        maintenance_advice=mi_grade[2],
    ))
