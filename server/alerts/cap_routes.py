"""CAP 1.2 out: one alert (``GET /api/alerts/{id}.cap``, answered by the alert route) and the Atom
feed of the latest alerts as CAP (``GET /api/alerts.atom``) for signage, relays and other
municipalities' systems. Exercises and tests are never in the feed, as in the residents' list."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.params import FromQuery
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from geo.codes import InvalidCodeError, normalize
from server.accounts.guards import Session, anyone
from server.alerts.cap import CAP_TYPE, exported, to_atom, to_cap
from server.alerts.models import Alert
from server.alerts.service import get as get_alert
from server.lib.errors import InvalidParameterError

FEED_SIZE = 100
# Relays poll: a minute of caching costs them nothing an alert needs.
CACHE = {"Cache-Control": "public, max-age=30"}


async def cap_response(session: AsyncSession, alert_id: str, base_url: str) -> Response[bytes]:
    alert = await get_alert(session, alert_id)
    (item,) = await exported(session, [alert])
    return Response(to_cap(item, base_url), media_type=CAP_TYPE, headers=CACHE)


class CapFeedController(Controller):
    path = "/api"
    tags = ["alerts"]  # noqa: RUF012

    @get(
        "/alerts.atom",
        guards=[anyone],
        summary="The latest alerts as an Atom feed of CAP 1.2 messages (never exercises or tests)",
        media_type="application/atom+xml",
    )
    async def feed(
        self, request: Request[object, object, State], session: Session, municipality: FromQuery[str | None] = None
    ) -> Response[bytes]:
        query = select(Alert).where(Alert.status == "actual").order_by(Alert.issued_at.desc()).limit(FEED_SIZE)
        if municipality:
            try:
                query = query.where(Alert.municipalities.overlap([normalize(municipality)]))
            except InvalidCodeError as exc:
                raise InvalidParameterError("municipality", str(exc)) from None
        alerts = list((await session.scalars(query)).all())
        base_url = request.app.state.settings.server.base_url
        updated = max((a.updated_at for a in alerts), default=datetime.now(UTC))
        body = to_atom(
            await exported(session, alerts), base_url, self_url=f"{base_url}/api/alerts.atom", updated=updated
        )
        return Response(body, media_type="application/atom+xml", headers=CACHE)
