"""GB 3838-2002 surface-water quality classification (Table 1 basic items).

The limits are not written here: they are read from
``data/gb3838_2002_table1.tsv`` and HJ 212-2017 factor codes/units from
``data/hj212_2017_tableB1_water_codes.tsv`` so that the reviewed reference
tables stay the single source of truth.  See ``docs/standards/gb3838.md`` for
every interpretation made.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from numbers import Real
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, Mapping

__all__ = [
    "Classification",
    "FACTORS",
    "FactorInfo",
    "LABELS",
    "LIMITS",
    "Limit",
    "QUALITY",
    "SYNONYMS",
    "WATER_BODIES",
    "canonical_key",
    "classify",
    "to_standard_unit",
]

_DATA = Path(__file__).parent / "data"

WATER_BODIES = ("river", "lake")
LABELS = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ", 5: "Ⅴ", 6: "劣Ⅴ"}
#: Wording of 《地表水环境质量评价办法（试行）》(2011) Table 1.
QUALITY = {1: "优", 2: "优", 3: "良好", 4: "轻度污染", 5: "中度污染", 6: "重度污染"}
_WORSE_THAN_V = 6
_CLASS_III = 3

# The TSV names items in Chinese; the API speaks short ASCII keys.  A row the
# map does not know fails the import, so a changed table cannot be half-read.
_ROW_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "水温": ("temperature", WATER_BODIES),
    "pH值": ("pH", WATER_BODIES),
    "溶解氧": ("DO", WATER_BODIES),
    "高锰酸盐指数": ("CODMn", WATER_BODIES),
    "化学需氧量(COD)": ("COD", WATER_BODIES),
    "五日生化需氧量(BOD5)": ("BOD5", WATER_BODIES),
    "氨氮(NH3-N)": ("NH3N", WATER_BODIES),
    "总磷(以P计)_河流": ("TP", ("river",)),
    "总磷(以P计)_湖、库": ("TP", ("lake",)),
    "总氮(湖、库,以N计)": ("TN", ("lake",)),
    "铜": ("Cu", WATER_BODIES),
    "锌": ("Zn", WATER_BODIES),
    "氟化物(以F-计)": ("F", WATER_BODIES),
    "硒": ("Se", WATER_BODIES),
    "砷": ("As", WATER_BODIES),
    "汞": ("Hg", WATER_BODIES),
    "镉": ("Cd", WATER_BODIES),
    "铬(六价)": ("Cr6", WATER_BODIES),
    "铅": ("Pb", WATER_BODIES),
    "氰化物": ("CN", WATER_BODIES),
    "挥发酚": ("phenol", WATER_BODIES),
    "石油类": ("oil", WATER_BODIES),
    "阴离子表面活性剂": ("LAS", WATER_BODIES),
    "硫化物": ("sulfide", WATER_BODIES),
    "粪大肠菌群": ("fecal_coliform", WATER_BODIES),
}

# HJ 212 default units → multiplier into the GB 3838 unit of the same factor.
_UNIT_TO_GB: dict[tuple[str, str], Decimal] = {
    ("毫克/升", "mg/L"): Decimal(1),
    ("微克/升", "mg/L"): Decimal("0.001"),
    ("纳克/升", "mg/L"): Decimal("0.000001"),
    ("个/升", "个/L"): Decimal(1),
    ("无量纲", "无量纲"): Decimal(1),
    ("摄氏度", "℃"): Decimal(1),
}

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


@dataclass(frozen=True)
class Limit:
    """Limits of one factor for one water body, classes Ⅰ..Ⅴ.

    ``bounds[i]`` is the closed interval a value must lie in to meet class
    ``i + 1``; this one shape covers "≤", "≥" and pH's "6~9" alike, so the
    classifier has a single rule and no per-direction branches.
    """

    key: str
    cmp: Literal["le", "ge", "range"]
    bounds: tuple[tuple[float, float], ...]

    def threshold(self, water_class: int) -> float:
        """The number printed in Table 1 for ``water_class`` (le/ge items)."""
        low, high = self.bounds[water_class - 1]
        if self.cmp == "le":
            return high
        if self.cmp == "ge":
            return low
        raise ValueError(f"{self.key}: a range item has no single threshold")

    def meets(self, value: float, water_class: int) -> bool:
        low, high = self.bounds[water_class - 1]
        return low <= value <= high

    def classify(self, value: float) -> int:
        for water_class in range(1, 6):
            if self.meets(value, water_class):
                return water_class
        return _WORSE_THAN_V


@dataclass(frozen=True)
class FactorInfo:
    key: str
    name: str
    unit: str
    #: HJ 212-2017 Table B.1 codes accepted as synonyms of ``key``.
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Classification:
    water_body: str
    water_class: int
    label: str
    quality: str
    limiting: tuple[str, ...]
    exceedance: Mapping[str, float]
    factor_classes: Mapping[str, int]
    #: Factors given but deliberately not classified (water temperature; TN in a river).
    ignored: tuple[str, ...] = ()
    values: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "water_body": self.water_body,
            "water_class": self.water_class,
            "label": self.label,
            "quality": self.quality,
            "limiting": list(self.limiting),
            "exceedance": dict(self.exceedance),
            "factor_classes": dict(self.factor_classes),
            "ignored": list(self.ignored),
            "values": dict(self.values),
        }


def _parse_bounds(cmp: str, cell: str) -> tuple[float, float]:
    if cmp == "range":
        low, _, high = cell.partition("~")
        return (float(low), float(high))
    if cmp == "le":
        return (-math.inf, float(cell))
    if cmp == "ge":
        return (float(cell), math.inf)
    raise ValueError(f"unknown comparison {cmp!r} in GB 3838 table")


def _load_hj212_units() -> dict[str, str]:
    units: dict[str, str] = {}
    text = (_DATA / "hj212_2017_tableB1_water_codes.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        units[cells[0]] = cells[3]
    return units


def _load() -> tuple[
    dict[str, dict[str, Limit]], dict[str, FactorInfo], dict[str, tuple[str, Decimal]]
]:
    hj_units = _load_hj212_units()
    limits: dict[str, dict[str, Limit]] = {body: {} for body in WATER_BODIES}
    factors: dict[str, FactorInfo] = {}
    synonyms: dict[str, tuple[str, Decimal]] = {}
    text = (_DATA / "gb3838_2002_table1.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        item, code_cell, unit, cmp, *cells = line.split("\t")
        if item not in _ROW_KEYS:
            raise ValueError(f"GB 3838 table row {item!r} is not mapped to a key")
        key, bodies = _ROW_KEYS[item]
        codes = tuple(dict.fromkeys(re.findall(r"w[0-9]{5}", code_cell)))
        for code in codes:
            if code not in hj_units:
                raise ValueError(f"{key}: HJ 212 code {code} missing from Table B.1 data")
            conversion = _UNIT_TO_GB.get((hj_units[code], unit))
            if conversion is None:
                raise ValueError(f"{key}: no conversion {hj_units[code]} → {unit} for {code}")
            synonyms[code] = (key, conversion)
        if key not in factors:
            name = item.split("_")[0]
            factors[key] = FactorInfo(key=key, name=name, unit=unit, codes=codes)
        if cmp == "-":  # water temperature: accepted, never classified
            continue
        bounds = tuple(_parse_bounds(cmp, c) for c in cells[:5])
        for body in bodies:
            limits[body][key] = Limit(key=key, cmp=cmp, bounds=bounds)  # type: ignore[arg-type]
    return limits, factors, synonyms


_limits, _factors, _synonyms = _load()

#: ``LIMITS[water_body][key]``.  TN appears only under "lake".
LIMITS: Mapping[str, Mapping[str, Limit]] = MappingProxyType(
    {body: MappingProxyType(table) for body, table in _limits.items()}
)
FACTORS: Mapping[str, FactorInfo] = MappingProxyType(_factors)
#: HJ 212 code → (canonical key, multiplier from the code's default unit).
SYNONYMS: Mapping[str, tuple[str, Decimal]] = MappingProxyType(_synonyms)
_ORDER = {key: i for i, key in enumerate(FACTORS)}


def canonical_key(key: str) -> str:
    """Map a GB 3838 key or HJ 212 code to the GB 3838 key."""
    if key in FACTORS:
        return key
    if key in SYNONYMS:
        return SYNONYMS[key][0]
    raise ValueError(f"unknown water-quality factor {key!r}")


def _decimal(key: str, value: object) -> Decimal:
    # Decimal keeps 0.1 µg/L → 0.0001 mg/L exact; in binary floating point it
    # lands a hair above the class Ⅲ mercury limit and would misclassify.
    if isinstance(value, bool):
        raise ValueError(f"{key}: value {value!r} is not a number")
    if isinstance(value, str):
        text = value.strip()
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"{key}: value {value!r} is not a number")
        return Decimal(text)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, Real):
        if not math.isfinite(float(value)):
            raise ValueError(f"{key}: value {value!r} is not a finite number")
        number = Decimal(int(value)) if isinstance(value, int) else Decimal(repr(float(value)))
    else:
        raise ValueError(f"{key}: value {value!r} is not a number")
    if not number.is_finite():
        raise ValueError(f"{key}: value {value!r} is not a finite number")
    return number


def _standard_decimal(key: str, value: object) -> tuple[str, Decimal]:
    canonical = canonical_key(key)
    multiplier = SYNONYMS[key][1] if key in SYNONYMS else Decimal(1)
    converted = _decimal(key, value) * multiplier
    if not math.isfinite(float(converted)):
        raise ValueError(f"{key}: value {value!r} is out of range")
    if canonical not in ("pH", "temperature") and converted < 0:
        raise ValueError(f"{key}: a concentration cannot be negative ({value!r})")
    return canonical, converted


def to_standard_unit(key: str, value: object) -> float:
    """Value of ``key`` in the GB 3838 unit (HJ 212 codes carry their own default unit)."""
    return float(_standard_decimal(key, value)[1])


def _exceedance(limit: Limit, value: Decimal) -> float:
    standard = Decimal(repr(limit.threshold(_CLASS_III)))
    return float((value - standard) / standard)


def classify(values: Mapping[str, object], water_body: str = "river") -> Classification:
    """Classify one sample; the worst factor sets the class (GB 3838-2002 §4)."""
    if water_body not in WATER_BODIES:
        raise ValueError(f"water_body must be one of {WATER_BODIES}, not {water_body!r}")
    table = LIMITS[water_body]
    standard: dict[str, Decimal] = {}
    given_as: dict[str, str] = {}
    for key, value in values.items():
        canonical, number = _standard_decimal(key, value)
        if canonical in standard:
            raise ValueError(f"{key}: factor {canonical} given twice (as {given_as[canonical]!r} and {key!r})")
        standard[canonical] = number
        given_as[canonical] = key

    ordered = sorted(standard, key=_ORDER.__getitem__)
    ignored = tuple(k for k in ordered if k not in table)
    factor_classes = {k: table[k].classify(float(standard[k])) for k in ordered if k in table}
    if not factor_classes:
        raise ValueError(f"no classifiable factor among {sorted(values)} for a {water_body}")

    exceedance = {
        k: _exceedance(table[k], standard[k])
        for k, c in factor_classes.items()
        if c > _CLASS_III and table[k].cmp == "le"
    }
    worst = max(factor_classes.values())
    limiting = tuple(
        sorted(
            (k for k, c in factor_classes.items() if c == worst),
            key=lambda k: (-exceedance.get(k, -math.inf), _ORDER[k]),
        )
    )
    return Classification(
        water_body=water_body,
        water_class=worst,
        label=LABELS[worst],
        quality=QUALITY[worst],
        limiting=limiting,
        exceedance=exceedance,
        factor_classes=factor_classes,
        ignored=ignored,
        values={k: float(standard[k]) for k in ordered},
    )
