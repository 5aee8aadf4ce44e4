"""``GET /api/events/{id}/pfif.xml``: headquarters export the event's consented safety records as
PFIF 1.4, for Person Finder and other registries (each export audit-logged)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.params import FromPath

from server.accounts.guards import HEADQUARTERS, Caller, DataKeys, Session, signed_in_as
from server.safety import pfif
from server.shelters.service import parse_id


class PfifController(Controller):
    path = "/api/events"
    tags = ["safety"]  # noqa: RUF012

    @get(
        "/{event_id:str}/pfif.xml",
        guards=[signed_in_as(*HEADQUARTERS)],
        summary="The event's safety records people let inquiries find, as PFIF 1.4 (municipal: their municipality)",
        media_type="application/xml",
    )
    async def export(
        self, state: State, session: Session, caller: Caller, keys: DataKeys, event_id: FromPath[str]
    ) -> Response[bytes]:
        settings: Any = state.settings
        event = parse_id(event_id, "eventId")
        document, _, _ = await pfif.export(
            session,
            keys,
            caller,
            event,
            pfif.domain_of(settings.server.base_url),
            settings.safety.expiry_days,
        )
        return Response(
            document,
            media_type="application/xml; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="bosai-{event}.pfif.xml"',
                "Cache-Control": "no-store",
            },
        )
