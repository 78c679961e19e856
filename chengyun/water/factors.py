"""What a factor is called and in which unit it is judged: GB 3838 keys and names, HJ 212 codes.

Below the models (``Aggregate.limiting_names`` names its limiting factors with it) and the
evaluation; it reads only the standards and monitoring's HJ 212 catalogue.
"""
from __future__ import annotations

import functools

from chengyun.standards import gb3838

# The flow factor of HJ 212-2017 Table B.1 (污水, L/s).
FLOW = "w00000"
FACTOR_NAMES = {"flow": "流量"}


def factor_key(code: str) -> str:
    """The key a factor is aggregated under: the GB 3838 key if the standard knows it."""
    if code == FLOW:
        return "flow"
    try:
        return gb3838.canonical_key(code)
    except ValueError:
        return code


def factor_name(key: str) -> str:
    info = gb3838.FACTORS.get(key)
    if info:
        return info.name
    return FACTOR_NAMES.get(key) or _hj212_factors().get(key, (key, ""))[0]


def factor_unit(key: str) -> str:
    info = gb3838.FACTORS.get(key)
    if info:
        return info.unit
    return "L/s" if key == "flow" else _hj212_factors().get(key, ("", ""))[1]


@functools.lru_cache(maxsize=1)
def _hj212_factors() -> dict[str, tuple[str, str]]:
    """HJ 212 Table B.1 names and units, for factors GB 3838 does not list (conductivity, turbidity …)."""
    # Imported here: monitoring is an optional app (see WaterConfig.ready).
    from chengyun.monitoring import catalogue

    return catalogue.water_factors()


@functools.lru_cache(maxsize=512)
def _unit_multiplier(code: str) -> float:
    if code in gb3838.SYNONYMS:
        return float(gb3838.SYNONYMS[code][1])
    return 1.0


def standard_value(code: str, value: float) -> float:
    """The value in the GB 3838 unit (µg/L codes become mg/L); other factors unchanged.

    Rounded to 12 significant digits so that a conversion lands on a limit exactly (binary
    floating point would put e.g. 0.3 µg/L × 0.001 a hair above 0.0003 mg/L)."""
    multiplier = _unit_multiplier(code)
    return float(value) if multiplier == 1.0 else float(f"{float(value) * multiplier:.12g}")
