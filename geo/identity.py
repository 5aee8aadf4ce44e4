"""When two source records are one place.

GSI publishes a place that is both a designated shelter (指定避難所) and an emergency site
(指定緊急避難場所) as one record in each file, with the same facility serial in their 共通ID. But
the serial is shared by records that are *not* one place too: a community hall and the softball
ground 230 m away, a nursing home and the day-service centre beside it, a school and its
schoolyard. So a shared serial alone merges nothing. Two records are one place only when all of
these hold:

1. the same 共通ID serial (municipality + facility serial, ``place_key``) and different files
   (a file lists each of its places once: two records of one file are two places);
2. both say 住所同一 (指定避難所との住所同一 / 指定緊急避難場所との住所同一) and their addresses
   agree once normalised;
3. their names agree once normalised (NFKC: full- and half-width alike; any dash as "-"; spaces
   removed; the same normalisation compares addresses). Nothing
   else is removed: 「市浦中学校グラウンド」 is not 「市浦中学校」 — a ground, a car park (駐車場) or
   a schoolyard (校庭) is a separate facility even when 住所同一 says the address is shared, because
   it is another spot (60–70 m from the building in real files) that residents are sent to for
   other hazards;
4. their points lie within ``SAME_PLACE_M`` (50 m) of each other.

Otherwise each record is a facility of its own, with its own name, point and designation.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

#: The farthest apart two records of one place may lie (same serial, name and address).
SAME_PLACE_M: Final = 50.0

#: The GSI columns saying a record shares its address with a record of the other file.
SAME_ADDRESS_COLUMNS: Final = ("指定避難所との住所同一", "指定緊急避難場所との住所同一")
_TRUE = {"1", "○", "〇", "◯", "１"}


_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−", "-"))


def normalized(text: str | None) -> str:
    """Width folded (NFKC), dashes as "-" (addresses write 5-2 with any of them), spaces removed."""
    return "".join(unicodedata.normalize("NFKC", text or "").translate(_DASHES).split())


def says_same_address(attributes: Mapping[str, object]) -> bool:
    """Whether a record's published columns set a GSI 住所同一 flag."""
    return any(str(attributes.get(column, "")).strip() in _TRUE for column in SAME_ADDRESS_COLUMNS)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine; a sphere of the mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class Identity:
    """What decides whether a record is one place with another."""

    source_id: str
    dataset: str
    place_key: str | None
    name: str
    address: str | None
    lon: float
    lat: float
    same_address: bool
    rank: int = 0  # the order records are grouped in: lower first (shelters before sites)


def same_place(a: Identity, b: Identity) -> bool:
    return (
        a.place_key is not None
        and a.place_key == b.place_key
        and a.dataset != b.dataset
        and a.same_address
        and b.same_address
        and bool(normalized(a.address))
        and normalized(a.address) == normalized(b.address)
        and normalized(a.name) == normalized(b.name)
        and distance_m(a.lon, a.lat, b.lon, b.lat) <= SAME_PLACE_M
    )


def places(records: Sequence[Identity]) -> list[list[Identity]]:
    """The records grouped into places: in rank then source-id order, each joins the first place
    all of whose records it is one place with, else starts its own. Deterministic, so the same
    records always make the same places. Only records of one place key can be one place, so each
    key is grouped apart (a prefecture's files hold thousands of records)."""
    ordered = sorted(records, key=lambda r: (r.rank, r.source_id))
    by_key: dict[str | None, list[list[Identity]]] = {}
    groups: list[list[Identity]] = []
    for record in ordered:
        candidates = by_key.setdefault(record.place_key, []) if record.place_key is not None else []
        for group in candidates:
            if all(same_place(record, other) for other in group):
                group.append(record)
                break
        else:
            group = [record]
            groups.append(group)
            candidates.append(group)
    return groups
