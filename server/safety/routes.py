"""Family safety status: groups and invites, my status and consent (residents); a walk-in's status
set by staff from the evacuee card; inquiries by anyone (only what the person consented to show,
rate-limited and audit-logged); counts and consenting people for headquarters (audit-logged)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from server.accounts.guards import (
    HEADQUARTERS,
    OPERATORS,
    Caller,
    DataKeys,
    Session,
    anyone,
    client_bucket,
    signed_in_as,
)
from server.accounts.service import audit
from server.lib import qrimage
from server.lib.errors import InvalidParameterError
from server.safety import service
from server.safety.models import SafetyStatus
from server.safety.schemas import (
    Asked,
    AskRequest,
    Consent,
    ConsentRecord,
    Group,
    GroupCreated,
    GroupRequest,
    Groups,
    HqCounts,
    HqPeople,
    InquiryAnswer,
    InquiryForbid,
    Invite,
    JoinRequest,
    Left,
    SafetyMe,
    StatusRecord,
    StatusRequest,
    WalkInStatusRequest,
)
from server.shelters.service import parse_id

# How a new status or a request reaches the groups by push, given by create_app.
TellFamily = NamedDependency[service.Tell]
IdempotencyKey = Annotated[
    str,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=8,
        max_length=120,
        description="The client's id of this write (a UUID): sent again, the same status answers.",
    ),
]
RESIDENT = [signed_in_as("resident")]
InquiryText = Annotated[str | None, QueryParameter(max_length=100)]
InquiryPhone = Annotated[str | None, QueryParameter(max_length=24)]
InquiryCode = Annotated[str | None, QueryParameter(max_length=64)]


IfNoneMatch = Annotated[str | None, HeaderParameter(name="If-None-Match", max_length=200)]


def _invite(invite: Any, code: str, request: Request[Any, Any, Any]) -> Invite:
    # The code travels in the fragment: it never reaches a server's access log. The link opens
    # the family screen of the app, which asks before joining.
    url = f"/#/resident/family/join/{code}"
    link = f"{str(request.base_url).rstrip('/')}{url}"
    return Invite(
        code=code,
        url=url,
        expires_at=invite.expires_at.isoformat(),
        uses_left=invite.uses_left,
        qr_svg=qrimage.svg(link).decode(),
    )


def _status(row: SafetyStatus, data: StatusRequest | WalkInStatusRequest) -> StatusRecord:
    location = getattr(data, "location", None)
    where = None
    if location is not None:
        lat, lon = (
            (location.lat, location.lon)
            if location.precision == "exact"
            else service.coarse(location.lat, location.lon)
        )
        where = {"lat": lat, "lon": lon, "precision": location.precision}
    return msgspec.convert(
        {"status": row.status, "at": row.created_at.isoformat(), "message": data.message, "location": where},
        StatusRecord,
    )


class SafetyController(Controller):
    path = "/api/safety"
    tags = ["safety"]  # noqa: RUF012

    @get("/me", guards=RESIDENT, summary="My safety status, consent and inquiry code")
    async def me(self, session: Session, caller: Caller, keys: DataKeys) -> SafetyMe:
        person = await service.person_of(session, caller.account_id)
        shown = (await service.latest(session, keys, [person.id])).get(person.id)
        return msgspec.convert(
            {
                "personId": person.id,
                "consent": _consent(person),
                "status": shown[0].record() if shown else None,
            },
            SafetyMe,
        )

    @put(
        "/status",
        guards=RESIDENT,
        summary="Set my status (safe, needs help, injured, unknown); once per Idempotency-Key",
    )
    async def set_status(
        self,
        session: Session,
        caller: Caller,
        keys: DataKeys,
        data: JSONBody[StatusRequest],
        idempotency_key: IdempotencyKey,
        tell_family: TellFamily,
    ) -> Response[StatusRecord]:
        person = await service.person_of(session, caller.account_id)
        row, created = await service.set_status(session, keys, person, data, caller, idempotency_key, "safety.status")
        if created:
            audit(session, caller.account_id, "safety.status", f"person:{person.id}", status=row.status)
            await tell_family(await service.connection_of(session), "status", [row.id])
        shown = (await service.latest(session, keys, [person.id]))[person.id][0] if not created else None
        body = msgspec.convert(shown.record(), StatusRecord) if shown else _status(row, data)
        return Response(body, status_code=201 if created else 200)

    @put(
        "/consent",
        guards=RESIDENT,
        summary="What I share: with groups, headquarters, inquiries; auto-update on check-in",
    )
    async def consent(self, session: Session, caller: Caller, keys: DataKeys, data: JSONBody[Consent]) -> ConsentRecord:
        person = await service.person_of(session, caller.account_id)
        await service.save_consent(session, keys, person, data)
        audit(session, caller.account_id, "safety.consent", f"person:{person.id}")
        return msgspec.convert(_consent(person), ConsentRecord)

    @post("/groups", guards=RESIDENT, summary="Create a group; answers its first invite (code, link, expiry)")
    async def create_group(
        self, request: Request[Any, Any, Any], session: Session, caller: Caller, data: JSONBody[GroupRequest]
    ) -> GroupCreated:
        person = await service.person_of(session, caller.account_id)
        group, invite, code = await service.create_group(session, person, data.name, data.my_name)
        return GroupCreated(id=group.id, name=group.name, invite=_invite(invite, code, request))

    @get(
        "/groups",
        guards=RESIDENT,
        summary="My groups, with each member's status as they consented to share it (ETag: 304 when unchanged)",
    )
    async def groups(
        self, session: Session, caller: Caller, keys: DataKeys, if_none_match: IfNoneMatch = None
    ) -> Response[Groups]:
        person = await service.person_of(session, caller.account_id)
        # The open view asks every second or two: an unchanged view costs one query and reads
        # (and audits) nobody's status.
        etag = f'"{await service.groups_fingerprint(session, person)}"'
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if if_none_match is not None and etag in {t.strip().removeprefix("W/") for t in if_none_match.split(",")}:
            # A 304 has no body (Litestar refuses one); the schema stays that of the 200.
            return Response(None, status_code=304, headers=headers)  # type: ignore[arg-type]
        found = await service.my_groups(session, keys, caller, person)
        return Response(Groups([msgspec.convert(g, Group) for g in found]), headers=headers)

    @post("/groups/join", guards=RESIDENT, summary="Join a group by an invite's code", status_code=200)
    async def join(self, session: Session, caller: Caller, keys: DataKeys, data: JSONBody[JoinRequest]) -> Group:
        person = await service.person_of(session, caller.account_id)
        group = await service.join(session, person, data.code, data.name)
        return await _one(session, keys, caller, person, group.id)

    @post("/groups/{group_id:str}/invites", guards=RESIDENT, summary="A new invite to my group", status_code=201)
    async def invite(
        self, request: Request[Any, Any, Any], session: Session, caller: Caller, group_id: FromPath[str]
    ) -> Invite:
        person = await service.person_of(session, caller.account_id)
        invite, code = await service.new_invite(session, person, parse_id(group_id, "groupId"))
        return _invite(invite, code, request)

    @post(
        "/groups/{group_id:str}/ask",
        guards=RESIDENT,
        summary='"Please tell us you are safe": ask a member of my group (once in 5 minutes per person)',
        status_code=201,
    )
    async def ask(
        self,
        session: Session,
        caller: Caller,
        group_id: FromPath[str],
        data: JSONBody[AskRequest],
        tell_family: TellFamily,
    ) -> Asked:
        person = await service.person_of(session, caller.account_id)
        group = parse_id(group_id, "groupId")
        made = await service.ask(session, person, group, data.person_id)
        audit(session, caller.account_id, "safety.ask", f"person:{data.person_id}", group=str(group))
        await tell_family(await service.connection_of(session), "ask", [made.id])
        return Asked(group_id=group, person_id=data.person_id, at=made.created_at.isoformat())

    @post("/groups/{group_id:str}/leave", guards=RESIDENT, summary="Leave a group", status_code=200)
    async def leave(self, session: Session, caller: Caller, group_id: FromPath[str]) -> Left:
        person = await service.person_of(session, caller.account_id)
        group = parse_id(group_id, "groupId")
        await service.remove(session, person, group, person.id)
        return Left(group_id=group, person_id=person.id)

    @delete(
        "/groups/{group_id:str}/members/{person_id:str}",
        guards=RESIDENT,
        summary="The group's creator removes a member",
        status_code=200,
    )
    async def remove(self, session: Session, caller: Caller, group_id: FromPath[str], person_id: FromPath[str]) -> Left:
        person = await service.person_of(session, caller.account_id)
        group, member = parse_id(group_id, "groupId"), parse_id(person_id, "personId")
        await service.remove(session, person, group, member)
        return Left(group_id=group, person_id=member)

    @put(
        "/walkins/{household_id:str}/status",
        guards=[signed_in_as(*OPERATORS)],
        summary="Staff set a walk-in member's status from the evacuee card; once per Idempotency-Key",
    )
    async def walk_in_status(
        self,
        session: Session,
        caller: Caller,
        keys: DataKeys,
        household_id: FromPath[str],
        data: JSONBody[WalkInStatusRequest],
        idempotency_key: IdempotencyKey,
        tell_family: TellFamily,
    ) -> Response[StatusRecord]:
        person, shelter = await service.walk_in_person(
            session, keys, caller, parse_id(household_id, "householdId"), data
        )
        row, created = await service.set_status(
            session, keys, person, data, caller, idempotency_key, "safety.walkin", shelter
        )
        audit(session, caller.account_id, "safety.status", f"person:{person.id}", household=household_id)
        if created:
            await tell_family(await service.connection_of(session), "status", [row.id])
        body = _status(row, data)
        body.by_staff, body.shelter_id = True, row.facility_id
        return Response(body, status_code=201 if created else 200)

    @get(
        "/inquiry",
        guards=[anyone],
        summary="Ask after someone by full name and phone, or by their card's code: only what they let be shown",
    )
    async def inquiry(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        keys: DataKeys,
        name: InquiryText = None,
        phone: InquiryPhone = None,
        code: InquiryCode = None,
    ) -> InquiryAnswer:
        if code and (name or phone):
            raise InvalidParameterError("code", "ask by code, or by name and phone, not both")
        if not code and not (name and phone):
            raise InvalidParameterError("name" if not name else "phone", "send name and phone, or code")
        client = client_bucket(request)
        await service.take_inquiry(session, client)
        person, shown = await service.inquire(session, keys, code=code, name=name, phone=phone)
        answer = InquiryAnswer(found=False)
        if shown is not None:
            answer = InquiryAnswer(found=True, status=shown.status, at=shown.at.isoformat())  # type: ignore[arg-type]
        audit(
            session,
            None,
            "safety.inquiry",
            f"person:{person.id}" if person else "person:none",
            client=client,
            by="code" if code else "name+phone",
            shown={"status": answer.status, "at": answer.at} if answer.found else None,
        )
        return answer

    @get(
        "/hq/counts",
        guards=[signed_in_as(*HEADQUARTERS)],
        summary="People who need help or are injured, per municipality",
    )
    async def hq_counts(self, session: Session, caller: Caller) -> HqCounts:
        return msgspec.convert({"municipalities": await service.hq_counts(session, caller)}, HqCounts)

    @get(
        "/hq/people",
        guards=[signed_in_as(*HEADQUARTERS)],
        summary="Those who consented to share with headquarters: status and location (audit-logged)",
    )
    async def hq_people(
        self,
        session: Session,
        caller: Caller,
        keys: DataKeys,
        municipality: Annotated[str | None, QueryParameter(max_length=6)] = None,
    ) -> HqPeople:
        people = await service.hq_people(session, keys, caller, municipality)
        return msgspec.convert({"people": people}, HqPeople)

    @put(
        "/hq/inquiries/{code:str}",
        guards=[signed_in_as(*HEADQUARTERS)],
        summary="Headquarters forbid (or allow again) inquiries about the person with this card code",
    )
    async def hq_forbid(
        self, session: Session, caller: Caller, code: FromPath[str], data: JSONBody[InquiryForbid]
    ) -> InquiryForbid:
        await service.forbid_inquiries(session, caller, code, data.forbidden)
        return data


def _consent(person: Any) -> dict[str, Any]:
    return {
        "shareGroups": person.share_groups,
        "shareHq": person.share_hq,
        "answerInquiries": person.answer_inquiries,
        "autoCheckin": person.auto_checkin,
        "forbidInquiries": person.inquiries_forbidden,
        "memberId": person.member_id,
        "inquiryCode": person.inquiry_code,
        "findableByName": person.inquiry_hash is not None,
        "forbiddenByHeadquarters": person.hq_forbidden,
    }


async def _one(session: Session, keys: Any, caller: Caller, person: Any, group_id: uuid.UUID) -> Group:
    for group in await service.my_groups(session, keys, caller, person):
        if group["id"] == group_id:
            return msgspec.convert(group, Group)
    raise AssertionError("joined")  # pragma: no cover
