"""Every model, imported once so that the metadata is complete (Alembic, drift test)."""

from server.datasets.models import DataVersion
from server.db.base import Base
from server.facilities.models import Facility, FacilityRecord
from server.hazards.models import HazardZone, HazardZonePart
from server.imports.models import ImportRun
from server.municipalities.models import Municipality
from server.packs.models import OfflinePack

__all__ = [
    "Base",
    "DataVersion",
    "Facility",
    "FacilityRecord",
    "HazardZone",
    "HazardZonePart",
    "ImportRun",
    "Municipality",
    "OfflinePack",
]
