from hypothesis import given, strategies as st

from chengyun.standards import gb32100


def test_published_codes_check():
    # Codes printed on business licences and in the standard's worked example.
    for code in ("91350100M000100Y43", "91110000802100433B", "911100001000044477"):
        assert gb32100.problem(code) is None
        assert gb32100.organisation_code_valid(code)


def test_weights_are_powers_of_three_mod_31():
    assert gb32100.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def test_wrong_check_character_names_the_expected_one():
    p = gb32100.problem("91350100M000100Y44")
    assert p.code == "check" and "应为 3" in p.message


def test_length_and_charset():
    assert gb32100.problem("91350100M000100Y4").code == "length"
    assert gb32100.problem("91350100M000100I43").code == "charset"  # I is not in the set
    assert gb32100.problem("91350100m000100y43").code == "charset"
    assert gb32100.normalise(" 91350100m000100y43 ") == "91350100M000100Y43"


def test_check_character_30_is_y_and_31_is_0():
    # Search the first codes whose check falls on the two ends of the mod-31 range.
    seen = {}
    for n in range(2000):
        body = f"9111000{n:010d}"
        seen.setdefault(gb32100.check_character(body), body)
    assert "Y" in seen and "0" in seen
    assert gb32100.is_valid(seen["Y"] + "Y") and gb32100.is_valid(seen["0"] + "0")


@given(st.text(alphabet=gb32100.CHARSET, min_size=17, max_size=17), st.integers(0, 16), st.sampled_from(gb32100.CHARSET))
def test_any_single_substitution_is_caught(body, pos, char):
    code = gb32100.make(body)
    assert gb32100.is_valid(code)
    changed = code[:pos] + char + code[pos + 1:]
    assert gb32100.is_valid(changed) == (changed == code)
