"""CJJ 181-2012 segment assessment. Expected figures are worked by hand in the comments."""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chengyun.standards import cjj181
from chengyun.standards.cjj181 import Defect, assess, score

DATA = Path(cjj181.__file__).parent / "data" / "cjj181_defects.tsv"


def _tsv_rows() -> list[tuple[str, str, int, float]]:
    # Read independently of the module so a loader bug cannot agree with itself.
    with open(DATA, encoding="utf-8", newline="") as fh:
        rows = csv.reader((line for line in fh if not line.startswith("#")), delimiter="\t")
        return [(kind, code, int(grade), float(value)) for kind, code, _, grade, value, _ in rows]


TSV = _tsv_rows()
STRUCTURAL = {"PL", "BX", "FS", "CK", "QF", "TJ", "TL", "AJ", "CR", "SL"}
FUNCTIONAL = {"CJ", "JG", "ZW", "CQ", "SG", "FZ"}


def d(code: str, grade: int, pos: float, length: float = 0.0) -> Defect:
    return Defect(code, grade, pos, length)


# --------------------------------------------------------------------------- scores


def test_tsv_covers_exactly_the_required_codes() -> None:
    assert {c for k, c, _, _ in TSV if k == "S"} == STRUCTURAL
    assert {c for k, c, _, _ in TSV if k == "F"} == FUNCTIONAL
    assert set(cjj181.DEFECT_TYPES) == STRUCTURAL | FUNCTIONAL


@pytest.mark.parametrize(("kind", "code", "grade", "expected"), TSV,
                         ids=[f"{c}{g}" for _, c, g, _ in TSV])
def test_every_defect_grade_score(kind: str, code: str, grade: int, expected: float) -> None:
    assert score(code, grade) == expected
    a = assess(10.0, [d(code, grade, 2.0)])
    if code == "FZ":
        assert (a.Ymax, a.functional_count, a.unscored_count) == (0.0, 0, 1)
    elif kind == "S":
        assert (a.Smax, a.S, a.F, a.Ymax) == (expected, expected, expected, 0.0)
    else:
        assert (a.Ymax, a.Y, a.G, a.Smax) == (expected, expected, expected, 0.0)


# --------------------------------------------------------------------------- S, Smax, F, SM


def test_no_defects() -> None:
    a = assess(30.0, [])
    assert (a.S, a.Smax, a.F, a.SM, a.structural_count) == (0.0, 0.0, 0.0, 0.0, 0)
    assert (a.structural_grade_label, a.structural_distribution) == ("Ⅰ", None)
    assert (a.RI, a.MI, a.repair_grade, a.maintenance_grade) == (0.0, 0.0, 1, 1)
    assert a.repair_advice == "结构条件基本完好，不修复"


def test_smax_above_s_takes_smax() -> None:
    # PL4=10 at 0 m, PL1=0.5 at 5 m; 5 m apart -> both n1.
    # S = (10 + 0.5) / 2 = 5.25 < Smax = 10 -> F = 10.
    # SM = (10*1 + 0.5*1) / (5.25 * 20) = 10.5 / 105 = 0.1 (point defects count 1 m).
    a = assess(20.0, [d("PL", 4, 0.0), d("PL", 1, 5.0)])
    assert (a.S, a.Smax, a.F) == (5.25, 10.0, 10.0)
    assert (a.structural_n1, a.structural_n2) == (2, 0)
    assert a.SM == pytest.approx(0.1)
    assert a.structural_distribution == "部分或整体缺陷"
    assert (a.structural_grade, a.structural_grade_label) == (4, "Ⅳ")


