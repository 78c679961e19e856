"""HJ 212-2017 Table B.1 water factor codes: names and default units, for forms and pages."""
from __future__ import annotations

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
