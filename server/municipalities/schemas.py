from __future__ import annotations

import msgspec


class MunicipalitySummary(msgspec.Struct, rename="camel"):
    code: str
    name: str
    name_kana: str | None
    name_en: str | None
    prefecture: str
    bbox: tuple[float, float, float, float] | None
    facility_counts: dict[str, int]
    # The offline pack's manifest, once packs are built (offline-packs feature).
    pack: dict[str, object] | None = None


class MunicipalityList(msgspec.Struct):
    municipalities: list[MunicipalitySummary]
