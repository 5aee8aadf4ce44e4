"""JMA area codes that are not municipalities, mapped to the municipalities they cover: a code
table of the project's own (地震情報／細分区域 and 津波予報区), partial: the prefectures the project
serves so far (青森県). A code missing here makes a message's file fail naming the code, rather
than an alert that silently reaches nobody.

市町村等 codes need no table: their 7 digits are the 5-digit JIS code and "00", and the
municipality table's 6-digit code adds the JIS check digit."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Final

from geo.codes import InvalidCodeError, check_digit

FORECAST_AREAS_FILE: Final = Path(__file__).resolve().parent / "data" / "forecast_areas.csv"

#: 地震情報／細分区域 → JIS 5-digit codes of the municipalities in it.
SEISMIC_AREAS: Final[dict[str, tuple[str, ...]]] = {
    "200": ("02201", "02205", "02303", "02304", "02307", "02381", "02384", "02387"),  # 青森県津軽北部
    "201": ("02202", "02204", "02209", "02210", "02343", "02361", "02362", "02367"),  # 青森県津軽南部
    "202": ("02203", "02206", "02207", "02405", "02406", "02408", "02411", "02412"),  # 青森県三八上北
    "203": ("02208", "02423", "02424", "02425", "02426"),  # 青森県下北
}

#: 津波予報区 → JIS 5-digit codes of the coastal municipalities in it.
TSUNAMI_AREAS: Final[dict[str, tuple[str, ...]]] = {
    "100": ("02205", "02209", "02321", "02323", "02343", "02387"),  # 青森県日本海沿岸
    "101": ("02201", "02208", "02303", "02304", "02307", "02401", "02424"),  # 陸奥湾
    "102": ("02203", "02207", "02406", "02408", "02411", "02445", "02423", "02425", "02426"),  # 青森県太平洋沿岸
}


def from_jis5(code5: str) -> str:
    return code5 + check_digit(code5)


def municipality_of(code7: str) -> str:
    """A 市町村等 code (7 digits: JIS 5 + "00") as the municipality table's 6-digit code.

    Raises:
        InvalidCodeError: when it is not such a code.
    """
    if len(code7) != 7 or not code7.isascii() or not code7.isdigit() or not code7.endswith("00"):
        raise InvalidCodeError(f"{code7!r} is not a 市町村等 code (7 digits ending in 00)")
    return from_jis5(code7[:5])


def expand(table: dict[str, tuple[str, ...]], code: str, what: str) -> list[str]:
    """The municipalities (6-digit) of a JMA area code."""
    if code not in table:
        raise InvalidCodeError(f"{what} {code!r} is not in the project's code table (server/alerts/areas.py)")
    return [from_jis5(c) for c in table[code]]


def _forecast_areas() -> dict[str, tuple[str, ...]]:
    rows = (line for line in FORECAST_AREAS_FILE.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
    return {row["code"]: tuple(row["municipalities"].split()) for row in csv.DictReader(rows)}


#: 府県予報区, 一次細分区域 and 市町村等をまとめた地域 → JIS 5-digit codes of their municipalities
#: (server/alerts/data/forecast_areas.csv).
FORECAST_AREAS: Final[dict[str, tuple[str, ...]]] = _forecast_areas()
