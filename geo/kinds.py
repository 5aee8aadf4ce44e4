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

#: Who a welfare shelter (福祉避難所) takes in: the GSI and common data's 受入対象者, read into a
#: fixed vocabulary (``geo.targets.target_groups``); text outside it is kept as published.
TARGET_GROUPS: Final = (
    "elderly",  # 高齢者
    "disability",  # 障がい者 (kind not stated)
    "disability_physical",  # 肢体不自由
    "disability_visual",  # 視覚
    "disability_hearing",  # 聴覚
    "disability_internal",  # 内部
    "disability_intellectual",  # 知的
    "disability_mental",  # 精神
    "disability_developmental",  # 発達
    "pregnant",  # 妊婦・妊産婦
    "infant",  # 乳幼児
    "child",  # 児童・障がい児
    "medical_care",  # 医療的ケア
    "needs_care",  # 要配慮者 (any person needing care)
)

#: A household matches a welfare shelter's target group when one of its members has one of these
#: care needs (the values of server.shelters.schemas.CareNeed) or, for "aged65", is 65 or older.
#: A free-text disability says no kind, so it matches every kind of disability.
TARGET_NEEDS: Final[dict[str, tuple[str, ...]]] = {
    "elderly": ("aged65",),
    "disability": ("disability", "wheelchair"),
    "disability_physical": ("disability", "wheelchair", "mobilityHelp"),
    "disability_visual": ("disability",),
    "disability_hearing": ("disability",),
    "disability_internal": ("disability", "illness"),
    "disability_intellectual": ("disability",),
    "disability_mental": ("disability",),
    "disability_developmental": ("disability",),
    "pregnant": ("pregnancy",),
    "infant": ("infant",),
    "child": ("infant",),
    "medical_care": ("illness", "medication"),
    "needs_care": (
        "aged65",
        "wheelchair",
        "mobilityHelp",
        "illness",
        "medication",
        "disability",
        "pregnancy",
        "infant",
    ),
}
#: Hazard layers that record what happened rather than what may happen: drawn and told apart
#: from the forecast zones (浸水履歴, 過去の浸水実績), never a reason to avoid a shelter.
HISTORY_TYPES: Final = ("flood_history",)

#: What a hazard zone may be: a forecast of one of HAZARD_TYPES, or a record of the past.
ZONE_TYPES: Final = (*HAZARD_TYPES, *HISTORY_TYPES)
