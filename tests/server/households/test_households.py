"""My evacuation info: validated field by field, encrypted at rest, audit-logged; QR codes that
carry no personal data, verify offline with the published keys, and fail when forged, altered or
revoked."""

from __future__ import annotations

import base64
import copy
import logging
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.households.qr import check_signature
from server.lib.keys import b64, unb64
from tests.server.roles import Client, sign_in

HOUSEHOLD: dict[str, Any] = {
    "members": [
        {
            "name": "山田花子",
            "kana": "やまだはなこ",
            "relationship": "self",
            "birthDate": "1948-04-02",
            "sex": "female",
            "careNeeds": {"mobility": "wheelchair", "medication": "ワーファリン", "allergy": "そば"},
            "skills": ["nursing_care"],
        },
        {"name": "山田太郎", "relationship": "grandchild", "birthDate": "2024-01-10", "careNeeds": {"infant": True}},
    ],
    "pets": [{"kind": "dog", "count": 1, "wantsToBring": True}],
    "emergencyContact": {"name": "山田一郎", "phone": "090-1234-5678", "relationship": "長男"},
    "home": {"lat": 40.8, "lon": 140.76, "address": "青森県見本市中央2丁目"},
    "consents": {"shareStatusWithFamily": True, "answerSafetyInquiries": False},
}
PERSONAL = ["山田", "やまだ", "ワーファリン", "そば", "090-1234-5678", "1948", "中央2丁目"]


async def registered(client: Client, engine: AsyncEngine) -> dict[str, Any]:
    await sign_in(client, engine, "resident")
    response = await client.put("/api/households/me", json=HOUSEHOLD)
    assert response.status_code == 200, response.text
    saved: dict[str, Any] = response.json()
    return saved


async def test_a_household_is_saved_read_back_and_encrypted_at_rest(client: Client, engine: AsyncEngine) -> None:
    saved = await registered(client, engine)
    assert [m["name"] for m in saved["members"]] == ["山田花子", "山田太郎"] and all(m["id"] for m in saved["members"])
    read = (await client.get("/api/households/me")).json()
    assert read == saved
    assert read["members"][0]["careNeeds"]["mobility"] == "wheelchair" and read["pets"][0]["kind"] == "dog"
    async with engine.connect() as connection:
        sealed, member_qr = (await connection.execute(text("SELECT sealed, member_qr FROM household"))).one()
        # every column in clear (the ciphertext, in hex, could hold "1948" by chance: checked as bytes)
        dumped = await connection.scalar(
            text("SELECT string_agg((to_jsonb(t) - 'sealed')::text, ' ') FROM household t")
        )
    for word in PERSONAL:
        assert word.encode() not in sealed and word not in dumped
    assert set(member_qr) == {m["id"] for m in saved["members"]}


async def test_member_ids_and_their_codes_survive_an_edit(client: Client, engine: AsyncEngine) -> None:
    saved = await registered(client, engine)
    codes = (await client.get("/api/households/me/qr")).json()
    edited = copy.deepcopy(saved)
    edited["members"][0]["careNeeds"]["allergy"] = None
    again = (await client.put("/api/households/me", json=edited)).json()
    assert [m["id"] for m in again["members"]] == [m["id"] for m in saved["members"]]
    assert (await client.get("/api/households/me/qr")).json() == codes


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda h: h["members"][0].update(birthDate="2999-01-01"), "members[0]"),
        (lambda h: h["members"][1].update(name=""), "members[1].name"),
        (lambda h: h["members"][0].update(sex="x"), "members[0].sex"),
        (lambda h: h["members"][0]["careNeeds"].update(mobility="flying"), "members[0].careNeeds.mobility"),
        (lambda h: h["emergencyContact"].update(phone="call me"), "emergencyContact"),
        (lambda h: h["home"].update(lat=91), "home.lat"),
        (lambda h: h["pets"][0].update(count=0), "pets[0].count"),
        (lambda h: h.update(favouriteColour="red"), "favouriteColour"),  # the unknown field itself
    ],
)
async def test_validation_errors_name_the_field_and_store_nothing(
    client: Client, engine: AsyncEngine, change: Any, field: str
) -> None:
    await sign_in(client, engine, "resident")
    body = copy.deepcopy(HOUSEHOLD)
    change(body)
    response = await client.put("/api/households/me", json=body)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["invalidParams"][0]["name"].startswith(field)
    assert "call me" not in problem["detail"]  # values (personal data) are never echoed
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM household")) == 0