def test_close_spacing_alpha_makes_s_exceed_smax() -> None:
    # PL2=2 at 0 m and 1.2 m: clear distance 1.2 m (>1.0, ≤1.5) -> both n2.
    # S = 1.1 * (2 + 2) / 2 = 2.2 > Smax = 2 -> F = S = 2.2 (grade Ⅱ).
    # SM = 1.1 * (2*1 + 2*1) / (2.2 * 10) = 4.4 / 22 = 0.2.
    a = assess(10.0, [d("PL", 2, 0.0), d("PL", 2, 1.2)])
    assert (a.structural_n1, a.structural_n2) == (0, 2)
    assert a.S == pytest.approx(2.2)
    assert a.Smax == 2.0
    assert a.F == pytest.approx(2.2)
    assert a.SM == pytest.approx(0.2)
    assert a.structural_grade_label == "Ⅱ"


def test_mixed_n1_and_n2() -> None:
    # PL3=5 at 0, CK2=2 at 1.3 (clear 1.3 -> both n2), TJ1=1 at 10 (clear 8.7 -> n1).
    # S = (1 + 1.1*(5 + 2)) / 3 = 8.7 / 3 = 2.9; Smax = 5 -> F = 5.
    # SM = (1*1 + 1.1*(5*1 + 2*1)) / (2.9 * 20) = 8.7 / 58 = 0.15.
    a = assess(20.0, [d("TJ", 1, 10.0), d("PL", 3, 0.0), d("CK", 2, 1.3)])
    assert (a.structural_count, a.structural_n1, a.structural_n2) == (3, 1, 2)
    assert a.S == pytest.approx(2.9)
    assert (a.Smax, a.F) == (5.0, 5.0)
    assert a.SM == pytest.approx(0.15)


def test_spacing_boundary_1_5_m_is_n2() -> None:
    # clear distance exactly 1.5 m is "≤1.5" -> n2 -> S = 1.1*4/2 = 2.2;
    # 1.51 m -> n1 -> S = 2.
    assert assess(10.0, [d("PL", 2, 0.0), d("PL", 2, 1.5)]).S == pytest.approx(2.2)
    assert assess(10.0, [d("PL", 2, 0.0), d("PL", 2, 1.51)]).S == 2.0


def test_spacing_is_clear_distance_edge_to_edge() -> None:
    # A spans 0..2 m, B starts at 3.2 m: clear distance 1.2 m (not 3.2 or centre 2.2) -> n2.
    a = assess(10.0, [d("PL", 2, 0.0, 2.0), d("PL", 2, 3.2)])
    assert (a.structural_n1, a.structural_n2) == (0, 2)
    # Decimal spacings must not be spoiled by binary floats: 2.2 - 1.2 is 1.0000000000000002
    # and 2.2 - 0.7 is 1.5000000000000002, yet they are 1.0 m (merge) and 1.5 m (n2).
    assert 2.2 - 1.2 > 1.0 and 2.2 - 0.7 > 1.5
    assert assess(10.0, [d("PL", 2, 1.2), d("PL", 2, 2.2)]).structural_count == 1
    assert assess(10.0, [d("PL", 2, 0.7), d("PL", 2, 2.2)]).structural_n2 == 2


def test_defects_within_1_m_are_superposed() -> None:
    # PL3=5 at 0 and BX1=1 at 0.8 -> one defect scoring 5 + 1 = 6 (F exactly 6 -> Ⅲ).
    a = assess(10.0, [d("PL", 3, 0.0), d("BX", 1, 0.8)])
    assert (a.structural_count, a.S, a.Smax, a.F) == (1, 6.0, 6.0, 6.0)
    assert a.structural_grade_label == "Ⅲ"
    # Clear distance exactly 1.0 m still merges; just above 1.0 m is n2 (5, 1 -> S = 6.6/2).
    assert assess(10.0, [d("PL", 3, 0.0), d("BX", 1, 1.0)]).structural_count == 1
    c = assess(10.0, [d("PL", 3, 0.0), d("BX", 1, 1.01)])
    assert (c.structural_count, c.structural_n2) == (2, 2)
    assert c.S == pytest.approx(3.3)
    assert c.F == 5.0


def test_superposed_score_is_capped_at_10() -> None:
    # PL4=10 + CK4=10 at 0.5 m apart -> 20, capped at 10.
    a = assess(10.0, [d("PL", 4, 0.0), d("CK", 4, 0.5)])
    assert (a.structural_count, a.Smax, a.F) == (1, 10.0, 10.0)


