"""What `bosai alerts watch` remembers of the JMA feeds: each entry taken (so that an entry seen in
the frequent feed, the long feed and again a minute later is imported once, whichever process
sees it first), and each feed's ``Last-Modified`` for the next ``If-Modified-Since``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Entity

ENTRY_OUTCOMES = ("imported", "refused")


class JmaFeedEntry(Entity):
    """One Atom entry taken: imported, or refused (a message that cannot be read is not fetched
    again every minute)."""

    __tablename__ = "jma_feed_entry"

    entry_id: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(Text)
    entry_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(8))
    detail: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint("outcome IN ('imported', 'refused')", name="outcome_known"),)


class JmaFeed(Entity):
    """A feed polled: its ``Last-Modified`` once every entry it listed was taken, and when it was
    last read (the watcher reads the long feeds when that is too long ago)."""

    __tablename__ = "jma_feed"

    url: Mapped[str] = mapped_column(Text, unique=True)
    last_modified: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
