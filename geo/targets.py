"""受入対象者 — who a welfare shelter takes in — read into the fixed vocabulary of
``geo.kinds.TARGET_GROUPS``.

Real files write it freely: 「高齢者」, 「乳幼児」, 「障がい者（知的・精神・発達）」,
「高齢者・障がい者（すべて）・妊婦」, 「要配慮者」. The text is split on 「・」「、」「,」「;」「/」 and
spaces outside parentheses; a 障がい者 (障害者, 障碍者) fragment's parentheses name its kinds
(すべて: every kind). A fragment the vocabulary does not know is kept as published, never dropped.
"""

from __future__ import annotations

import re
import unicodedata

from geo.kinds import TARGET_GROUPS

_WORDS: dict[str, tuple[str, ...]] = {
    "高齢者": ("elderly",),
    "高齢者等": ("elderly",),
    "要介護高齢者": ("elderly",),
    "要介護者": ("elderly",),
    "妊婦": ("pregnant",),
    "妊産婦": ("pregnant",),
    "産婦": ("pregnant",),
    "乳幼児": ("infant",),
    "乳児": ("infant",),
    "幼児": ("infant",),
    "妊産婦乳幼児": ("pregnant", "infant"),
    "児童": ("child",),
    "子ども": ("child",),
    "こども": ("child",),
    "医療的ケア": ("medical_care",),
    "医療的ケア児": ("medical_care", "child"),
    "医療的ケア者": ("medical_care",),
    "要配慮者": ("needs_care",),
    "要援護者": ("needs_care",),
    "要支援者": ("needs_care",),
}
_DISABILITY = re.compile(r"(?:障が?い|障害|障碍)(者|児)(?:\((.*)\))?")
_KINDS = {
    "肢体": "disability_physical",
    "肢体不自由": "disability_physical",
    "身体": "disability_physical",
    "視覚": "disability_visual",
    "聴覚": "disability_hearing",
    "内部": "disability_internal",
    "知的": "disability_intellectual",
    "精神": "disability_mental",
    "発達": "disability_developmental",
}
_EVERY_KIND = ("すべて", "全て", "全般", "全")
_SEPARATORS = "・、,;/ "


def _fragments(text: str) -> list[str]:
    """Split on separators outside parentheses."""
    parts, current, depth = [], "", 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if depth == 0 and char in _SEPARATORS:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p]


def _disability(kinds: str | None) -> tuple[list[str], list[str]]:
    if not kinds:
        return ["disability"], []
    found, unknown = [], []
    for kind in re.split(r"[・、,;/ ]", kinds):
        if not kind:
            continue
        if kind in _EVERY_KIND:
            found += [k for k in TARGET_GROUPS if k.startswith("disability_")]
        elif kind.removesuffix("障がい").removesuffix("障害") in _KINDS:
            found.append(_KINDS[kind.removesuffix("障がい").removesuffix("障害")])
        else:
            unknown.append(kind)
    return found or ["disability"], unknown


def target_groups(text: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(groups in TARGET_GROUPS order, fragments not understood as published) of a 受入対象者."""
    if not text:
        return (), ()
    normal = unicodedata.normalize("NFKC", text).strip()
    groups: set[str] = set()
    other: list[str] = []
    for fragment in _fragments(normal):
        disability = _DISABILITY.fullmatch(fragment)
        if disability:
            found, unknown = _disability(disability[2])
            groups.update(found)
            if disability[1] == "児":
                groups.add("child")
            if unknown:
                other.append(fragment)
        elif fragment in _WORDS:
            groups.update(_WORDS[fragment])
        else:
            other.append(fragment)
    return tuple(g for g in TARGET_GROUPS if g in groups), tuple(other)