def test_superposition_chains() -> None:
    # 0, 0.9, 1.8 m: each within 1 m of the next -> a single defect 0..1.8 m scoring 0.5*3.
    # Its length 1.8 m counts as is: SM = 1.5 * 1.8 / (1.5 * 18) = 0.1.
    a = assess(18.0, [d("FS", 1, 0.0), d("FS", 1, 0.9), d("FS", 1, 1.8)])
    assert a.structural_count == 1
    assert a.Smax == 1.5
    assert a.SM == pytest.approx(0.1)


def test_merged_extent_is_the_union() -> None:
    # 0..0 and 0.8..1.3 merge into 0..1.3 m (1.3 m > 1 m, used as is).
    # SM = 4 * 1.3 / (4 * 13) = 0.1.
    a = assess(13.0, [d("PL", 2, 0.0), d("PL", 2, 0.8, 0.5)])
    assert a.SM == pytest.approx(0.1)


def test_structural_and_functional_are_separate() -> None:
    # PL2 and CJ2 0.5 m apart are in different families: no superposition, no α.
    a = assess(10.0, [d("PL", 2, 0.0), d("CJ", 2, 0.5)])
    assert (a.S, a.structural_count, a.Y, a.functional_count) == (2.0, 1, 2.0, 1)


def test_short_defect_counts_as_1_m_long_one_as_measured() -> None:
    # PL2 of 0.4 m -> 1 m: SM = 2*1 / (2*10) = 0.1; of 3 m: SM = 2*3 / (2*10) = 0.3.
    assert assess(10.0, [d("PL", 2, 1.0, 0.4)]).SM == pytest.approx(0.1)
    assert assess(10.0, [d("PL", 2, 1.0, 3.0)]).SM == pytest.approx(0.3)


def test_functional_mirror_of_structural() -> None:
    # CJ2=2 at 0 and 1.2 -> Y = 1.1*4/2 = 2.2 = G; YM = 4.4 / (2.2*10) = 0.2.
    a = assess(10.0, [d("CJ", 2, 0.0), d("CJ", 2, 1.2)])
    assert a.Y == pytest.approx(2.2)
    assert (a.Ymax, a.functional_n2) == (2.0, 2)
    assert a.G == pytest.approx(2.2)
    assert a.YM == pytest.approx(0.2)
    assert a.functional_distribution == "部分或整体缺陷"


# --------------------------------------------------------------------------- density


@pytest.mark.parametrize(
    ("pipe_m", "expected"),
    [
        # one point defect: SM = P*1 / (P*L) = 1/L
        (10.5, "局部缺陷"),  # 0.095
        (10.0, "部分或整体缺陷"),  # exactly 0.1
        (2.0, "部分或整体缺陷"),  # exactly 0.5
        (1.9, "整体缺陷"),  # 0.526
    ],
)
def test_density_boundaries(pipe_m: float, expected: str) -> None:
    a = assess(pipe_m, [d("SL", 3, 0.5)])
    assert a.SM == pytest.approx(1 / pipe_m)
    assert a.structural_distribution == expected
    f = assess(pipe_m, [d("SG", 3, 0.5)])
    assert f.functional_distribution == expected


# --------------------------------------------------------------------------- grades


@pytest.mark.parametrize(
    ("defects", "f", "label"),
    [
        ([d("BX", 1, 0.0)], 1.0, "Ⅰ"),  # F exactly 1
        ([d("BX", 1, 0.0), d("BX", 1, 1.2)], 1.1, "Ⅱ"),  # 1.1*2/2
        ([d("TJ", 2, 0.0)], 3.0, "Ⅱ"),  # F exactly 3
        ([d("TJ", 2, 0.0), d("TJ", 2, 1.2)], 3.3, "Ⅲ"),  # 1.1*6/2
        ([d("FS", 3, 0.0), d("TJ", 1, 0.5)], 6.0, "Ⅲ"),  # 5+1 superposed, F exactly 6
        ([d("FS", 3, 0.0), d("TJ", 1, 0.5), d("FS", 3, 2.0), d("TJ", 1, 2.5)], 6.6, "Ⅳ"),
    ],
)
def test_structural_grade_boundaries(defects: list[Defect], f: float, label: str) -> None:
    a = assess(10.0, defects)
    assert a.F == pytest.approx(f)
    assert a.structural_grade_label == label
    assert a.structural_grade == "ⅠⅡⅢⅣ".index(label) + 1


