"""PFIF 1.4: the export validates against the PFIF 1.4 schema and holds only consented records,
mapped as the issue says; another registry's file imports into a registry inquiries search
(unknown elements ignored, malformed files refused naming the element, nothing half-stored, the
same file twice changes nothing); and an export imports back as the same persons."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from lxml import etree
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.service import RoleRequest, add_operator
from server.app import create_app
from server.cli import main
from server.db.engine import session_factory
from server.safety import pfif
from server.settings import Settings
from tests.conftest import TEST_KEYS
from tests.server.roles import PASSWORD, Client, an_open_shelter
from tests.server.safety.test_safety import ALICE, PHONE, key, operator, qr_of, resident

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "pfif"
SCHEMA = etree.XMLSchema(etree.parse(str(FIXTURES / "pfif-1.4.xsd")))
NS = {"pfif": pfif.NS}
DAVE = {"members": [{"name": "見本 大介", "relationship": "self"}], "home": {"lat": 40.8, "lon": 140.76}}
CAROL = {"members": [{"name": "見本 京子", "relationship": "self"}]}


@pytest.fixture
async def clients() -> AsyncIterator[list[Client]]:
    made: list[Client] = []
    yield made
    for client in made:
        await client.__aexit__(None, None, None)


async def bosai(database_url: str, *args: str) -> Any:
    """The command, in a thread of its own (it runs its own event loop)."""
    env = {"DATABASE_URL": database_url, **TEST_KEYS}
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env)


async def an_event(engine: AsyncEngine) -> tuple[str, str]:
    """The open event with the test shelter, in 見本市 (029998, whose boundary holds the homes):
    (event id, shelter id)."""
    shelter = await an_open_shelter(engine)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE municipality SET boundary = ST_Multi(ST_MakeEnvelope(140.7, 40.7, 140.9, 40.9, 4326)) "
                "WHERE code = '029998'"
            )
        )
        event = str(await connection.scalar(text("SELECT event_id FROM shelter_operation LIMIT 1")))
        await connection.execute(
            text(
                "INSERT INTO disaster_event_municipality (event_id, municipality_id) "
                "SELECT :e, id FROM municipality WHERE code = '029998' ON CONFLICT DO NOTHING"
            ),
            {"e": event},
        )
    return event, shelter


async def people_with_statuses(settings: Settings, engine: AsyncEngine, clients: list[Client]) -> tuple[str, str]:
    """Alice (consents to inquiries; safe, then checked in at the shelter), Dave (consents; needs
    help), Carol (does not consent; injured), Bob (consents, no household: no name to export)."""
    event, shelter = await an_event(engine)
    alice = await resident(settings, engine, ALICE)
    dave = await resident(settings, engine, DAVE)
    carol = await resident(settings, engine, CAROL)
    bob = await resident(settings, engine)
    staff = await operator(settings, engine, "prefectural_hq")
    clients += [alice, dave, carol, bob, staff]
    for who in (alice, dave, bob):
        consented = await who.put(
            "/api/safety/consent", json={"answerInquiries": True, "autoCheckin": True, "phone": PHONE}
        )
        assert consented.status_code == 200, consented.text
    secret = {
        "status": "safe",
        "message": "秘密の伝言",
        "location": {"lat": 40.8123, "lon": 140.7611, "precision": "exact"},
    }
    assert (await alice.put("/api/safety/status", json=secret, headers=key())).status_code == 201
    checked_in = await staff.post("/api/checkins", json={"shelterId": shelter, "qr": await qr_of(alice)}, headers=key())
    assert checked_in.status_code == 201, checked_in.text
    assert (await dave.put("/api/safety/status", json={"status": "needs_help"}, headers=key())).status_code == 201
    assert (await carol.put("/api/safety/status", json={"status": "injured"}, headers=key())).status_code == 201
    assert (await bob.put("/api/safety/status", json={"status": "safe"}, headers=key())).status_code == 201
    return event, shelter


def persons(document: bytes) -> dict[str, etree._Element]:
    root = etree.fromstring(document)
    return {p.findtext("pfif:full_name", "", namespaces=NS): p for p in root.findall("pfif:person", NS)}


def notes(person: etree._Element) -> list[dict[str, str | None]]:
    return [{child.tag.split("}")[1]: child.text for child in note} for note in person.findall("pfif:note", NS)]


async def test_the_export_is_valid_pfif_1_4_of_consented_records_mapped_and_audited(
    settings: Settings, engine: AsyncEngine, clients: list[Client]
) -> None:
    event, _ = await people_with_statuses(settings, engine, clients)
    hq = await operator(settings, engine, "municipal_hq")
    clients.append(hq)
    answer = await hq.get(f"/api/events/{event}/pfif.xml")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/xml")
    document = etree.fromstring(answer.content)
    SCHEMA.assertValid(document)

    found = persons(answer.content)
    assert set(found) == {"山田 花子", "見本 大介"}  # Carol did not consent; Bob has no name to give
    alice = notes(found["山田 花子"])
    assert [n.get("status") for n in alice] == ["believed_alive", None]
    assert alice[0]["author_made_contact"] == "true"
    assert alice[1]["last_known_location"] == "中央小学校" and "(at shelter)" in (alice[1]["text"] or "")
    dave = notes(found["見本 大介"])
    assert dave == [dave[0]] and "(needs help)" in (dave[0]["text"] or "") and "status" not in dave[0]
    # Never a message or a location: only what an inquiry may show, the name and the shelter.
    assert "秘密の伝言".encode() not in answer.content and b"40.8123" not in answer.content
    async with engine.connect() as connection:
        logged = (
            await connection.execute(
                text("SELECT subject, details FROM audit_event WHERE action = 'safety.pfif_export'")
            )
        ).one()
    assert logged.subject == f"event:{event}" and len(logged.details["people"]) == 2 and logged.details["notes"] == 3


async def test_municipal_headquarters_export_only_their_municipality(
    settings: Settings, engine: AsyncEngine, clients: list[Client]
) -> None:
    event, _ = await people_with_statuses(settings, engine, clients)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO municipality (id, code, name, prefecture) "
                "VALUES (gen_random_uuid(), '029980', '隣町', '青森県')"
            )
        )
    async with session_factory(engine)() as session, session.begin():
        await add_operator(session, "neighbour-hq@test.example", PASSWORD, [RoleRequest("municipal_hq", "029980", [])])
    neighbour: Client = AsyncTestClient(app=create_app(settings))
    await neighbour.__aenter__()
    clients.append(neighbour)
    signed = await neighbour.post("/api/auth/login", json={"email": "neighbour-hq@test.example", "password": PASSWORD})
    neighbour.headers["X-CSRF-Token"] = signed.json()["csrfToken"]
    answer = await neighbour.get(f"/api/events/{event}/pfif.xml")
    assert answer.status_code == 200, answer.text
    SCHEMA.assertValid(etree.fromstring(answer.content))
    assert persons(answer.content) == {}
    assert (await neighbour.get(f"/api/events/{uuid.uuid4()}/pfif.xml")).status_code == 404
    assert (await neighbour.get("/api/events/not-an-id/pfif.xml")).status_code == 400


async def test_another_registrys_file_imports_into_what_inquiries_search(
    settings: Settings, database_url: str, engine: AsyncEngine, clients: list[Client]
) -> None:
    event, _ = await an_event(engine)
    done = await bosai(database_url, "safety", "import-pfif", str(FIXTURES / "another-registry.xml"), "--event", event)
    assert done.exit_code == 0, done.output
    assert "2 persons new, 0 updated, 3 notes" in done.output
    assert "2 elements PFIF 1.4 does not define were ignored" in done.output
    assert "1 notes naming a person not in the file were skipped" in done.output

    asker = await resident(settings, engine)
    clients.append(asker)
    # 佐藤 一郎: believed alive by the newest note, which carries his phone number.
    found = (await asker.get("/api/safety/inquiry", params={"name": "佐藤一郎", "phone": "09022223333"})).json()
    assert found == {"found": True, "status": "safe", "at": "2026-11-21T08:30:00+00:00"}
    wrong = await asker.get("/api/safety/inquiry", params={"name": "佐藤一郎", "phone": "09000000000"})
    assert wrong.json()["found"] is False
    # 鈴木 良子 has no phone in the file: found by her full name, at the shelter a note names.
    named = (await asker.get("/api/safety/inquiry", params={"name": "鈴木 良子", "phone": "0000000"})).json()
    assert named["found"] is True and named["status"] == "at_shelter"
    async with engine.connect() as connection:
        assert (
            await connection.scalar(text("SELECT count(*) FROM audit_event WHERE action = 'safety.registry_inquiry'"))
            == 2
        )
        # Only hashes and the status are in clear: no name in the table.
        assert (
            await connection.scalar(
                text("SELECT count(*) FROM safety_registry WHERE encode(sealed, 'escape') LIKE '%佐藤%'")
            )
            == 0
        )
        before = (await connection.execute(text("SELECT id, person_record_id FROM safety_registry ORDER BY 2"))).all()

    again = await bosai(database_url, "safety", "import-pfif", str(FIXTURES / "another-registry.xml"), "--event", event)
    assert again.exit_code == 0, again.output
    assert "0 persons new, 2 updated" in again.output
    async with engine.connect() as connection:
        after = (await connection.execute(text("SELECT id, person_record_id FROM safety_registry ORDER BY 2"))).all()
    assert after == before  # the same rows: re-import is idempotent by person_record_id
    async with session_factory(engine)() as session:
        registry = await pfif.registry_persons(session, _keys(settings), uuid.UUID(event))
    assert [(p["fullName"], p["notes"]) for p in registry] == [("佐藤 一郎", 2), ("鈴木 良子", 1)]


def _keys(settings: Settings) -> Any:
    from server.lib.keys import load_keys

    return load_keys(settings)


GOOD_PERSON = """  <pfif:person>
    <pfif:person_record_id>volunteers.example.jp/person.1</pfif:person_record_id>
    <pfif:source_date>2026-11-20T03:00:00Z</pfif:source_date>
    <pfif:full_name>見本 一</pfif:full_name>
  </pfif:person>
