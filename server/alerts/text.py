"""Alert text in ja, en and やさしい日本語, made from the alert's structure (kind, name, level,
hazard, action, places), never by translating free text."""

from __future__ import annotations

from typing import Final

from server.alerts.schemas import INTENSITIES

LANGUAGES: Final = ("ja", "en", "ja-easy")

HAZARD_EN: Final = {
    "heavy_rain": "Heavy rain",
    "flood": "Flood",
    "storm": "Storm",
    "snowstorm": "Snowstorm",
    "heavy_snow": "Heavy snow",
    "high_waves": "High waves",
    "storm_surge": "Storm surge",
    "thunder": "Thunderstorm",
    "strong_wind": "Strong wind",
    "snowmelt": "Snowmelt",
    "dense_fog": "Dense fog",
    "dry_air": "Dry air",
    "avalanche": "Avalanche",
    "low_temperature": "Low temperature",
    "frost": "Frost",
    "icing": "Icing",
    "snow_accretion": "Snow accretion",
    "landslide": "Landslide",
    "earthquake": "Earthquake",
    "tsunami": "Tsunami",
}
HAZARD_EASY: Final = {
    "heavy_rain": "大雨（おおあめ）",
    "flood": "川（かわ）の 水（みず）",
    "storm": "強（つよ）い 風（かぜ）",
    "snowstorm": "雪（ゆき）と 風（かぜ）",
    "heavy_snow": "大雪（おおゆき）",
    "high_waves": "高（たか）い 波（なみ）",
    "storm_surge": "高潮（たかしお）",
    "landslide": "土砂（どしゃ）くずれ",
    "tsunami": "津波（つなみ）",
}
GRADE_EN: Final = {"warning": "warning", "advisory": "advisory", "landslide": "alert", "flood": "river information"}
TSUNAMI_EN: Final = {
    "大津波警報": "Major tsunami warning",
    "津波警報": "Tsunami warning",
    "津波注意報": "Tsunami advisory",
    "津波警報解除": "Tsunami warning lifted",
    "津波注意報解除": "Tsunami advisory lifted",
}
STATUS_PREFIX: Final = {
    "exercise": {"ja": "【訓練】", "en": "[Exercise] ", "ja-easy": "【くんれん】"},
    "test": {"ja": "【試験】", "en": "[Test] ", "ja-easy": "【しけん】"},
}
INTENSITY_JA: Final = {"5-": "5弱", "5+": "5強", "6-": "6弱", "6+": "6強"}
INTENSITY_EN: Final = {"5-": "5 lower", "5+": "5 upper", "6-": "6 lower", "6+": "6 upper"}


def _places(names: list[str], language: str) -> str:
    if not names:
        return ""
    if language == "en":
        more = f" and {len(names) - 1} more" if len(names) > 1 else ""
        return f" — {names[0]}{more}"
    more = f"ほか{len(names) - 1}" if len(names) > 1 else ""
    return f"（{names[0]}{more}）"


def headlines(
    *,
    kind: str,
    name: str,
    hazard: str,
    level: int | None,
    action: str,
    status: str,
    places: list[str],
    places_en: list[str],
    intensity: int | None = None,
) -> dict[str, str]:
    """One short headline per language."""
    ja, en, easy = _texts(kind, name, hazard, level, action, intensity)
    prefix = STATUS_PREFIX.get(status, {"ja": "", "en": "", "ja-easy": ""})
    return {
        "ja": prefix["ja"] + ja + _places(places, "ja"),
        "en": prefix["en"] + en + _places(places_en, "en"),
        "ja-easy": prefix["ja-easy"] + easy + _places(places, "ja"),
    }


def _texts(
    kind: str, name: str, hazard: str, level: int | None, action: str, intensity: int | None
) -> tuple[str, str, str]:
    cancelled = action == "cancel"
    if kind == "earthquake" and intensity is not None:
        raw = INTENSITIES[intensity - 1]
        return (
            f"地震 震度{INTENSITY_JA.get(raw, raw)}を観測",
            f"Earthquake: seismic intensity {INTENSITY_EN.get(raw, raw)} observed",
            f"地震（じしん）が ありました。震度（しんど）{INTENSITY_JA.get(raw, raw)}です。",
        )
    if kind == "evacuation":
        order_en = {3: "Elderly and others evacuate", 4: "Evacuation order", 5: "Emergency: secure your safety now"}
        order_easy = {
            3: "お年寄（としよ）りなどは 逃（に）げて ください。",
            4: "みんな 逃（に）げて ください。",
            5: "命（いのち）が 危（あぶ）ないです。すぐに 安全（あんぜん）な 場所（ばしょ）へ。",
        }
        if cancelled:
            return (
                f"{name} 解除",
                f"{order_en.get(level or 4, 'Evacuation')} lifted",
                "逃（に）げる 必要（ひつよう）は なくなりました。",
            )
        return (
            f"【警戒レベル{level}】{name}",
            f"{order_en.get(level or 4, 'Evacuation')} (alert level {level})",
            f"【レベル{level}】{order_easy.get(level or 4, '')}",
        )
    if kind == "tsunami":
        easy = (
            "津波（つなみ）の 心配（しんぱい）は なくなりました。"
            if cancelled
            else "津波（つなみ）が 来（き）ます。高（たか）い ところへ 逃（に）げて ください。"
        )
        return name, TSUNAMI_EN.get(name, "Tsunami"), easy
    level_ja = f"【警戒レベル{level}相当】" if level and not cancelled else ""
    level_en = f" (alert level {level} equivalent)" if level and not cancelled else ""
    hazard_en = HAZARD_EN.get(hazard, hazard.replace("_", " ").capitalize())
    grade = GRADE_EN.get(kind, kind)
    easy_hazard = HAZARD_EASY.get(hazard, name)
    if cancelled:
        return (
            f"{name} 解除",
            f"{hazard_en} {grade} lifted",
            f"{easy_hazard}の {name}は 終（お）わりました。",
        )
    easy = f"{easy_hazard}の {name}が 出（で）ました。"
    if level and level >= 4:
        easy += "すぐに 逃（に）げて ください。"
    return f"{level_ja}{name} 発表", f"{hazard_en} {grade} issued{level_en}", easy