@pytest.mark.parametrize(
    ("defects", "g", "label", "text"),
    [
        ([d("CQ", 1, 0.0)], 1.0, "Ⅰ", "无或有轻微影响，管道运行基本不受影响"),
        ([d("CQ", 2, 0.0)], 3.0, "Ⅱ", "管道过流有一定的受阻，运行受影响不大"),
        ([d("CJ", 3, 0.0), d("CQ", 1, 0.3)], 6.0, "Ⅲ", "管道过流受阻比较严重，运行受到明显影响"),
        ([d("ZW", 4, 0.0)], 10.0, "Ⅳ", "管道过流受阻很严重，即将或已经导致运行瘫痪"),
    ],
)
def test_functional_grade_boundaries(defects: list[Defect], g: float, label: str,
                                     text: str) -> None:
    a = assess(10.0, defects)
    assert a.G == g
    assert (a.functional_grade_label, a.functional_grade_description) == (label, text)


# --------------------------------------------------------------------------- RI / MI


def test_ri_mi_with_all_factors() -> None:
    # F = 10; K = 10 (commercial), E = 10 (D 2000 > 1500), T = 10 (粉砂层).
    # RI = 0.7*10 + 0.1*10 + 0.05*10 + 0.15*10 = 7 + 1 + 0.5 + 1.5 = 10 -> Ⅳ.
    # MI = 0.8*0 + 0.15*10 + 0.05*10 = 2.0 -> Ⅱ.
    a = assess(20.0, [d("PL", 4, 3.0)], diameter_mm=2000, area="commercial", soil="粉砂层")
    assert (a.K, a.E, a.T) == (10.0, 10.0, 10.0)
    assert a.RI == pytest.approx(10.0)
    assert (a.repair_grade_label, a.repair_advice) == ("Ⅳ", "结构已经发生或即将发生破坏，应立即修复")
    assert a.MI == pytest.approx(2.0)
    assert (a.maintenance_grade_label, a.maintenance_advice) == (
        "Ⅱ", "没有立即进行处理的必要，但宜安排处理计划")


def test_k_and_e_are_zero_while_f_below_4() -> None:
    # F = 3 (TJ2) < 4 -> K = E = 0; T still applies: RI = 0.7*3 + 0.15*10 = 3.6 -> Ⅱ.
    a = assess(20.0, [d("TJ", 2, 3.0)], diameter_mm=2000, area="commercial",
               soil="strong_expansive")
    assert (a.K, a.E, a.T) == (0.0, 0.0, 10.0)
    assert a.RI == pytest.approx(3.6)
    assert a.repair_grade_label == "Ⅱ"


def test_f_exactly_4_uses_k_and_e() -> None:
    # TJ2=3 + BX1=1 superposed -> F = 4; K = 6 (arterial), E = 6 (D 1200), T = 8 (Ⅲ级黄土).
    # RI = 2.8 + 0.6 + 0.3 + 1.2 = 4.9 -> Ⅲ; MI = 0 + 0.15*6 + 0.05*6 = 1.2 -> Ⅱ.
    a = assess(20.0, [d("TJ", 2, 3.0), d("BX", 1, 3.5)], diameter_mm=1200,
               area="arterial", soil="loess_3")
    assert a.F == 4.0
    assert (a.K, a.E, a.T) == (6.0, 6.0, 8.0)
    assert a.RI == pytest.approx(4.9)
    assert (a.repair_grade_label, a.repair_advice) == ("Ⅲ", "结构在短期内可能会发生破坏，应尽快修复")
    assert a.MI == pytest.approx(1.2)


