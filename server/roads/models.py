"""Walkable roads as a pgRouting graph: junctions (road_node), the ways between them (road_edge),
the length of each edge inside each hazard's zones (road_edge_hazard, kept by triggers), and a
stamp renewed whenever either changes (road_graph_version, for the graphs routing holds in memory)."""

from __future__ import annotations

import uuid
from datetime import datetime

from geoalchemy2 import WKBElement
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from geo.kinds import HAZARD_TYPES
from geo.roads import ROAD_CLASSES
from server.db.base import Base
from server.db.types import geometry, sql_list


class RoadNode(Base):
    __tablename__ = "road_node"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    municipality_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    osm_id: Mapped[int] = mapped_column(BigInteger)
    # Connected component within its import, numbered by size: 0 is the largest.
    component: Mapped[int] = mapped_column(BigInteger)
    geom: Mapped[WKBElement] = mapped_column(geometry("POINT"))

    __table_args__ = (
        Index("ix_road_node_geom", "geom", postgresql_using="gist"),
        Index("ix_road_node_municipality_id", "municipality_id"),
    )


class RoadEdge(Base):
    """One stretch of a walkable way between two junctions (or a way's end). ``cost`` and
    ``reverse_cost`` are its length in metres both ways (walkers ignore one-way streets); a route
    query replaces them with a negative cost for the edges a profile or a hazard leaves out."""

    __tablename__ = "road_edge"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    municipality_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    osm_way_id: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[int] = mapped_column(ForeignKey("road_node.id", ondelete="CASCADE"))
    target: Mapped[int] = mapped_column(ForeignKey("road_node.id", ondelete="CASCADE"))
    cost: Mapped[float] = mapped_column(Float)
    reverse_cost: Mapped[float] = mapped_column(Float)
    length_m: Mapped[float] = mapped_column(Float)
    road_class: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(Text)
    steps: Mapped[bool] = mapped_column(Boolean)
    bridge: Mapped[bool] = mapped_column(Boolean)
    tunnel: Mapped[bool] = mapped_column(Boolean)
    component: Mapped[int] = mapped_column(BigInteger)
    # The first zoom at which tiles draw it (geo.layers.ROAD_MIN_ZOOM by class).
    minzoom: Mapped[int] = mapped_column(SmallInteger)
    geom: Mapped[WKBElement] = mapped_column(geometry("LINESTRING"))

    __table_args__ = (
        CheckConstraint(f"road_class IN ({sql_list(ROAD_CLASSES)})", name="road_class_known"),
        CheckConstraint("cost >= 0 AND reverse_cost >= 0 AND length_m >= 0", name="costs_not_negative"),
        Index("ix_road_edge_geom", "geom", postgresql_using="gist"),
        Index("ix_road_edge_municipality_id", "municipality_id"),
        Index("ix_road_edge_source", "source"),
        Index("ix_road_edge_target", "target"),
    )


class RoadEdgeHazard(Base):
    """Metres of an edge inside the zones of one hazard type. Kept by triggers on road_edge and
    hazard_zone_part (migration 0018): never written by the app."""

    __tablename__ = "road_edge_hazard"

    edge_id: Mapped[int] = mapped_column(ForeignKey("road_edge.id", ondelete="CASCADE"), primary_key=True)
    hazard_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    inside_m: Mapped[float] = mapped_column(Float)

    __table_args__ = (CheckConstraint(f"hazard_type IN ({sql_list(HAZARD_TYPES)})", name="hazard_type_known"),)


class RoadGraphVersion(Base):
    """One row whose ``stamp`` (a random UUID) triggers renew on every write to road_edge or
    road_edge_hazard (migration 0025): a graph held in memory is current while its stamp is."""

    __tablename__ = "road_graph_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stamp: Mapped[uuid.UUID] = mapped_column(Uuid, server_default=func.gen_random_uuid())
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
