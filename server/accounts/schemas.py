"""What the accounts API gives (camelCase on the wire): who is signed in, the audit log, and the
WebAuthn options a passkey ceremony starts from."""

from __future__ import annotations

import uuid
from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from server.accounts.service import Principal


class RoleScope(msgspec.Struct):
    """A role and where it holds: a municipality (its code) or, for staff, a shelter (its id)."""

    role: str
    municipality: str | None
    shelter: str | None


class Me(msgspec.Struct, rename="camel"):
    """Who is signed in, with the CSRF token to send with every write."""

    id: uuid.UUID
    kind: Literal["resident", "operator"]
    email: str | None
    roles: list[RoleScope]
    csrf_token: str

    @classmethod
    def of(cls, caller: Principal) -> Me:
        return cls(
            id=caller.account_id,
            kind="operator" if caller.kind == "operator" else "resident",
            email=caller.email,
            roles=[RoleScope(s.role, s.municipality, s.shelter) for s in caller.scopes],
            csrf_token=caller.csrf_token,
        )


class NewResident(Me, rename="camel"):
    """A resident account just made on this device; its recovery code is shown this once."""

    recovery_code: str


class SignedOut(msgspec.Struct, rename="camel"):
    signed_out: bool


class AuditEntry(msgspec.Struct, rename="camel"):
    at: str
    actor: uuid.UUID | None
    actor_email: str | None
    action: str
    subject: str
    # What each action records beside its subject (a member, a shelter, a reason): free-form.
    details: dict[str, Any]


class AuditLog(msgspec.Struct):
    events: list[AuditEntry]


# The WebAuthn options as py_webauthn writes them (webauthn.helpers.options_to_json_dict): the
# browser's PublicKeyCredentialCreationOptionsJSON / PublicKeyCredentialRequestOptionsJSON. What
# the library leaves out stays out (UNSET). The values are its enums'.
Requirement = Literal["required", "preferred", "discouraged"]


class RelyingParty(msgspec.Struct):
    name: str
    id: str | UnsetType = UNSET


class UserEntity(msgspec.Struct, rename="camel"):
    id: str
    name: str
    display_name: str


class CredentialParameter(msgspec.Struct):
    type: Literal["public-key"]
    alg: int


class CredentialDescriptor(msgspec.Struct):
    id: str
    type: Literal["public-key"]
    transports: list[str] | UnsetType = UNSET


class AuthenticatorSelection(msgspec.Struct, rename="camel"):
    authenticator_attachment: Literal["platform", "cross-platform"] | UnsetType = UNSET
    resident_key: Requirement | UnsetType = UNSET
    require_resident_key: bool | UnsetType = UNSET
    user_verification: Requirement | UnsetType = UNSET


class CreationOptions(msgspec.Struct, rename="camel", kw_only=True):
    rp: RelyingParty
    user: UserEntity
    challenge: str
    pub_key_cred_params: list[CredentialParameter]
    timeout: int | UnsetType = UNSET
    exclude_credentials: list[CredentialDescriptor] | UnsetType = UNSET
    authenticator_selection: AuthenticatorSelection | UnsetType = UNSET
    attestation: Literal["none", "indirect", "direct", "enterprise"] | UnsetType = UNSET
    hints: list[Literal["security-key", "client-device", "hybrid"]] | UnsetType = UNSET


class RequestOptions(msgspec.Struct, rename="camel", kw_only=True):
    challenge: str
    timeout: int | UnsetType = UNSET
    rp_id: str | UnsetType = UNSET
    allow_credentials: list[CredentialDescriptor] | UnsetType = UNSET
    user_verification: Requirement | UnsetType = UNSET


class RegistrationOptions(msgspec.Struct, rename="camel"):
    """Options for navigator.credentials.create(), with the challenge the answer must name."""

    challenge_id: str
    options: CreationOptions


class LoginOptions(msgspec.Struct, rename="camel"):
    """Options for navigator.credentials.get(), with the challenge the answer must name."""

    challenge_id: str
    options: RequestOptions


class PasskeyAdded(msgspec.Struct):
    added: bool
