"""The JMA reader on its own (no database): what each message type becomes, and how a bad one is
refused naming the element."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from server.alerts.cli import read
from server.alerts.jma import JmaError, parse
from server.lib.keys import generate, load_vapid
from server.settings import Settings, SettingsError
from tests.conftest import settings_for

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "alerts"


def test_intensity_flash_areas_become_their_municipalities() -> None:
    message = parse(read(FIXTURES / "earthquakes" / "vxse51_intensity_flash.xml"))
    strongest = message.drafts[0]
    assert (strongest.name, strongest.intensity) == ("震度5-", 5)
    # 青森県三八上北 (202) holds 八戸市 (02203 → 022039) among others.
    assert "022039" in strongest.municipalities and "022012" not in strongest.municipalities


def test_a_levelled_warning_takes_its_level_from_its_name() -> None:
    (draft,) = parse(read(FIXTURES / "warnings" / "05_vpww56_levelled.xml")).drafts
    assert (draft.kind, draft.hazard, draft.level, draft.municipalities) == ("warning", "heavy_rain", 4, ["022080"])


def test_a_correction_names_the_same_report_as_what_it_corrects() -> None:
    issue = parse(read(FIXTURES / "warnings" / "01_vpww54_issue.xml"))
    correction = parse(read(FIXTURES / "warnings" / "02_vpww54_correction.xml"))
    assert issue.report_id == correction.report_id and correction.info_type == "訂正"
    assert correction.message_at > issue.message_at


def test_test_status_and_unknown_codes() -> None:
    data = read(FIXTURES / "warnings" / "01_vpww54_issue.xml").decode()
    assert parse(data.replace("<Status>通常</Status>", "<Status>試験</Status>").encode()).status == "test"
    with pytest.raises(JmaError, match=r"Report/Control/Status: '臨時'"):
        parse(data.replace("<Status>通常</Status>", "<Status>臨時</Status>").encode())
    with pytest.raises(JmaError, match=r"Item\[0\]/Kind\[0\]/Code: '99'"):
        parse(data.replace("<Code>03</Code>", "<Code>99</Code>", 1).encode())
    with pytest.raises(JmaError, match=r"Item\[0\]/Area/Code: '0220101'"):
        parse(data.replace("0220100", "0220101").encode())
    quake = read(FIXTURES / "earthquakes" / "vxse51_intensity_flash.xml").decode()
    with pytest.raises(JmaError, match=r"Area\[0\]/Code: .*code table"):
        parse(quake.replace("<Code>202</Code>", "<Code>999</Code>").encode())


def test_entities_and_doctypes_are_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><Report>&b;</Report>'
    with pytest.raises(JmaError, match=r"\(document\): refused"):
        parse(bomb)


def test_keys_generate_makes_a_vapid_key_the_settings_take(tmp_path: Path) -> None:
    keys = generate()
    settings = Settings.from_env(keys)
    assert settings.security.vapid_key == base64.b64decode(keys["BOSAI_VAPID_KEY"])
    vapid = load_vapid(settings)
    assert vapid is not None and len(vapid.public) == 65
    # A local keys.json made before push existed gets a VAPID key added, once.
    local = settings_for(None)
    local = Settings(database=type(local.database)(url=None, home=tmp_path), server=local.server)
    (tmp_path / "keys.json").write_text(json.dumps({k: v for k, v in keys.items() if k != "BOSAI_VAPID_KEY"}))
    first = load_vapid(local)
    assert first is not None and load_vapid(local) == first
    with pytest.raises(SettingsError, match="BOSAI_VAPID_SUBJECT"):
        Settings.from_env({"BOSAI_VAPID_SUBJECT": "http://example.jp"})
