"""Load the synthetic demo — idempotently, so `make run` twice is safe.

Both demo towns come through the importer, as a municipality's real data would: the demo city
見本市 from its own files (fixtures/demo/, in Bosai's GeoJSON: a showcase with every kind of
facility, which the national formats cannot all say), its neighbour 見本町 from the project's
open-data fixtures (fixtures/import/). Facilities are matched by their source id and updated in
place, so their ids (and anything that refers to them) survive a reload.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from geo.importers.base import ImportFailure, Options
from server.accounts.models import Account
from server.db.engine import session_factory
from server.facilities.models import Facility
from server.households.schemas import Stay
from server.imports.service import FileSummary, import_staged
from server.imports.sources import stage_paths
from server.lib.keys import Keys
from server.municipalities.models import Municipality
from server.roads.service import RoadImport, import_roads
from server.settings import ImportSettings

DEMO_CODE = "029998"
# The demo city's files, boundary first (the places and zones it contains come after); they name
# no municipality, as a town's own files often do not: the operator's --municipality says it.
DEMO_FILES = ("municipality.geojson", "facilities.geojson", "hazards.geojson")


class DemoImportError(RuntimeError):
    """A demo file the importer refused: the fixtures and the importer disagree."""


async def _import(engine: AsyncEngine, paths: list[Path], options: Options) -> list[FileSummary]:
    """The files under ``paths`` through the importer's service, one at a time, as `bosai import`
    imports them."""
    with tempfile.TemporaryDirectory(prefix="bosai-demo-") as staging:
        return [
            await import_staged(engine, file, options) for file in stage_paths(paths, Path(staging), ImportSettings())
        ]


async def load_demo(engine: AsyncEngine, folder: Path) -> str:
    """Import the demo city's files, as `bosai import --municipality 029998` would; return a
    one-line summary."""
    boundary, facilities, zones = await _import(
        engine, [folder / name for name in DEMO_FILES], Options(municipality=DEMO_CODE)
    )
    failed = [error for s in (boundary, facilities, zones) for error in s.errors]
    if failed:
        raise DemoImportError("; ".join(str(ImportFailure(**e)) for e in failed[:5]))
    async with session_factory(engine)() as session:
        name = await session.scalar(select(Municipality.name).where(Municipality.code == DEMO_CODE))
    return (
        f"demo municipality {name} ({DEMO_CODE}): {facilities.read} facilities "
        f"({facilities.created} created, {facilities.updated} updated), {zones.read} hazard zones"
    )


# The import fixtures the demo loads, in order (boundaries before the places they contain), with
# what the operator would say on the command line.
DEMO_IMPORTS = (
    ("areas", Options()),
    # The town's own boundary file: its kana and English name, which N03 does not have.
    ("municipal/029980_municipality.geojson", Options()),
    ("facilities", Options()),
    ("inland_flood", Options(hazard="inland_flood", rank_attribute="浸水深")),
    # The town's own lists and past floods: the kinds of place only municipal lists have.
    ("municipal/029980_tsunami_buildings_bom.csv", Options(kind="tsunami_building")),
    ("municipal/029980_care_facilities.csv", Options(kind="care_facility")),
    (
        "municipal/public_facilities.csv",
        Options(
            kind="public_facility", municipality="029980", columns=(("name", "施設"), ("lat", "北緯"), ("lon", "東経"))
        ),
    ),
    ("municipal/029980_flood_history.shp", Options(hazard="flood_history", municipality="029980")),
)


async def import_demo_files(engine: AsyncEngine, folder: Path) -> list[FileSummary]:
    """Import the good files among the import fixtures (not those in broken/)."""
    return [
        summary
        for subfolder, options in DEMO_IMPORTS
        for summary in await _import(engine, [folder / subfolder], options)
    ]


# Both demo towns' street grid (fixtures/make_roads.py), imported once per town: each keeps the
# streets inside its boundary, as `bosai import roads.osm --municipality CODE` would.
DEMO_ROADS = "roads.osm"
DEMO_ROAD_TOWNS = (DEMO_CODE, "029980")


async def import_demo_roads(engine: AsyncEngine, folder: Path) -> list[RoadImport]:
    """The demo towns' streets through the roads importer (after their boundaries)."""
    return [await import_roads(engine, folder / DEMO_ROADS, code) for code in DEMO_ROAD_TOWNS]


DEMO_PASSWORD = "bosai-demo-2026"  # noqa: S105 - demo mode only: printed by `bosai demo` so a newcomer can try every role


async def demo_accounts(engine: AsyncEngine) -> list[tuple[str, str]]:
    """One account per staff and headquarters role (idempotent); (e-mail, what it may do)."""
    from server.accounts.service import RoleRequest, add_operator

    async with session_factory(engine)() as session, session.begin():
        shelter = await session.scalar(
            select(Facility.id)
            .join(Municipality, Municipality.id == Facility.municipality_id)
            .where(Municipality.code == DEMO_CODE, Facility.kinds.contains(["designated_shelter"]))
            .order_by(Facility.name)
            .limit(1)
        )
        accounts = [
            ("staff@demo.bosai.example", RoleRequest("staff", shelters=[str(shelter)]), "shelter staff"),
            ("city-hq@demo.bosai.example", RoleRequest("municipal_hq", DEMO_CODE), "見本市 headquarters"),
            ("pref-hq@demo.bosai.example", RoleRequest("prefectural_hq"), "prefectural headquarters"),
            ("data-admin@demo.bosai.example", RoleRequest("data_admin"), "data admin (imports)"),
        ]
        for email, role, _ in accounts:
            account = await session.scalar(select(Account).where(Account.email == email))
            if account is not None:  # roles kept from the first run
                continue
            await add_operator(session, email, DEMO_PASSWORD, [role])
    return [(email, what) for email, _, what in accounts]


