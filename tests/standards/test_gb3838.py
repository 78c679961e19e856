"""GB 3838-2002 classification tests.

Expected classes are derived from the table with a *different* formulation
from the module (first/last column holding a limit value), so a bug in the
module's interval logic cannot be mirrored by the test.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from chengyun.standards import gb3838
from chengyun.standards.gb3838 import (
    FACTORS,
    LIMITS,
    SYNONYMS,
    canonical_key,
    classify,
    to_standard_unit,
)

MONOTONE = [(body, key) for body in LIMITS for key, lim in LIMITS[body].items() if lim.cmp != "range"]


def _table_values(limit: gb3838.Limit) -> list[float]:
    return [limit.threshold(c) for c in range(1, 6)]


def _limit_cases() -> list[tuple[str, str, int]]:
    return [(body, key, c) for body, key in MONOTONE for c in range(1, 6)]


def _past(value: float, cmp: str) -> float:
    return math.nextafter(value, math.inf if cmp == "le" else -math.inf)


@pytest.mark.parametrize(("body", "key", "column"), _limit_cases())
def test_every_limit_at_and_just_past(body: str, key: str, column: int) -> None:
    limit = LIMITS[body][key]
    values = _table_values(limit)
    v = values[column - 1]
    first = values.index(v) + 1  # best class printing this value
    last = len(values) - values[::-1].index(v)  # worst class printing it
    assert classify({key: v}, body).factor_classes[key] == first
    past = _past(v, limit.cmp)
    assert classify({key: past}, body).factor_classes[key] == (last + 1 if last < 5 else 6)


@pytest.mark.parametrize(("body", "key", "column"), _limit_cases())
def test_every_limit_through_each_hj212_code(body: str, key: str, column: int) -> None:
    """Feeding the limit in the code's own unit must give the same class."""
    limit = LIMITS[body][key]
    values = _table_values(limit)
    v = values[column - 1]
    for code in FACTORS[key].codes:
        multiplier = SYNONYMS[code][1]
        in_code_unit = Decimal(repr(v)) / multiplier
        result = classify({code: str(in_code_unit)}, body)
        assert result.factor_classes[key] == values.index(v) + 1, code


def test_table_spot_values() -> None:
    """Literal values from GB 3838-2002 Table 1, guarding the TSV parser itself."""
    assert _table_values(LIMITS["river"]["COD"]) == [15, 15, 20, 30, 40]
    assert _table_values(LIMITS["river"]["DO"]) == [7.5, 6, 5, 3, 2]
    assert _table_values(LIMITS["river"]["TP"]) == [0.02, 0.1, 0.2, 0.3, 0.4]
    assert _table_values(LIMITS["lake"]["TP"]) == [0.01, 0.025, 0.05, 0.1, 0.2]
    assert _table_values(LIMITS["lake"]["TN"]) == [0.2, 0.5, 1.0, 1.5, 2.0]
    assert _table_values(LIMITS["lake"]["Hg"]) == [0.00005, 0.00005, 0.0001, 0.001, 0.001]
    assert _table_values(LIMITS["lake"]["fecal_coliform"]) == [200, 2000, 10000, 20000, 40000]
    assert LIMITS["river"]["pH"].bounds == ((6, 9),) * 5
    assert LIMITS["river"]["DO"].cmp == "ge"
    assert len(LIMITS["lake"]) == 23 and len(LIMITS["river"]) == 22
    assert set(FACTORS) == set(LIMITS["lake"]) | {"temperature"}


def test_shared_limit_better_class_wins() -> None:
    assert classify({"COD": 15}).water_class == 1
    assert classify({"COD": 15.1}).water_class == 3
    assert classify({"COD": 40}).water_class == 5
    assert classify({"COD": 40.01}).water_class == 6
    assert classify({"Cu": 1.0}).water_class == 2
    assert classify({"oil": 0.05}).water_class == 1
    assert classify({"oil": 0.06}).water_class == 4


@pytest.mark.parametrize(
    ("ph", "expected"),
    [(6, 1), (9, 1), (7.2, 1), (5.99, 6), (9.01, 6), ("6.0", 1), (0, 6), (14, 6)],
)
def test_ph_edges(ph: float, expected: int) -> None:
    result = classify({"pH": ph})
    assert result.water_class == expected
    assert "pH" not in result.exceedance


