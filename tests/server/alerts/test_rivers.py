"""指定河川洪水予報 (VXKO) read into flood alerts: the 浸水想定地区's municipalities, or the whole
府県予報区 through the project's code table; the river's lifting (解除) reaches who had it. The
code table agrees with itself (a 府県予報区 is its 一次細分区域, each the regions under it)."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.alerts.areas import FORECAST_AREAS
from server.alerts.cli import import_files
from server.alerts.jma import known_title
from server.alerts.worker import work
from server.settings import Settings
from tests.server.alerts.receiver import Receiver
from tests.server.alerts.test_delivery import imported, subscribe


def test_the_code_table_agrees_with_itself() -> None:
    prefecture = set(FORECAST_AREAS["020000"])
    primary = ["020010", "020020", "020030"]
    assert len(prefecture) == 40  # every municipality of 青森県
    assert sorted(c for p in primary for c in FORECAST_AREAS[p]) == sorted(prefecture)
    regions = {"020010": ["020011", "020012", "020013", "020014"], "020030": ["020031", "020032"]}
    for code, parts in regions.items():
        assert sorted(c for p in parts for c in FORECAST_AREAS[p]) == sorted(FORECAST_AREAS[code])
    assert known_title("指定河川洪水予報")


async def test_river_flood_information_reaches_the_flooded_places_and_is_lifted(
    push_settings: Settings,
    app_client: AsyncTestClient[Litestar],
    receiver: Receiver,
    messages: Path,
) -> None:
    await subscribe(app_client, receiver.browser("aomori"), [{"municipality": "022012"}], kinds=["flood"])
    await subscribe(app_client, receiver.browser("hachinohe"), [{"municipality": "022039"}], languages=["en"])
    await subscribe(app_client, receiver.browser("aomori_no_flood"), [{"municipality": "022012"}], kinds=["tsunami"])
    r = messages / "rivers"
    assert await imported(push_settings, r / "01_vxko_warning.xml") == ["created 堤川氾濫警戒情報"]
    assert await imported(push_settings, r / "03_vxko_forecast_area.xml") == ["created 堤川氾濫危険情報"]
    await work(push_settings, once=True, backoff_s=0.1)
    assert sorted(p["headline"] for p in receiver.got("aomori")) == [
        "【警戒レベル3相当】堤川氾濫警戒情報 発表（022012）",
        "【警戒レベル4相当】堤川氾濫危険情報 発表（022012ほか39）",
    ]
    # 八戸市 has no 浸水想定地区 on 堤川: only the message naming the whole 府県予報区 reaches it.
    assert [p["headline"] for p in receiver.got("hachinohe")] == [
        "Flood river information issued (alert level 4 equivalent) — 022012 and 39 more"
    ]
    assert receiver.got("aomori_no_flood") == []

    assert await imported(push_settings, r / "02_vxko_lift.xml") == ["created 堤川氾濫注意情報解除"]
    await work(push_settings, once=True, backoff_s=0.1)
    assert [p["action"] for p in receiver.got("aomori")][-1] == "cancel"
    assert len(receiver.got("aomori")) == 3
    assert len(receiver.got("hachinohe")) == 1  # not told of a lifting in 青森市


async def test_an_area_code_missing_from_the_table_is_named(push_settings: Settings, messages: Path) -> None:
    source = (messages / "rivers" / "03_vxko_forecast_area.xml").read_text(encoding="utf-8")
    bad = messages / "rivers" / "unknown_area.xml"
    bad.write_text(source.replace("<Code>020000</Code>", "<Code>130000</Code>"), encoding="utf-8")
    (result,) = await import_files(push_settings, [bad])
    assert result.error == (
        "Report/Head/Headline/Information/Item/Areas/Area[0]/Code: "
        "府県予報区 '130000' is not in the project's code table (server/alerts/areas.py)"
    )
