"""GB 32100-2015 统一社会信用代码 (unified social credit code): structure and check character.

Eighteen characters: 登记管理部门码 (1), 机构类别码 (1), 登记管理机关行政区划码 (6),
主体标识码 = the GB 11714 organisation code (9), 校验码 (1). The character set is the digits and
the capital letters without I, O, Z, S, V (so no code can be misread), valued 0–30 in order.
The check character makes Σ value·weight ≡ 0 (mod 31), the weights being 3^(i−1) mod 31.
"""
from __future__ import annotations

from dataclasses import dataclass

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUE = {c: i for i, c in enumerate(CHARSET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28

# GB 11714-1997 organisation code (the 主体标识码): eight body characters, weights below, mod 11.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class CodeProblem:
    code: str  # machine-readable: length, charset, check
    message: str  # Chinese, for the user


def check_character(first17: str) -> str:
    """The 18th character for the first seventeen (which must be in CHARSET)."""
    total = sum(VALUE[c] * w for c, w in zip(first17, WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def problem(code: str) -> CodeProblem | None:
    """Why ``code`` is not a valid unified social credit code, or None when it is.

    Lower case is not accepted as is: the standard's letters are capitals, and callers
    normalise with ``normalise`` first when they want to be lenient.
    """
    if len(code) != 18:
        return CodeProblem("length", f"统一社会信用代码应为 18 位，收到 {len(code)} 位")
    bad = [c for c in code if c not in VALUE]
    if bad:
        return CodeProblem("charset", f"统一社会信用代码含有不允许的字符：{''.join(dict.fromkeys(bad))}（不使用 I、O、Z、S、V）")
    expected = check_character(code[:17])
    if code[17] != expected:
        return CodeProblem("check", f"统一社会信用代码校验位错误：应为 {expected}，实为 {code[17]}")
    return None


def is_valid(code: str) -> bool:
    return problem(code) is None


def normalise(text: str) -> str:
    """Strip spaces and fold to capitals: what a person typing a code means, nothing more."""
    return "".join(text.split()).upper()


def organisation_code_valid(code: str) -> bool:
    """Whether characters 9–17 (the GB 11714 organisation code) carry their own check.

    Reported, not required: codes issued to some registrants do not follow it.
    """
    body, check = code[8:16], code[16]
    values = []
    for c in body:
        if c.isdigit():
            values.append(int(c))
        elif "A" <= c <= "Z":
            values.append(ord(c) - ord("A") + 10)
        else:
            return False
    r = 11 - sum(v * w for v, w in zip(values, _ORG_WEIGHTS)) % 11
    return check == {10: "X", 11: "0"}.get(r, str(r))


def make(first17: str) -> str:
    """A full code from its first seventeen characters (demo data, tests)."""
    return first17 + check_character(first17)
