"""Push subscriptions (anyone: no account needed, changed only with the token given when made),
the VAPID public key, and the alerts residents read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody

from geo.codes import InvalidCodeError, normalize
from server.accounts.guards import HEADQUARTERS, Caller, Session, anyone, signed_in_as
from server.alerts import orders, service
from server.alerts.cap_routes import cap_response
from server.alerts.detail import detail
from server.alerts.schemas import (
    MAX_RADIUS_M,
    MIN_RADIUS_M,
    AlertDetail,
    AlertList,
    DeliveryCounts,
    EvacuationOrderIn,
    EvacuationOrderOut,
    SubscriptionChange,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
    Unsubscribed,
    VapidPublicKey,
)
from server.lib.errors import InvalidParameterError, NotFoundError, ServiceUnavailableError
from server.lib.keys import b64

PushToken = Annotated[
    str | None,
    HeaderParameter(
        name=service.TOKEN_HEADER,
        max_length=128,
        required=False,
        description="The token answered when the subscription was made.",
    ),
]
PUBLIC = [anyone]
RESIDENT = [signed_in_as("resident")]
NO_STORE = {"Cache-Control": "no-store"}


class PushController(Controller):
    path = "/api/push"
    tags = ["alerts"]  # noqa: RUF012
    guards = PUBLIC

    @get("/key", summary="The VAPID public key (applicationServerKey for pushManager.subscribe)")
    async def key(self, state: State) -> VapidPublicKey:
        if state.vapid is None:
            raise ServiceUnavailableError("BOSAI_VAPID_KEY is not set (`bosai keys generate` makes it)")
        return VapidPublicKey(public_key=b64(state.vapid.public))

    @post("/subscriptions", summary="Subscribe a browser to alerts for its areas; answers the id and its token")
    async def subscribe(
        self, request: Request[object, object, State], session: Session, data: JSONBody[SubscriptionIn]
    ) -> Response[SubscriptionCreated]:
        created = await service.subscribe(session, data, request.app.state.settings.push)
        body = SubscriptionCreated(id=str(created.id), token=created.token)
        return Response(body, status_code=201 if created.new else 200, headers=NO_STORE)

    @get("/subscriptions/{subscription_id:str}", summary="What a subscription receives (with its token)")
    async def read(self, session: Session, subscription_id: FromPath[str], token: PushToken) -> SubscriptionOut:
        return await service.read(session, subscription_id, token)

    @put("/subscriptions/{subscription_id:str}", summary="Change a subscription's areas, languages or kinds")
    async def change(
        self,
        request: Request[object, object, State],
        session: Session,
        subscription_id: FromPath[str],
        token: PushToken,
        data: JSONBody[SubscriptionChange],
    ) -> SubscriptionOut:
        return await service.change(session, subscription_id, token, data, request.app.state.settings.push)

    @put(
        "/subscriptions/{subscription_id:str}/family",
        guards=RESIDENT,
        summary="Receive my groups' safety news on this browser (my session and the subscription's token)",
    )
    async def family_on(
        self, session: Session, caller: Caller, subscription_id: FromPath[str], token: PushToken
    ) -> SubscriptionOut:
        return await service.link_family(session, subscription_id, token, caller.account_id)

    @delete(
        "/subscriptions/{subscription_id:str}/family",
        guards=RESIDENT,
        summary="Stop receiving my groups' safety news on this browser",
        status_code=200,
    )
    async def family_off(
        self, session: Session, caller: Caller, subscription_id: FromPath[str], token: PushToken
    ) -> SubscriptionOut:
        return await service.link_family(session, subscription_id, token, None)

    @delete(
        "/subscriptions/{subscription_id:str}", summary="Unsubscribe: everything about it is deleted", status_code=200
    )
    async def remove(self, session: Session, subscription_id: FromPath[str], token: PushToken) -> Unsubscribed:
        await service.unsubscribe(session, subscription_id, token)
        return Unsubscribed(id=subscription_id, deleted=True)


def circle(near: str) -> tuple[float, float, int]:
    """``lat,lon,radiusM`` as a place on the map and a radius My Areas would take."""
    try:
        lat_text, lon_text, radius_text = near.split(",")
        lat, lon, radius = float(lat_text), float(lon_text), int(radius_text)
    except ValueError:
        raise InvalidParameterError("near", "expected lat,lon,radiusM (e.g. 40.82,140.74,500)") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidParameterError("near", "latitude or longitude out of range")
    if not MIN_RADIUS_M <= radius <= MAX_RADIUS_M:
        raise InvalidParameterError("near", f"radiusM must be {MIN_RADIUS_M}–{MAX_RADIUS_M}")
    return lat, lon, radius


class AlertController(Controller):
    path = "/api/alerts"
    tags = ["alerts"]  # noqa: RUF012

    @get(
        "/",
        guards=PUBLIC,
        summary="Alerts in force and past, newest first (never exercises or tests); for a municipality, or "
        "near a point (`near=lat,lon,radiusM`: its municipality's, and those whose area reaches the circle)",
    )
    async def list_alerts(
        self,
        session: Session,
        municipality: FromQuery[str | None] = None,
        since: FromQuery[str | None] = None,
        near: FromQuery[str | None] = None,
    ) -> AlertList:
        code = None
        if municipality:
            try:
                code = normalize(municipality)
            except InvalidCodeError as exc:
                raise InvalidParameterError("municipality", str(exc)) from None
        after = None
        if since:
            try:
                after = datetime.fromisoformat(since)
            except ValueError:
                raise InvalidParameterError("since", "expected an ISO 8601 date and time") from None
            if after.tzinfo is None:
                raise InvalidParameterError("since", "needs a time zone (e.g. 2026-11-29T09:00:00+09:00)")
        return AlertList(alerts=await service.listing(session, code, after, circle(near) if near else None))

    @get(
        "/{alert_id:str}",
        guards=PUBLIC,
        summary="One alert: headlines in every language, its area, the shelters named, free text as written "
        "(`{id}.cap`: as a CAP 1.2 message)",
    )
    async def read(
        self, request: Request[object, object, State], session: Session, alert_id: FromPath[str]
    ) -> AlertDetail | Response[bytes]:
        if alert_id.endswith(".cap"):  # a path parameter is a whole segment: the format is read here
            return await cap_response(
                session, alert_id.removesuffix(".cap"), request.app.state.settings.server.base_url
            )
        return await detail(session, await service.get(session, alert_id))

    @post(
        "/",
        guards=[signed_in_as(*HEADQUARTERS)],
        summary="Issue evacuation information (レベル3–5, or 解除 with cancels); dryRun: how many it reaches",
    )
    async def issue(
        self, session: Session, caller: Caller, data: JSONBody[EvacuationOrderIn]
    ) -> Response[EvacuationOrderOut]:
        out = await orders.order(session, caller, data)
        return Response(out, status_code=200 if out.dry_run else 201)

    @get(
        "/{alert_id:str}/deliveries",
        guards=[signed_in_as(*HEADQUARTERS)],
        summary="An alert's deliveries by state (queued, sent, failed, removed, expired)",
    )
    async def deliveries(self, session: Session, caller: Caller, alert_id: FromPath[str]) -> DeliveryCounts:
        alert = await service.get(session, alert_id)
        if "prefectural_hq" not in caller.roles and not set(alert.municipalities) & caller.municipalities(
            "municipal_hq"
        ):
            raise NotFoundError("no such alert in your municipality")
        return await service.counts(session, alert.id)
