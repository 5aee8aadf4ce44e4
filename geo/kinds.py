"""Vocabularies shared by importers, the database and the API."""

from __future__ import annotations

from typing import Final

#: The eight hazard types of 指定緊急避難場所 (災害対策基本法施行令 第20条の4), in the order
#: the national files list them.
HAZARD_TYPES: Final = (
    "flood",  # 洪水
    "landslide",  # 崖崩れ、土石流及び地滑り
    "storm_surge",  # 高潮
    "earthquake",  # 地震
    "tsunami",  # 津波
    "large_fire",  # 大規模な火事
    "inland_flood",  # 内水氾濫
    "volcano",  # 火山現象
)

#: Kinds of facility. A place may hold several (a school that is both a designated shelter and an
#: emergency evacuation site).
FACILITY_KINDS: Final = (
    "designated_shelter",  # 指定避難所
    "welfare_shelter",  # 福祉避難所
    "emergency_site",  # 指定緊急避難場所
    "tsunami_building",  # 津波避難ビル・高台
    "wide_area_site",  # 広域避難場所
    "medical",  # 医療機関
    "aed",  # AED
    "care_facility",  # 要配慮者利用施設 (nursing homes, day-service centres, nurseries…)
    "public_facility",  # 公共施設 (a municipality's list of halls, offices, gyms…)
)

#: Hazard layers that record what happened rather than what may happen: drawn and told apart
#: from the forecast zones (浸水履歴, 過去の浸水実績), never a reason to avoid a shelter.
HISTORY_TYPES: Final = ("flood_history",)

#: What a hazard zone may be: a forecast of one of HAZARD_TYPES, or a record of the past.
ZONE_TYPES: Final = (*HAZARD_TYPES, *HISTORY_TYPES)