def test_do_higher_is_better() -> None:
    assert classify({"DO": 9}).water_class == 1
    assert classify({"DO": 7.5}).water_class == 1
    assert classify({"DO": 7.49}).water_class == 2
    assert classify({"DO": 5}).water_class == 3
    assert classify({"DO": 2}).water_class == 5
    assert classify({"DO": 1.99}).water_class == 6
    assert classify({"DO": 0.5}).exceedance == {}


def test_tp_river_versus_lake() -> None:
    assert classify({"TP": 0.1}, "river").water_class == 2
    assert classify({"TP": 0.1}, "lake").water_class == 4
    assert classify({"TP": 0.2}, "river").water_class == 3
    assert classify({"TP": 0.2}, "lake").water_class == 5
    assert classify({"TP": 0.25}, "lake").water_class == 6


def test_tn_only_for_lakes() -> None:
    river = classify({"TN": 5.0, "COD": 10})
    assert river.water_class == 1
    assert "TN" not in river.factor_classes and "TN" not in river.limiting
    assert river.ignored == ("TN",)
    lake = classify({"TN": 5.0, "COD": 10}, "lake")
    assert lake.water_class == 6 and lake.limiting == ("TN",)
    assert lake.exceedance == {"TN": 4.0}
    with pytest.raises(ValueError, match="no classifiable"):
        classify({"TN": 1.0}, "river")


def test_temperature_accepted_not_classified() -> None:
    result = classify({"w01010": 31.5, "COD": 10})
    assert result.water_class == 1
    assert result.ignored == ("temperature",)
    assert "temperature" not in result.factor_classes and "temperature" not in result.exceedance


def test_exceedance_multiples() -> None:
    result = classify({"COD": 30, "NH3N": 3.0, "DO": 1.0, "pH": 9.5, "TP": 0.3, "CODMn": 5})
    # (C - Cs)/Cs against class III: COD 20, NH3N 1.0, TP(river) 0.2
    assert result.exceedance == {"COD": 0.5, "NH3N": 2.0, "TP": 0.5}
    assert result.factor_classes == {"pH": 6, "DO": 6, "CODMn": 3, "COD": 4, "NH3N": 6, "TP": 4}
    assert result.water_class == 6 and result.label == "劣Ⅴ" and result.quality == "重度污染"
    # limiting: tied worst, largest exceedance first, then table order
    assert result.limiting == ("NH3N", "pH", "DO")


def test_exceedance_only_above_class_iii() -> None:
    assert classify({"COD": 20}).exceedance == {}
    assert classify({"Hg": 0.001}).exceedance == {"Hg": 9.0}
    assert classify({"fecal_coliform": 15000}).exceedance == {"fecal_coliform": 0.5}


@pytest.mark.parametrize(
    ("values", "label", "quality"),
    [
        ({"COD": 10}, "Ⅰ", "优"),
        ({"NH3N": 0.5}, "Ⅱ", "优"),
        ({"NH3N": 0.8}, "Ⅲ", "良好"),
        ({"NH3N": 1.2}, "Ⅳ", "轻度污染"),
        ({"NH3N": 1.8}, "Ⅴ", "中度污染"),
        ({"NH3N": 2.1}, "劣Ⅴ", "重度污染"),
    ],
)
def test_labels_and_quality(values: dict[str, float], label: str, quality: str) -> None:
    result = classify(values)
    assert (result.label, result.quality) == (label, quality)


def test_hj212_codes_verified_against_table_b1() -> None:
    expected = {
        "w01001": "pH", "w01009": "DO", "w01019": "CODMn", "w01018": "COD", "w01017": "BOD5",
        "w21003": "NH3N", "w21011": "TP", "w21001": "TN", "w20122": "Cu", "w20123": "Zn",
        "w21017": "F", "w20128": "Se", "w20141": "As", "w20119": "As", "w20111": "Hg",
        "w20115": "Cd", "w20117": "Cr6", "w20120": "Pb", "w21016": "CN", "w23002": "phenol",
        "w22001": "oil", "w19002": "LAS", "w21019": "sulfide", "w02003": "fecal_coliform",
        "w01010": "temperature",
    }
    for code, key in expected.items():
        assert canonical_key(code) == key, code
    assert canonical_key("COD") == "COD"


