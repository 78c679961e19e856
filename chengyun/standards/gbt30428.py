"""GB/T 30428.1 unit grid (单元网格) codes.

A unit grid code is 15 digits:

    DDDDDD SSS CCC NNN
    |      |   |   +-- 单元网格顺序码 sequence within the community, 001-999
    |      |   +------ 社区代码 community code within the street, 001-999
    |      +---------- 街道代码 street (乡镇/街道) code within the county, 001-999
    +----------------- 县级行政区划代码 county-level division code (GB/T 2260)

The 9-digit prefix identifies a street and the 12-digit prefix a community;
both are used on their own elsewhere (boundaries, statistics), hence the
validators for them.  See docs/standards/gbt30428.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "GridCode",
    "PROVINCE_CODES",
    "make_grid_code",
    "parse_grid_code",
    "validate_community_code",
    "validate_division_code",
    "validate_street_code",
]

# GB/T 2260 province-level prefixes.  Checking the real set rather than the
# 11-82 range catches transposed digits such as "19" or "60".
PROVINCE_CODES: frozenset[str] = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82",
    }
)

# str.isdigit() accepts full-width and other Unicode digits, which would then
# be stored as a code no other system recognises; only ASCII 0-9 is valid.
_DIGITS = re.compile(r"[0-9]+")


def _fail(zh: str, en: str) -> ValueError:
    return ValueError(f"{zh} / {en}")


def _require_digits(value: object, length: int, zh_name: str, en_name: str) -> str:
    if not isinstance(value, str):
        raise _fail(f"{zh_name}必须是字符串，实际为 {type(value).__name__}", f"{en_name} must be a string, got {type(value).__name__}")
    if len(value) != length:
        raise _fail(
            f"{zh_name}应为{length}位数字，实际为{len(value)}位：{value!r}",
            f"{en_name} must be {length} digits, got {len(value)} characters: {value!r}",
        )
    if not _DIGITS.fullmatch(value):
        raise _fail(
            f"{zh_name}只能包含数字0-9：{value!r}",
            f"{en_name} may contain only the digits 0-9: {value!r}",
        )
    return value


def _require_nonzero(value: str, zh_name: str, en_name: str) -> None:
    if set(value) == {"0"}:
        raise _fail(f"{zh_name}不能全为0：{value!r}", f"{en_name} must not be all zeros: {value!r}")


def validate_division_code(code: str) -> str:
    """Check a 6-digit county-level (县级) administrative division code; return it unchanged."""
    _require_digits(code, 6, "县级行政区划代码", "county-level division code")
    if code[:2] not in PROVINCE_CODES:
        raise _fail(
            f"行政区划代码的省级代码{code[:2]!r}不存在：{code!r}",
            f"division code {code!r} has no such province prefix {code[:2]!r}",
        )
    if code.endswith("00"):
        # xx xx 00 is a prefecture (or province) code; grids belong to a county.
        raise _fail(
            f"行政区划代码须为县级（末两位不能为00）：{code!r}",
            f"division code must be county-level (must not end in 00): {code!r}",
        )
    return code


def _segment(value: str | int, zh_name: str, en_name: str) -> str:
    # Ints are accepted for the 3-digit parts because sequence numbers are
    # usually generated; strings must already be zero-padded so that a
    # mistyped "12" for "120" is not silently read as "012".
    if isinstance(value, bool):
        raise _fail(f"{zh_name}不能是布尔值", f"{en_name} must not be a bool")
    if isinstance(value, int):
        if not 1 <= value <= 999:
            raise _fail(f"{zh_name}应在1-999之间：{value}", f"{en_name} must be in 1-999, got {value}")
        return f"{value:03d}"
    _require_digits(value, 3, zh_name, en_name)
    _require_nonzero(value, zh_name, en_name)
    return value


@dataclass(frozen=True)
class GridCode:
    """A validated unit grid code; construct via `parse_grid_code` or `make_grid_code`."""

    division: str
    street: str
    community: str
    sequence: str

    def __post_init__(self) -> None:
        validate_division_code(self.division)
        for value, zh, en in (
            (self.street, "街道代码", "street code"),
            (self.community, "社区代码", "community code"),
            (self.sequence, "单元网格顺序码", "grid sequence number"),
        ):
            _require_digits(value, 3, zh, en)
            _require_nonzero(value, zh, en)

    @property
    def street_code(self) -> str:
        """9-digit street (乡镇/街道) code: division + street."""
        return self.division + self.street

    @property
    def community_code(self) -> str:
        """12-digit community (社区) code: division + street + community."""
        return self.division + self.street + self.community

    def __str__(self) -> str:
        return self.division + self.street + self.community + self.sequence


def parse_grid_code(code: str) -> GridCode:
    """Parse and validate a 15-digit unit grid code.  No whitespace is stripped."""
    _require_digits(code, 15, "单元网格代码", "unit grid code")
    return GridCode(code[0:6], code[6:9], code[9:12], code[12:15])


def validate_street_code(code: str) -> str:
    """Validate a 9-digit street code (division + street); return it unchanged."""
    _require_digits(code, 9, "街道代码", "street code")
    validate_division_code(code[:6])
    _require_nonzero(code[6:9], "街道代码的街道段", "street segment of the street code")
    return code


def validate_community_code(code: str) -> str:
    """Validate a 12-digit community code (division + street + community); return it unchanged."""
    _require_digits(code, 12, "社区代码", "community code")
    validate_street_code(code[:9])
    _require_nonzero(code[9:12], "社区代码的社区段", "community segment of the community code")
    return code


def make_grid_code(division: str, street: str | int, community: str | int, seq: str | int) -> GridCode:
    """Build a GridCode from its parts; ints are zero-padded to 3 digits, strings must be exact."""
    return GridCode(
        validate_division_code(division),
        _segment(street, "街道代码", "street code"),
        _segment(community, "社区代码", "community code"),
        _segment(seq, "单元网格顺序码", "grid sequence number"),
    )
