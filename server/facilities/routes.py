"""GET /api/facilities, /api/facilities/nearest, /api/facilities/{id}."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter

from geo.codes import InvalidCodeError, normalize
from geo.kinds import FACILITY_KINDS, HAZARD_TYPES
from server.accounts.guards import anyone
from server.facilities import service
from server.facilities.schemas import FacilityCollection, FacilityDetail, Link, NearestCollection
from server.lib import params
from server.lib.errors import InvalidParameterError

GEOJSON = "application/geo+json"
MAX_PAGE = 1000
MAX_NEAREST = 50


def municipality_code(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        return normalize(raw)
    except InvalidCodeError as exc:
        raise InvalidParameterError("municipality", str(exc), "a 5- or 6-digit 全国地方公共団体コード") from None


class FacilityController(Controller):
    path = "/api/facilities"
    tags = ["facilities"]  # noqa: RUF012
    guards = [anyone]  # noqa: RUF012  # public: no personal data

    @get("/", media_type=GEOJSON, summary="Facilities as GeoJSON, filtered, with cursor paging")
    async def list_facilities(
        self,
        request: Request[object, object, State],
        state: State,
        municipality: FromQuery[str | None] = None,
        kind: FromQuery[str | None] = None,
        hazard: FromQuery[str | None] = None,
        bbox: FromQuery[str | None] = None,
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        source_id: Annotated[str | None, QueryParameter(name="sourceId")] = None,
        include_withdrawn: Annotated[str | None, QueryParameter(name="includeWithdrawn")] = None,
    ) -> FacilityCollection:
        where = service.FacilityFilter(
            municipality=municipality_code(municipality),
            kind=params.choice(kind, "kind", FACILITY_KINDS),
            hazard=params.choice(hazard, "hazard", HAZARD_TYPES),
            bbox=params.bbox(bbox),
            source_id=source_id or None,
            include_withdrawn=params.flag(include_withdrawn, "includeWithdrawn"),
        )
        size = params.whole(limit, "limit", 100, 1, MAX_PAGE)
        after = service.decode_cursor(cursor) if cursor else None
        async with state.read_engine.connect() as connection:
            features, last = await service.page(connection, where, size, after)
        next_cursor = service.encode_cursor(last) if last else None
        # Relative, like "next": a link built from the Host header would name whatever host a client chose.
        self_link = f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path
        links = [Link("self", self_link)]
        if next_cursor:
            query = {k: v for k, v in request.query_params.items() if k != "cursor"}
            links.append(Link("next", f"{request.url.path}?{urlencode({**query, 'cursor': next_cursor})}"))
        return FacilityCollection(features, len(features), next_cursor, links)

    @get(
        "/nearest",
        media_type=GEOJSON,
        summary="Nearest places suitable for a hazard (by default: away from the hazards here), with live status",
    )
    async def nearest(
        self,
        state: State,
        statuses_of: NamedDependency[service.StatusesOf],
        open_shelters: NamedDependency[service.OpenShelters],
        with_walking: NamedDependency[service.WithWalking],
        lat: FromQuery[str | None] = None,
        lon: FromQuery[str | None] = None,
        hazard: FromQuery[str | None] = None,
        kind: FromQuery[str | None] = None,
        limit: FromQuery[str | None] = None,
        include_inside: Annotated[str | None, QueryParameter(name="includeInside")] = None,
        walking: FromQuery[str | None] = None,
    ) -> NearestCollection:
        latitude, longitude = params.latitude(lat), params.longitude(lon)
        chosen_kind = params.choice(kind, "kind", FACILITY_KINDS)
        asked = (
            params.choice(hazard, "hazard", [*HAZARD_TYPES, service.ANY_HAZARD]),
            [chosen_kind] if chosen_kind else list(service.SHELTER_KINDS),
            params.flag(include_inside, "includeInside"),
        )
        size = params.whole(limit, "limit", 5, 1, MAX_NEAREST)
        on_foot = params.flag(walking, "walking")
        answer = await service.nearest(state.fast_pool, latitude, longitude, asked[0], asked[1], size, asked[2])
        answer = await service.with_nearest_open(
            state.fast_pool, state.read_engine, answer, asked, statuses_of, open_shelters
        )
        if on_foot:
            await with_walking(state.fast_pool, latitude, longitude, answer)
        return answer

    @get("/{facility_id:str}", media_type=GEOJSON, summary="One facility with every designation and source id")
    async def get_facility(
        self, state: State, facility_id: FromPath[str], status_of: NamedDependency[service.StatusOf]
    ) -> FacilityDetail:
        async with state.read_engine.connect() as connection:
            return await service.one(connection, facility_id, status_of)
