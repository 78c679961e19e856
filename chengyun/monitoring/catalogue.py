"""HJ 212-2017 Table B.1 water factor codes: names and default units, for forms and pages."""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

_TABLE = Path(__file__).resolve().parent.parent / "standards" / "data" / "hj212_2017_tableB1_water_codes.tsv"

# Shorter display units than the standard's spelled-out Chinese ones.
_UNIT_SYMBOL = {"毫克/升": "mg/L", "微克/升": "μg/L", "升/秒": "L/s", "摄氏度": "℃", "无量纲": "", "个/升": "个/L",
                "微西[门子]/厘米": "μS/cm", "立方米": "m³"}


@lru_cache(maxsize=1)
def water_factors() -> dict[str, tuple[str, str]]:
    """code → (name, unit symbol)."""
    out: dict[str, tuple[str, str]] = {}
    for line in _TABLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        out[cells[0]] = (cells[1].strip(), _UNIT_SYMBOL.get(cells[3], cells[3]))
    return out


def factor_name(code: str) -> str:
    return water_factors().get(code, (code, ""))[0]


def default_unit(code: str) -> str:
    return water_factors().get(code, ("", ""))[1]


def code_for(key: str) -> str:
    """An HJ 212 code for a factor given as code or as GB 3838 key (COD → w01018); ValueError if neither."""
    if key in water_factors():
        return key
    from chengyun.standards import gb3838

    info = gb3838.FACTORS.get(key)
    if info is not None and info.codes:
        return info.codes[0]
    raise ValueError(key)


def codes_for(key: str) -> tuple[str, ...]:
    """The HJ 212 codes a factor filter means: a GB 3838 key (COD, Hg …) stands for all its codes
    (Hg → w20111, w20142); anything else is taken as a code."""
    from chengyun.standards import gb3838

    if key not in water_factors():
        info = gb3838.FACTORS.get(key)
        if info is not None and info.codes:
            return info.codes
    return (key,)


# Unit spellings accepted in a lab file's unit column besides the symbols above and the standard's
# Chinese names (both are accepted as they are): the micro sign, "u" for micro, and ng/L.
_UNIT_ALIASES = {"µg/l": "微克/升", "ug/l": "微克/升", "μg/l": "微克/升", "mg/l": "毫克/升", "ng/l": "纳克/升", "个/l": "个/升",
                 "°c": "摄氏度", "无": "无量纲"}


def _unit_name(text: str) -> str | None:
    """The standard's Chinese unit name for a unit as written (mg/L, μg/L, 微克/升 …); None if unknown."""
    text = text.strip()
    names = {symbol: name for name, symbol in _UNIT_SYMBOL.items() if symbol}
    if text in _UNIT_SYMBOL:
        return text
    if text in names:
        return names[text]
    return _UNIT_ALIASES.get(text.lower())


def convert_lab_value(factor: str, value: float, unit: str = "") -> tuple[str, float]:
    """A laboratory result as stored: (HJ 212 code, value in the code's default unit).

    ``factor`` is an HJ 212 code or a GB 3838 key. Without a unit a GB 3838 key's value is in GB
    3838's unit (mg/L; fecal coliform 个/L) and a code's in the code's default unit; ``unit`` says
    otherwise. The conversions are GB 3838's (``standards.gb3838``): Se, Hg, Cd, Cr6 and Pb map to
    codes kept in μg/L, so 0.0001 mg/L of mercury is stored as 0.1. ValueError (a Chinese
    message) for an unknown factor, an unknown unit, or one that cannot be converted."""
    from chengyun.standards import gb3838

    code = code_for(factor)  # ValueError: unknown factor
    target = default_unit(code)
    if factor in gb3838.FACTORS and factor not in water_factors():
        given = unit.strip() or gb3838.FACTORS[factor].unit
    else:
        given = unit.strip() or target
    if given == target:
        return code, value
    name = _unit_name(given)
    if name is None:
        raise ValueError(f"未知的单位 {given!r}（如 mg/L、μg/L、个/L）")
    synonym = gb3838.SYNONYMS.get(code)
    if synonym is not None:
        key, code_to_gb = synonym
        to_gb = gb3838._UNIT_TO_GB.get((name, gb3838.FACTORS[key].unit))  # the standard's conversion table
        if to_gb is not None:
            return code, float(Decimal(repr(float(value))) * to_gb / code_to_gb)
    if name == _unit_name(target):
        return code, value
    raise ValueError(f"单位 {given} 无法换算为 {code} 的单位 {target or '无量纲'}")
