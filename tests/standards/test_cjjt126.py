"""CJJ/T 126-2022: grades per road class, frequencies and the quality grading at its limits."""
import pytest

from chengyun.standards import cjjt126 as c


def test_road_classes_take_the_standards_grades():
    assert c.grade_for_road_class("arterial") == 1  # 城市主干路: 一级
    assert c.grade_for_road_class("secondary") == 2  # 城市次干路: 二级
    assert c.grade_for_road_class("branch") == 3
    with pytest.raises(ValueError):
        c.grade_for_road_class("footpath")


def test_frequencies_follow_the_local_norms():
    assert c.FREQUENCIES[1].mechanized_passes_per_day == 2  # 一类街道 机扫 ≥2次/日
    assert (c.FREQUENCIES[1].first_sweep_by, c.FREQUENCIES[1].second_sweep_by) == ("07:00", "16:00")
    assert (c.FREQUENCIES[3].first_sweep_by, c.FREQUENCIES[3].care_from, c.FREQUENCIES[3].care_to) == ("07:30", "06:30", "20:30")
    assert all(f.source for f in c.FREQUENCIES.values())


GOOD = c.Measurement(sensory=95, litter=3, stain=0, cleanliness=98, dust=5)


def test_a_clean_road_reaches_grade_one():
    v = c.grade_inspection(GOOD, required=1)
    assert v.grade == 1 and v.meets_required and v.failures == ()


def test_litter_limit_is_strict_and_stain_inclusive():
    lim = c.QUALITY_LIMITS[1]
    at_litter = c.Measurement(95, lim.max_litter, 0, 98)
    assert c.grade_inspection(at_litter, 1).failures == ("litter",)  # "<" the limit
    just_below = c.Measurement(95, lim.max_litter - 0.1, 0, 98)
    assert c.grade_inspection(just_below, 1).meets_required
    at_stain = c.Measurement(95, 3, c.QUALITY_LIMITS[2].max_stain, 95)
    assert c.grade_inspection(at_stain, 2).meets_required  # "≤"
    assert c.grade_inspection(at_stain, 1).grade == 2


def test_cleanliness_and_sensory_at_their_minimum_pass():
    lim = c.QUALITY_LIMITS[2]
    m = c.Measurement(lim.min_sensory, 5, 0.2, lim.min_cleanliness)
    assert c.grade_inspection(m, 2).meets_required
    m = c.Measurement(lim.min_sensory - 0.01, 5, 0.2, lim.min_cleanliness)
    assert c.grade_inspection(m, 2).failures == ("sensory",)


def test_below_grade_three_reaches_none_and_dust_is_optional():
    bad = c.Measurement(50, 40, 3, 70)
    v = c.grade_inspection(bad, 3)
    assert v.grade is None and not v.meets_required and set(v.failures) == {"sensory", "litter", "stain", "cleanliness"}
    dusty = c.Measurement(95, 3, 0, 98, dust=c.QUALITY_LIMITS[1].max_dust + 1)
    assert c.grade_inspection(dusty, 1).failures == ("dust",)
    assert c.grade_inspection(c.Measurement(95, 3, 0, 98, dust=None), 1).meets_required


def test_better_than_required_meets_and_bad_input_is_refused():
    assert c.grade_inspection(GOOD, required=3).meets_required
    with pytest.raises(ValueError):
        c.grade_inspection(GOOD, required=4)
    with pytest.raises(ValueError):
        c.grade_inspection(c.Measurement(101, 0, 0, 99), 1)
    with pytest.raises(ValueError):
        c.grade_inspection(c.Measurement(90, -1, 0, 99), 1)
