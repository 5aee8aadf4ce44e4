from __future__ import annotations

import pytest

from geo.codes import InvalidCodeError, check_digit, is_valid, normalize


@pytest.mark.parametrize(
    ("code5", "code6"),
    [
        ("02201", "022012"),  # Aomori City
        ("02205", "022055"),  # Goshogawara
        ("01211", "012114"),  # Abashiri
        ("13101", "131016"),  # Chiyoda
        ("01205", "012050"),  # Muroran: s < 11 never happens here, r = 0 gives 0
        ("01213", "012131"),
    ],
)
def test_check_digit_matches_the_published_codes(code5: str, code6: str) -> None:
    assert code5 + check_digit(code5) == code6
    assert is_valid(code6)
    assert normalize(code5) == code6
    assert normalize(code6) == code6


def test_the_small_sum_branch() -> None:
    # s = 6·0 + 5·0 + 4·0 + 3·0 + 2·1 = 2 < 11, so the digit is 11 − 2 = 9.
    assert check_digit("00001") == "9"


@pytest.mark.parametrize(
    ("raw", "width", "expected"),
    [
        ("92011", None, "092011"),  # six digits that lost their zero: prefecture 92 cannot exist
        ("2201", None, "022012"),  # five digits that lost their zero
        ("22012", None, "022012"),  # part 012 is no municipality number, so it must be 022012
        ("12114", 6, "012114"),  # ambiguous by itself; the column says six digits
        (2201, None, "022012"),  # a number from a spreadsheet
        (" 022012 ", None, "022012"),
    ],
)
def test_lost_leading_zeros_are_restored(raw: str | int, width: int | None, expected: str) -> None:
    assert normalize(raw, width=width) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("022011", "check digit should be 2"),
        ("abc", "digits only"),
        ("１３１０１", "digits only"),  # full-width digits are not silently accepted
        ("1234567", "has 7 digits"),
        ("48102", "prefecture 01–47"),
        ("13050", "prefecture 01–47"),
    ],
)
def test_impossible_codes_are_rejected_with_the_reason(raw: str, message: str) -> None:
    with pytest.raises(InvalidCodeError, match=message):
        normalize(raw)