def test_t_is_zero_when_f_is_zero() -> None:
    # Only a functional CJ4: F = 0 -> T = 0 and K = E = 0; RI = 0; MI = 0.8*10 = 8 -> Ⅳ.
    a = assess(20.0, [d("CJ", 4, 3.0)], diameter_mm=2000, area="commercial", soil="muck")
    assert (a.K, a.E, a.T, a.RI) == (0.0, 0.0, 0.0, 0.0)
    assert a.MI == pytest.approx(8.0)
    assert (a.maintenance_grade_label, a.maintenance_advice) == (
        "Ⅳ", "输水功能受到严重影响，应立即进行处理")


def test_ri_and_mi_grade_boundaries() -> None:
    # RI = 0.7*5 + 0.05*10 = 4.0 exactly -> Ⅱ; RI = 0.7*10 = 7.0 exactly -> Ⅲ.
    assert assess(10.0, [d("PL", 3, 0.0)], diameter_mm=1600).repair_grade_label == "Ⅱ"
    seven = assess(10.0, [d("PL", 4, 0.0)])
    assert seven.RI == pytest.approx(7.0)
    assert (seven.repair_grade_label, seven.repair_advice) == (
        "Ⅲ", "结构在短期内可能会发生破坏，应尽快修复")
    # MI = 0.8*5 = 4.0 exactly -> Ⅱ; MI = 0.8*1 = 0.8 -> Ⅰ.
    assert assess(10.0, [d("CJ", 3, 0.0)]).maintenance_grade_label == "Ⅱ"
    one = assess(10.0, [d("CQ", 1, 0.0)])
    assert (one.maintenance_grade_label, one.maintenance_advice) == ("Ⅰ", "没有明显需要处理的缺陷")


@pytest.mark.parametrize(
    "area", ["中心商业、附近具有甲类民用建筑工程的区域", "中心商业", "commercial", 10, 10.0]
)
def test_area_forms(area: object) -> None:
    assert assess(10.0, [d("PL", 4, 0.0)], area=area).K == 10.0  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("area", "k"),
    [("交通干道", 6.0), ("other_road", 3.0), ("所有其他区域", 0.0),
     ("所有其他区域或 F<4 时", 0.0), ("other", 0.0), (None, 0.0), (3, 3.0)],
)
def test_area_values(area: object, k: float) -> None:
    assert assess(10.0, [d("PL", 4, 0.0)], area=area).K == k  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("soil", "t"),
    [("一般土层", 0.0), ("general", 0.0), (None, 0.0), ("Ⅰ级湿陷性黄土", 6.0), ("弱膨胀土", 6.0),
     ("loess_2", 6.0), ("淤泥质土", 8.0), ("红黏土", 8.0), ("红粘土", 8.0), ("red_clay", 8.0),
     ("中膨胀土", 8.0), ("淤泥", 10.0), ("Ⅳ级湿陷性黄土", 10.0), ("silty_sand", 10.0),
     ("粉砂层、Ⅳ级湿陷性黄土、强膨胀土、淤泥", 10.0), (8, 8.0)],
)
def test_soil_values(soil: object, t: float) -> None:
    assert assess(10.0, [d("PL", 1, 0.0)], soil=soil).T == t  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("diameter", "e"),
    [(None, 0.0), (300, 0.0), (599.9, 0.0), (600, 3.0), (1000, 3.0), (1000.1, 6.0),
     (1500, 6.0), (1501, 10.0)],
)
def test_diameter_bands(diameter: float | None, e: float) -> None:
    assert assess(10.0, [d("PL", 4, 0.0)], diameter_mm=diameter).E == e


# --------------------------------------------------------------------------- FZ