async def test_reads_and_writes_are_audited_without_personal_data(client: Client, engine: AsyncEngine) -> None:
    await registered(client, engine)
    await client.get("/api/households/me")
    await client.get("/api/households/me/qr.svg")
    async with engine.connect() as connection:
        events = (
            await connection.execute(text("SELECT action, subject, details::text FROM audit_event ORDER BY created_at"))
        ).all()
    assert [e.action for e in events] == ["household.write", "household.read", "household.qr"]
    assert all(e.subject.startswith("household:") for e in events)
    assert not any(word in " ".join(map(str, e)) for e in events for word in PERSONAL)


async def test_qr_codes_carry_no_personal_data_and_verify_with_the_published_key(
    client: Client, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    saved = await registered(client, engine)
    codes = (await client.get("/api/households/me/qr")).json()
    payloads = [codes["household"], *codes["members"].values()]
    assert len(payloads) == 3
    keys = (await client.get("/api/qr/keys")).json()["keys"]
    published = {k["kid"]: unb64(k["publicKey"]) for k in keys}
    for payload in payloads:
        assert not any(word in payload for word in PERSONAL)
        assert all(m["id"] not in payload for m in saved["members"])  # opaque ids only
        parsed = check_signature(payload, published)  # offline: nothing but the public key
        assert parsed.counter == 1
        prefix, _, signature = payload.rpartition(".")
        Ed25519PublicKey.from_public_bytes(published[parsed.key_id]).verify(unb64(signature), prefix.encode())
    svg = await client.get("/api/households/me/qr.svg")
    png = await client.get("/api/households/me/qr.png")
    member = await client.get(f"/api/households/me/members/{saved['members'][1]['id']}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    assert png.content.startswith(b"\x89PNG") and member.status_code == 200
    assert (await client.get("/api/households/me/members/nobody/qr.svg")).status_code == 404
    assert not any(word in caplog.text for word in PERSONAL)


async def test_staff_verify_codes_and_forged_altered_or_revoked_ones_fail(
    client: Client, engine: AsyncEngine, settings: Any
) -> None:
    from litestar.testing import AsyncTestClient

    from server.app import create_app

    saved = await registered(client, engine)
    codes = (await client.get("/api/households/me/qr")).json()
    household, member = codes["household"], codes["members"][saved["members"][0]["id"]]
    async with AsyncTestClient(app=create_app(settings)) as staff:
        await sign_in(staff, engine, "staff")

        async def verify(code: str) -> Any:
            return await staff.post("/api/qr/verify", json={"qr": code})

        ok = (await verify(household)).json()
        assert ok["valid"] is True and ok["kind"] == "household" and ok["member"] is None
        assert (await verify(member)).json()["member"] == saved["members"][0]["id"]
        assert not any(word in str(ok) for word in PERSONAL)

        parts = household.split(".")
        altered = ".".join([*parts[:4], "2", parts[5]])
        other_key = Ed25519PrivateKey.generate()
        message = ".".join(parts[:5])
        forged = f"{message}.{b64(other_key.sign(message.encode()))}"
        for code, reason in ((altered, "does not match"), (forged, "does not match"), ("hello", "not a Bosai")):
            refused = await verify(code)
            assert refused.status_code == 422 and reason in refused.json()["detail"]

        reissued = (await client.post("/api/households/me/qr/reissue")).json()["code"]
        revoked = await verify(household)
        assert revoked.status_code == 422 and "revoked" in revoked.json()["detail"]
        assert (await verify(reissued)).status_code == 200
        await client.post("/api/households/me/qr/reissue", json={"memberId": saved["members"][0]["id"]})
        assert (await verify(member)).status_code == 422


def test_keys_come_as_base64_of_32_bytes() -> None:
    from server.settings import SecuritySettings, SettingsError

    with pytest.raises(SettingsError, match="32 bytes"):
        SecuritySettings.from_env({"BOSAI_DATA_KEY": base64.b64encode(b"short").decode()})