@pytest.mark.parametrize(
    ("key", "value", "mg_per_l"),
    [
        ("w20111", 0.1, 0.0001),  # total mercury µg/L; 0.1*0.001 in binary float is 1.0000000000000002e-4
        ("w20115", 5, 0.005),
        ("w20120", "10", 0.01),
        ("w20117", 50, 0.05),
        ("w20119", 50, 0.05),
        ("w20128", 10, 0.01),
        ("w20144", 0.01, 0.01),  # 铅 code whose default unit is already mg/L
        ("w01018", 12.5, 12.5),
        ("COD", 12.5, 12.5),
        ("w02003", 2000, 2000),
    ],
)
def test_unit_conversion(key: str, value: object, mg_per_l: float) -> None:
    assert to_standard_unit(key, value) == mg_per_l


def test_mercury_in_microgram_is_exact_at_limit() -> None:
    result = classify({"w20111": 0.1})
    assert result.factor_classes == {"Hg": 3}
    assert result.values == {"Hg": 0.0001}


def test_synonym_and_canonical_mix() -> None:
    result = classify({"w01018": 25, "NH3N": 0.4, "w21011": 0.1})
    assert result.factor_classes == {"COD": 4, "NH3N": 2, "TP": 2}


@pytest.mark.parametrize("bad", ["abc", "", "nan", "NaN", float("nan"), float("inf"), "1_0", None, True, [1], "inf"])
def test_non_numeric_values_name_the_key(bad: object) -> None:
    with pytest.raises(ValueError, match="COD"):
        classify({"COD": bad})


def test_other_numeric_types_accepted() -> None:
    assert classify({"COD": Decimal("15")}).water_class == 1
    assert classify({"COD": Fraction(31, 2)}).water_class == 3
    assert classify({"COD": " 15 "}).water_class == 1
    assert classify({"COD": "1.5e1"}).water_class == 1


def test_errors() -> None:
    with pytest.raises(ValueError, match="'chromium'"):
        classify({"chromium": 1})
    with pytest.raises(ValueError, match="w01018"):
        classify({"COD": 10, "w01018": 10})
    with pytest.raises(ValueError, match="w20111"):
        classify({"w20142": 0.01, "w20111": 0.01})
    with pytest.raises(ValueError, match="NH3N"):
        classify({"NH3N": -0.1})
    with pytest.raises(ValueError, match="water_body"):
        classify({"COD": 10}, "sea")
    with pytest.raises(ValueError, match="no classifiable"):
        classify({})
    with pytest.raises(ValueError, match="'x'"):
        canonical_key("x")
    with pytest.raises(ValueError, match="w20111"):
        to_standard_unit("w20111", "bad")


def test_to_dict_is_json_ready() -> None:
    result = classify({"COD": 30, "w21003": 0.3, "TN": 2.5}, "lake")
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert data["water_class"] == 6 and data["label"] == "劣Ⅴ"
    assert data["limiting"] == ["TN"]
    assert data["exceedance"] == {"COD": 0.5, "TN": 1.5}
    assert data["factor_classes"] == {"COD": 4, "NH3N": 2, "TN": 6}


def test_classification_is_frozen() -> None:
    result = classify({"COD": 10})
    with pytest.raises(AttributeError):
        result.water_class = 2  # type: ignore[misc]


def test_factor_metadata() -> None:
    assert FACTORS["COD"].unit == "mg/L"
    assert FACTORS["fecal_coliform"].unit == "个/L"
    assert FACTORS["Hg"].name == "汞"
    assert "w20111" in FACTORS["Hg"].codes


_concentration = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(st.sampled_from(MONOTONE), _concentration, _concentration)
def test_class_is_monotone_in_concentration(case: tuple[str, str], a: float, b: float) -> None:
    body, key = case
    low, high = sorted((a, b))
    c_low = classify({key: low}, body).water_class
    c_high = classify({key: high}, body).water_class
    if LIMITS[body][key].cmp == "le":
        assert c_low <= c_high
    else:  # DO: more oxygen is better
        assert c_low >= c_high


@given(
    st.dictionaries(
        st.sampled_from(sorted(LIMITS["lake"])),
        st.floats(min_value=0, max_value=100, allow_nan=False),
        min_size=1,
    ),
    st.sampled_from(gb3838.WATER_BODIES),
)
def test_overall_is_worst_factor(values: dict[str, float], body: str) -> None:
    if body == "river" and set(values) == {"TN"}:
        return
    result = classify(values, body)
    assert result.water_class == max(result.factor_classes.values())
    assert all(result.factor_classes[k] == result.water_class for k in result.limiting)
    assert set(result.exceedance) <= {k for k, c in result.factor_classes.items() if c > 3}
    assert not {"pH", "DO"} & set(result.exceedance)