def test_fz_is_recorded_but_not_scored() -> None:
    # FZ3 between two CJ2 1.2 m apart changes nothing: Y = 1.1*4/2 = 2.2.
    base = assess(10.0, [d("CJ", 2, 0.0), d("CJ", 2, 1.2)])
    with_fz = assess(10.0, [d("CJ", 2, 0.0), d("FZ", 3, 0.6), d("CJ", 2, 1.2)])
    assert with_fz.unscored_count == 1
    assert dataclasses.replace(with_fz, unscored_count=0) == base
    alone = assess(10.0, [d("FZ", 3, 0.6)])
    assert (alone.G, alone.functional_count, alone.functional_distribution) == (0.0, 0, None)


# --------------------------------------------------------------------------- inputs, errors


def test_mapping_and_defect_inputs_agree() -> None:
    as_maps = [{"code": "pl", "grade": 2, "position_m": 0.0},
               {"code": " CJ", "grade": "3", "position_m": 4.0, "length_m": None},
               {"code": "TJ", "grade": 1.0, "position_m": 4.5, "length_m": 2}]
    as_defects = [d("PL", 2, 0.0), d("CJ", 3, 4.0), d("TJ", 1, 4.5, 2.0)]
    assert assess(30, as_maps) == assess(30.0, as_defects)
    assert assess(30, iter(as_defects)) == assess(30.0, as_defects)


def test_to_dict_and_frozen() -> None:
    a = assess(10.0, [d("PL", 2, 0.0)])
    assert a.to_dict() == dataclasses.asdict(a)
    assert cjj181.Assessment(**a.to_dict()) == a
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.F = 0.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "defects", "needle"),
    [
        ({}, [d("XX", 1, 0.0)], "'XX'"),
        ({}, [d("FS", 4, 0.0)], "FS"),  # 腐蚀 has 3 grades
        ({}, [d("TL", 3, 0.0)], "TL"),  # 接口材料脱落 has 2
        ({}, [d("FZ", 4, 0.0)], "FZ"),
        ({}, [d("PL", 0, 0.0)], "grade 0"),
        ({}, [{"code": "PL", "grade": 1}], "position_m"),
        ({}, [d("PL", 1, -0.5)], "PL"),
        ({}, [d("PL", 1, 0.0, math.nan)], "PL"),
        ({"area": "downtown"}, [], "downtown"),
        ({"area": 5}, [], "5"),
        ({"soil": "沙子"}, [], "沙子"),
        ({"soil": 99}, [], r"soil factor T must be one of \[.*\], got 99"),
        ({"area": True}, [], r"area importance K must be one of \[.*\], got True"),
        ({"soil": "流沙"}, [], r"unknown CJJ 181 soil \(土质\) '流沙'; use e.g. \['general'"),
        ({"diameter_mm": 0}, [], "diameter_mm"),
    ],
)
def test_bad_inputs(kwargs: dict[str, object], defects: list[object], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        assess(10.0, defects, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("length", [0, -1.0, math.nan, math.inf])
def test_bad_pipe_length(length: float) -> None:
    with pytest.raises(ValueError, match="length_m"):
        assess(length, [])


def test_grade_error_names_code_and_grade() -> None:
    with pytest.raises(ValueError, match=r"FS.*grade 4"):
        score("FS", 4)


# --------------------------------------------------------------------------- properties

_SCORED = [(c, g) for _, c, g, _ in TSV if c != "FZ"]
_defects = st.lists(
    st.builds(lambda cg, pos, ln: Defect(cg[0], cg[1], pos, ln),
              st.sampled_from(_SCORED),
              st.floats(0, 50, allow_nan=False),
              st.sampled_from([0.0, 0.3, 1.0, 2.5])),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(_defects, _defects.filter(bool).map(lambda xs: xs[0]))
def test_adding_a_defect_never_lowers_smax(defects: list[Defect], extra: Defect) -> None:
    before = assess(50.0, defects)
    after = assess(50.0, [*defects, extra])
    assert after.Smax >= before.Smax
    assert after.Ymax >= before.Ymax
    assert after.F >= after.Smax and after.G >= after.Ymax
    assert after.structural_count == after.structural_n1 + after.structural_n2
