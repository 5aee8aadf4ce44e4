"""Every model, imported once so that the metadata is complete (Alembic, drift test)."""

from server.db.base import Base
from server.facilities.models import Facility
from server.hazards.models import HazardZone
from server.imports.models import ImportRun
from server.municipalities.models import Municipality

__all__ = ["Base", "Facility", "HazardZone", "ImportRun", "Municipality"]
