from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chengyun.standards.gbt30428 import (
    PROVINCE_CODES,
    GridCode,
    make_grid_code,
    parse_grid_code,
    validate_community_code,
    validate_division_code,
    validate_street_code,
)

# 110101 = 北京市东城区; 330106 = 杭州市西湖区.
GOOD = "110101001002003"


def test_parse_splits_segments():
    g = parse_grid_code(GOOD)
    assert (g.division, g.street, g.community, g.sequence) == ("110101", "001", "002", "003")
    assert g.street_code == "110101001"
    assert g.community_code == "110101001002"
    assert str(g) == GOOD


def test_gridcode_is_frozen_and_hashable():
    g = parse_grid_code(GOOD)
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.sequence = "004"  # type: ignore[misc]
    assert {g, parse_grid_code(GOOD)} == {g}


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("11010100100200", "15"),  # 14 digits
        ("1101010010020030", "15"),  # 16 digits
        ("", "15"),
        ("11010100100200a", "0-9"),
        ("110101-01002003", "0-9"),
        ("１１０１０１００１００２００３", "0-9"),  # full-width digits pass str.isdigit()
        (" 110101001002003"[:15], "0-9"),
        ("110101000002003", "street"),
        ("110101001000003", "community"),
        ("110101001002000", "sequence"),
        ("110100001002003", "county-level"),  # 北京市 city-level code
        ("440300001002003", "county-level"),  # 深圳市 prefecture code
        ("000000001002003", "province"),
        ("190101001002003", "province"),  # 19 is not a province
        ("990101001002003", "province"),
    ],
)
def test_parse_rejects_with_reason(code, fragment):
    with pytest.raises(ValueError, match=fragment) as info:
        parse_grid_code(code)
    msg = str(info.value)
    assert " / " in msg  # Chinese / English
    assert any("\u4e00" <= ch <= "\u9fff" for ch in msg)


def test_length_message_is_specific():
    with pytest.raises(ValueError, match="got 14"):
        parse_grid_code("11010100100200")


def test_whitespace_is_not_stripped():
    with pytest.raises(ValueError):
        parse_grid_code(GOOD + " ")
    with pytest.raises(ValueError):
        parse_grid_code(" " + GOOD[:14])


def test_non_string_rejected():
    with pytest.raises(ValueError, match="string"):
        parse_grid_code(110101001002003)  # type: ignore[arg-type]


@pytest.mark.parametrize("division", ["110101", "330106", "440305", "650102", "820001", "710101"])
def test_valid_divisions(division):
    assert validate_division_code(division) == division


@pytest.mark.parametrize("division", ["11010", "1101011", "110100", "330000", "160101", "80010a"])
def test_invalid_divisions(division):
    with pytest.raises(ValueError):
        validate_division_code(division)


def test_province_set():
    assert len(PROVINCE_CODES) == 34
    assert min(PROVINCE_CODES) == "11" and max(PROVINCE_CODES) == "82"


def test_validate_street_code():
    assert validate_street_code("330106004") == "330106004"
    for bad, frag in [
        ("33010600", "9"),
        ("330106000", "street"),
        ("330100004", "county-level"),
        ("33010600x", "0-9"),
    ]:
        with pytest.raises(ValueError, match=frag):
            validate_street_code(bad)


def test_validate_community_code():
    assert validate_community_code("330106004012") == "330106004012"
    for bad, frag in [
        ("33010600401", "12"),
        ("330106004000", "community"),
        ("330106000012", "street"),
        ("330100004012", "county-level"),
    ]:
        with pytest.raises(ValueError, match=frag):
            validate_community_code(bad)


def test_make_grid_code_from_strings_and_ints():
    assert str(make_grid_code("330106", "004", "012", "007")) == "330106004012007"
    assert str(make_grid_code("330106", 4, 12, 7)) == "330106004012007"
    assert make_grid_code("330106", 4, 12, 999).sequence == "999"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("330106", "4", "012", "007"), "3 digits"),  # strings must be padded
        (("330106", "004", "012", 0), "1-999"),
        (("330106", "004", "012", 1000), "1-999"),
        (("330106", "004", -1, 7), "1-999"),
        (("330106", "004", "000", 7), "community"),
        (("330106", True, "012", 7), "bool"),
        (("330100", 4, 12, 7), "county-level"),
    ],
)
def test_make_grid_code_rejects(args, fragment):
    with pytest.raises(ValueError, match=fragment):
        make_grid_code(*args)


def test_direct_construction_is_validated():
    with pytest.raises(ValueError):
        GridCode("110101", "001", "002", "000")
    with pytest.raises(ValueError):
        GridCode("110101", "1", "002", "003")


# -- property ----------------------------------------------------------------

divisions = st.builds(
    lambda p, c, d: p + c + d,
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.integers(0, 99).map(lambda n: f"{n:02d}"),
    st.integers(1, 99).map(lambda n: f"{n:02d}"),
)
segments = st.integers(1, 999)


@given(divisions, segments, segments, segments)
def test_round_trip(division, street, community, seq):
    g = make_grid_code(division, street, community, seq)
    code = str(g)
    assert len(code) == 15 and code.isascii() and code.isdigit()
    assert parse_grid_code(code) == g
    assert validate_community_code(g.community_code) == code[:12]
    assert validate_street_code(g.street_code) == code[:9]
    assert make_grid_code(g.division, g.street, g.community, g.sequence) == g


@given(st.text(max_size=20))
def test_parse_never_crashes_unexpectedly(text):
    try:
        g = parse_grid_code(text)
    except ValueError:
        return
    assert str(g) == text