"""
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4">\n'


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (
            HEAD + GOOD_PERSON + "  <pfif:person>\n    <pfif:person_record_id>v.example/p.2</pfif:person_record_id>\n"
            "    <pfif:full_name>二</pfif:full_name>\n    <pfif:note>\n"
            "      <pfif:note_record_id>v.example/n.1</pfif:note_record_id>\n"
            "      <pfif:status>alive</pfif:status>\n    </pfif:note>\n  </pfif:person>\n</pfif:pfif>\n",
            "line 13: <pfif:status> 'alive' is not a PFIF 1.4 note status",
        ),
        (
            HEAD + GOOD_PERSON + "  <pfif:person>\n    <pfif:full_name>名無し</pfif:full_name>\n  </pfif:person>\n"
            "</pfif:pfif>\n",
            "line 8: <pfif:person> has no person_record_id",
        ),
        (
            HEAD + GOOD_PERSON + "  <pfif:person>\n    <pfif:person_record_id>v.example/p.3</pfif:person_record_id>\n"
            "    <pfif:source_date>yesterday</pfif:source_date>\n    <pfif:full_name>三</pfif:full_name>\n"
            "  </pfif:person>\n</pfif:pfif>\n",
            "line 10: <pfif:source_date> 'yesterday' is not a date",
        ),
        (
            HEAD + GOOD_PERSON + "  <pfif:person>\n</pfif:pfif>\n",
            "line 9: not well-formed XML: Opening and ending tag mismatch: person line 8",
        ),
        (
            '<?xml version="1.0"?>\n<pfif xmlns="http://zesty.ca/pfif/1.2"></pfif>\n',
            "line 2: the root element is <pfif> in http://zesty.ca/pfif/1.2",
        ),
    ],
)
async def test_a_malformed_file_is_refused_naming_the_element_and_nothing_is_stored(
    database_url: str, engine: AsyncEngine, tmp_path: Path, body: str, named: str
) -> None:
    event, _ = await an_event(engine)
    path = tmp_path / "bad.xml"
    path.write_text(body, encoding="utf-8")
    refused = await bosai(database_url, "safety", "import-pfif", str(path), "--event", event)
    assert refused.exit_code == 1, refused.output
    assert named in refused.output and "nothing was imported" in refused.output
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM safety_registry")) == 0


async def test_an_unknown_event_or_missing_file_is_refused(database_url: str, engine: AsyncEngine) -> None:
    await an_event(engine)
    unknown = await bosai(
        database_url, "safety", "import-pfif", str(FIXTURES / "another-registry.xml"), "--event", str(uuid.uuid4())
    )
    assert unknown.exit_code == 1 and "no disaster event" in unknown.output
    bad_id = await bosai(database_url, "safety", "import-pfif", str(FIXTURES / "another-registry.xml"), "--event", "x")
    assert bad_id.exit_code == 1 and "is not an id" in bad_id.output


async def test_an_export_imports_back_as_the_same_persons(
    settings: Settings, database_url: str, engine: AsyncEngine, clients: list[Client], tmp_path: Path
) -> None:
    event, _ = await people_with_statuses(settings, engine, clients)
    hq = await operator(settings, engine, "prefectural_hq")
    clients.append(hq)
    exported = (await hq.get(f"/api/events/{event}/pfif.xml")).content
    path = tmp_path / "export.xml"
    path.write_bytes(exported)
    done = await bosai(database_url, "safety", "import-pfif", str(path), "--event", event)
    assert done.exit_code == 0, done.output
    assert "2 persons new" in done.output and "ignored" not in done.output

    sent = {
        p.findtext("pfif:person_record_id", namespaces=NS): (name, len(notes(p)))
        for name, p in persons(exported).items()
    }
    async with session_factory(engine)() as session:
        registry = await pfif.registry_persons(session, _keys(settings), uuid.UUID(event))
    assert {p["personRecordId"]: (p["fullName"], p["notes"]) for p in registry} == sent
    statuses = {p["fullName"]: p["status"] for p in registry}
    assert statuses == {"山田 花子": "at_shelter", "見本 大介": "needs_help"}
