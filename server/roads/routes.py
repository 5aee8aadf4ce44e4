"""GET /api/routes: a walking route avoiding a hazard's zones, to a place or the nearest shelter."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

import server.facilities.service as facilities
from geo.kinds import HAZARD_TYPES
from server.accounts.guards import anyone
from server.lib import params
from server.lib.errors import InvalidParameterError, NotFoundError
from server.roads import routing
from server.roads.schemas import PROFILES, RouteFeature

GEOJSON = "application/geo+json"
#: Shelters looked at (nearest in a straight line) when choosing the nearest on foot.
CANDIDATES = 10
#: Shelter statuses that take no one in.
NOT_TAKING = frozenset({"closed", "full"})


def lat_lon(raw: str | None, name: str) -> routing.Place:
    """``LAT,LON`` in degrees."""
    allowed = "LAT,LON in degrees, e.g. 40.80,140.75"
    if raw is None or raw.strip() == "":
        raise InvalidParameterError(name, "is required", allowed)
    parts = raw.split(",")
    if len(parts) != 2:
        raise InvalidParameterError(name, f"{raw[:40]!r} is not LAT,LON", allowed)
    return routing.Place(params.latitude(parts[0], name), params.longitude(parts[1], name))


class RouteController(Controller):
    path = "/api/routes"
    tags = ["routes"]  # noqa: RUF012
    guards = [anyone]  # noqa: RUF012  # public: no personal data

    @get(
        "/",
        media_type=GEOJSON,
        summary="A walking route on the roads, avoiding a hazard's zones, to a place or the nearest open shelter",
    )
    async def route(
        self,
        state: State,
        statuses_of: NamedDependency[facilities.StatusesOf],
        from_: Annotated[str | None, QueryParameter(name="from")] = None,
        to: FromQuery[str | None] = None,
        hazard: FromQuery[str | None] = None,
        profile: FromQuery[str | None] = None,
        night: FromQuery[str | None] = None,
    ) -> RouteFeature:
        origin = lat_lon(from_, "from")
        options = routing.Options(
            params.choice(profile, "profile", list(PROFILES)) or "adult",
            params.choice(hazard, "hazard", HAZARD_TYPES),
            params.flag(night, "night"),
        )
        pool = state.fast_pool
        if to and "," in to:
            return await routing.route(pool, origin, [lat_lon(to, "to")], options)
        if to:
            try:
                uuid.UUID(to)
            except ValueError:
                raise InvalidParameterError(
                    "to", f"{to[:40]!r} is neither LAT,LON nor a facility id", "LAT,LON or a facility id (UUID)"
                ) from None
            return await routing.route(pool, origin, [await routing.facility_place(pool, to)], options)
        # The nearest open shelter on foot: among the nearest in a straight line that suit the
        # hazard and lie outside its zones, those not closed or full, by walking distance.
        nearest = await facilities.nearest(
            pool, origin.lat, origin.lon, options.hazard, list(facilities.SHELTER_KINDS), CANDIDATES, False
        )
        async with state.read_engine.connect() as connection:
            nearest = await facilities.with_status(connection, nearest, statuses_of)
        places = [
            routing.Place(f.geometry.coordinates[1], f.geometry.coordinates[0], f.id, f.properties.name)
            for f in nearest.features
            if f.properties.status is None or f.properties.status.status not in NOT_TAKING
        ]
        if not places:
            raise NotFoundError("no open shelter suits this hazard near the point", reason="no_shelter")
        return await routing.route(pool, origin, places, options)