DEMO_EVENT = "見本川 大雨 (デモ)"
# Shelters opened in the demo event, by the order of their names among 見本市's designated
# shelters (the first is the demo staff's), with a capacity small enough to show a fill level.
DEMO_SHELTERS = (40, 60, 22, 80)
# Walk-ins registered at those shelters: (shelter index, members (name, kana, care needs), pets, stay).
DEMO_WALK_INS: tuple[tuple[int, list[tuple[str, str, dict[str, Any]]], int, Stay], ...] = (
    (0, [("青木 正", "あおき ただし", {"mobility": "wheelchair"}), ("青木 節子", "あおき せつこ", {})], 0, "inside"),
    (0, [("石田 美香", "いしだ みか", {"pregnancy": True}), ("石田 陽", "いしだ ひなた", {"infant": True})], 1, "car"),
    (0, [("上野 勇", "うえの いさむ", {"medication": "降圧剤"})], 0, "inside"),
    (1, [("江藤 和子", "えとう かずこ", {"mobility": "cane", "allergy": "卵"})], 0, "inside"),
    (1, [("Maria Santos", "まりあ さんとす", {"language_needs": "English"})], 0, "inside"),
    (
        2,
        [(f"岡田 {n}", f"おかだ {k}", {}) for n, k in (("剛", "つよし"), ("恵", "めぐみ"), ("翔", "しょう"))],
        2,
        "outdoor",
    ),
    (2, [(f"加藤 {n}", f"かとう {k}", {}) for n, k in (("博", "ひろし"), ("幸", "さち"))], 0, "inside"),
    (2, [(f"木村 {n}", f"きむら {k}", {}) for n, k in (("誠", "まこと"), ("舞", "まい"), ("蓮", "れん"))], 0, "inside"),
    (2, [(f"小林 {n}", f"こばやし {k}", {}) for n, k in (("修", "おさむ"), ("泉", "いずみ"))], 0, "inside"),
    (2, [(f"佐々木 {n}", f"ささき {k}", {}) for n, k in (("茂", "しげる"), ("光", "ひかる"))], 0, "inside"),
    (2, [(f"鈴木 {n}", f"すずき {k}", {}) for n, k in (("勉", "つとむ"), ("愛", "あい"), ("陸", "りく"))], 0, "inside"),
    (2, [(f"田中 {n}", f"たなか {k}", {}) for n, k in (("実", "みのる"), ("楓", "かえで"))], 0, "inside"),
    (2, [(f"中村 {n}", f"なかむら {k}", {}) for n, k in (("進", "すすむ"), ("結", "ゆい"))], 0, "inside"),
)


async def demo_event(engine: AsyncEngine, keys: Keys) -> str:
    """An open event in 見本市 with a few shelters and walk-ins checked in, so the dashboard is
    alive on first start (made once: a later run leaves it, and what was done in it, as it is)."""
    from server.accounts.service import Principal, Scope
    from server.alerts.shelters import announce_opening
    from server.households.schemas import CareNeeds, EvacueeCard, Member, Pet
    from server.shelters.models import DisasterEvent
    from server.shelters.people import register_walk_in
    from server.shelters.schemas import Needs, ShelterUpdate
    from server.shelters.service import open_event, set_shelter, update_shelter

    async with session_factory(engine)() as session, session.begin():
        existing = await session.scalar(
            select(DisasterEvent).where(DisasterEvent.name == DEMO_EVENT, DisasterEvent.status == "open")
        )
        if existing is not None:
            return f"demo event {DEMO_EVENT} is open ({existing.id})"
        event = await open_event(session, "flood", DEMO_EVENT, [DEMO_CODE])
        await session.flush()
        facilities = (
            await session.scalars(
                select(Facility)
                .join(Municipality, Municipality.id == Facility.municipality_id)
                .where(Municipality.code == DEMO_CODE, Facility.kinds.contains(["designated_shelter"]))
                .order_by(Facility.name)
                .limit(len(DEMO_SHELTERS))
            )
        ).all()
        for facility, capacity in zip(facilities, DEMO_SHELTERS, strict=True):
            await set_shelter(
                session, str(event.id), str(facility.id), open_=True, capacity=capacity, on_open=announce_opening
            )
        await session.flush()
        # The demo's prefectural headquarters (demo_accounts made it) registers the walk-ins.
        hq_account = await session.scalar(select(Account.id).where(Account.email == "pref-hq@demo.bosai.example"))
        assert hq_account is not None  # noqa: S101 - demo_accounts runs first
        hq = Principal(hq_account, "operator", None, (Scope("prefectural_hq"),), "")
        people = 0
        for n, (index, members, pets, stay) in enumerate(DEMO_WALK_INS):
            card = EvacueeCard(
                members=[
                    Member(
                        name=name, kana=kana, relationship="self" if i == 0 else "other", care_needs=CareNeeds(**care)
                    )
                    for i, (name, kana, care) in enumerate(members)
                ],
                pets=[Pet(kind="dog")] * pets,
                stay=stay,
            )
            await register_walk_in(session, keys, hq, str(facilities[index].id), f"demo-walk-in-{n:03}", card)
            people += len(members)
        needs = Needs(supplies_short="毛布、粉ミルク", sick=1)
        await update_shelter(session, hq, str(facilities[0].id), ShelterUpdate(needs=needs))
        await update_shelter(session, hq, str(facilities[2].id), ShelterUpdate(pets_accepted=True))
    return f"demo event {DEMO_EVENT}: {len(facilities)} shelters open, {people} people checked in"
