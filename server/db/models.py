"""Every model, imported once so that the metadata is complete (Alembic, drift test)."""

from server.accounts.models import Account, AccountRole, AuditEvent, AuthSession, Passkey, PasskeyChallenge
from server.alerts.feed_models import JmaFeed, JmaFeedEntry
from server.alerts.models import Alert, Delivery, PushSubscription
from server.datasets.models import DataVersion
from server.db.base import Base
from server.facilities.models import Facility, FacilityRecord
from server.hazards.models import HazardZone, HazardZonePart
from server.households.models import Household
from server.imports.models import ImportRun
from server.municipalities.models import Municipality
from server.packs.models import OfflinePack
from server.roads.models import RoadEdge, RoadEdgeHazard, RoadNode
from server.safety.models import (
    InquiryThrottle,
    SafetyGroup,
    SafetyInvite,
    SafetyMember,
    SafetyPerson,
    SafetyStatus,
)
from server.safety.registry import SafetyExpiry, SafetyRegistry
from server.shelters.models import (
    Checkin,
    DisasterEvent,
    EventMunicipality,
    LiveEvent,
    ShelterChange,
    ShelterOperation,
)

__all__ = [
    "Account",
    "AccountRole",
    "Alert",
    "AuditEvent",
    "AuthSession",
    "Base",
    "Checkin",
    "DataVersion",
    "Delivery",
    "DisasterEvent",
    "EventMunicipality",
    "Facility",
    "FacilityRecord",
    "HazardZone",
    "HazardZonePart",
    "Household",
    "ImportRun",
    "InquiryThrottle",
    "JmaFeed",
    "JmaFeedEntry",
    "LiveEvent",
    "Municipality",
    "OfflinePack",
    "Passkey",
    "PasskeyChallenge",
    "PushSubscription",
    "RoadEdge",
    "RoadEdgeHazard",
    "RoadNode",
    "SafetyExpiry",
    "SafetyGroup",
    "SafetyInvite",
    "SafetyMember",
    "SafetyPerson",
    "SafetyRegistry",
    "SafetyStatus",
    "ShelterChange",
    "ShelterOperation",
]
