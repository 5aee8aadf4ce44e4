"""全国地方公共団体コード (local government codes): check digits and normalisation."""

from __future__ import annotations

_WEIGHTS = (6, 5, 4, 3, 2)


class InvalidCodeError(ValueError):
    """A municipality code that cannot be a valid 全国地方公共団体コード."""


def check_digit(code5: str) -> str:
    """Return the check digit of a five-digit local government code.

    s = 6·d1 + 5·d2 + 4·d3 + 3·d4 + 2·d5; when s ≥ 11 the digit is (11 − s mod 11) mod 10,
    otherwise 11 − s.

    Raises:
        InvalidCodeError: when ``code5`` is not exactly five ASCII digits.
    """
    if len(code5) != 5 or not code5.isascii() or not code5.isdigit():
        raise InvalidCodeError(f"expected five digits, got {code5!r}")
    s = sum(w * int(d) for w, d in zip(_WEIGHTS, code5, strict=True))
    digit = (11 - s % 11) % 10 if s >= 11 else 11 - s
    return str(digit)


def is_valid(code6: str) -> bool:
    """True when ``code6`` is six digits whose last digit is the check digit of the first five."""
    if len(code6) != 6 or not code6.isascii() or not code6.isdigit():
        return False
    return check_digit(code6[:5]) == code6[5]


def normalize(raw: str | int, *, width: int | None = None) -> str:
    """Turn a municipality code as files write it into the six-digit form.

    Accepts five digits (the check digit is computed), six digits (verified), and either with the
    leading zero lost by a spreadsheet ("92011" → "092011", "2201" → "022012").

    Args:
        raw: the value as read.
        width: 5 or 6 when the column is known to hold codes of that width; five digits in a
            six-digit column are then a code whose leading zero was lost. Without it, five digits
            are read as a five-digit code when they can be one, else as a six-digit code missing
            its zero.

    Raises:
        InvalidCodeError: with the reason, when the value cannot be a municipality code.
    """
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit():
        raise InvalidCodeError(f"{raw!r} is not a municipality code (digits only)")
    if len(text) == width or (width is None and len(text) in (5, 6)):
        pass
    elif (width is not None and len(text) == width - 1) or (width is None and len(text) == 4):
        text = "0" + text
    else:
        expected = f"{width}" if width else "5 or 6"
        raise InvalidCodeError(f"{raw!r} has {len(text)} digits; expected {expected}")
    if len(text) == 6:
        if not is_valid(text):
            raise InvalidCodeError(f"{raw!r}: check digit should be {check_digit(text[:5])}")
        _check_structure(text[:5], raw)
        return text
    if width is None and not _plausible(text) and is_valid("0" + text):
        return "0" + text
    _check_structure(text, raw)
    return text + check_digit(text)


def _plausible(code5: str) -> bool:
    # Prefectures are 01–47; within one, 000 is the prefecture itself and municipalities
    # start at 100 (wards 1xx, cities 2xx, towns and villages 3xx–7xx).
    pref, part = int(code5[:2]), int(code5[2:])
    return 1 <= pref <= 47 and (part == 0 or part >= 100)


def _check_structure(code5: str, raw: str | int) -> None:
    if not _plausible(code5):
        raise InvalidCodeError(
            f"{raw!r}: {code5} is not a local government code "
            "(prefecture 01–47, then 000 or a municipality number from 100)"
        )


def prefecture_code(code6: str) -> str:
    """The two-digit prefecture part of a municipality code."""
    return code6[:2]
