"""``bosai alerts watch``: JMA's PULL feeds (Atom) polled every minute. A poll asks each feed with
``If-Modified-Since``; a feed that changed lists entries, and each entry of a type Bosai reads that
was never taken is fetched and imported in one transaction with the row that marks it taken (so
an entry is imported once, whichever feed or watcher sees it first, and a crash between the two
leaves it untaken). A feed's ``Last-Modified`` is kept only once every entry it listed was taken:
an entry whose fetch failed is tried again at the next poll. When the last poll is older than the
frequent feeds reach back (after an outage), the long feeds are read first.

:func:`poll` is one poll (what the tests call); :func:`watch` the loop around it."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element

import httpx
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from server.alerts.feed_models import JmaFeed, JmaFeedEntry
from server.alerts.jma import JmaError, Message, known_title, parse
from server.alerts.service import Stored, store
from server.db.engine import create_engine, session_factory
from server.lib.errors import BosaiError
from server.settings import Settings

log = logging.getLogger(__name__)
ATOM = "{http://www.w3.org/2005/Atom}"
# JMA's frequent feeds list about the last ten minutes of entries: a watcher away longer reads the
# long feeds (several days) to catch up.
CATCH_UP_AFTER = timedelta(minutes=10)
MAX_FEED_BYTES = 16 * 1024 * 1024
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
TIMEOUT = httpx.Timeout(20.0, connect=10.0)


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    link: str
    updated: datetime | None


@dataclass
class Taken:
    """An entry taken in this poll: the alerts it made or changed, or why it was refused."""

    entry: Entry
    stored: list[Stored] = field(default_factory=list)
    error: str | None = None


@dataclass
class PollResult:
    feeds_read: list[str] = field(default_factory=list)  # answered 200
    not_modified: list[str] = field(default_factory=list)  # answered 304
    failed: list[str] = field(default_factory=list)  # unreachable, or not a feed: asked again next time
    taken: list[Taken] = field(default_factory=list)
    caught_up: bool = False


class FeedError(ValueError):
    pass


def entries(data: bytes, base: str) -> list[Entry]:
    """The entries of an Atom feed, oldest first (a correction is applied after what it corrects).

    Raises:
        FeedError: when it is not an Atom feed.
    """
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except (DefusedXmlException, ElementTree.ParseError) as exc:
        raise FeedError(f"not an Atom feed: {exc}") from None
    if root.tag != f"{ATOM}feed":
        raise FeedError(f"not an Atom feed (root element {root.tag})")
    found = []
    for entry in root.findall(f"{ATOM}entry"):
        entry_id = _text(entry, "id")
        links = [x.get("href") for x in entry.findall(f"{ATOM}link") if x.get("rel", "alternate") == "alternate"]
        link = next((x for x in links if x), None)
        if not entry_id or not link:
            continue  # an entry without an id or a link names nothing to fetch
        found.append(Entry(entry_id, _text(entry, "title"), urljoin(base, link), _time(_text(entry, "updated"))))
    return sorted(found, key=lambda e: e.updated or datetime.min.replace(tzinfo=UTC))


def _text(element: Element, name: str) -> str:
    child = element.find(f"{ATOM}{name}")
    return (child.text or "").strip() if child is not None else ""


def _time(raw: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _same_origin(link: str, feed: str) -> bool:
    """Messages are fetched only from the feed's own site: a feed cannot send the watcher to fetch
    from anywhere else (an internal address, say)."""
    a, b = urlsplit(link), urlsplit(feed)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


async def _get(
    client: httpx.AsyncClient, url: str, limit: int, headers: dict[str, str] | None = None
) -> httpx.Response:
    async with client.stream("GET", url, headers=headers) as response:
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > limit:
                raise FeedError(f"{url}: larger than {limit // (1024 * 1024)} MiB")
        response._content = bytes(body)
        return response


async def _seen(engine: AsyncEngine, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    async with engine.connect() as connection:
        found = await connection.scalars(select(JmaFeedEntry.entry_id).where(JmaFeedEntry.entry_id.in_(ids)))
        return set(found.all())


async def _take(engine: AsyncEngine, client: httpx.AsyncClient, entry: Entry, feed: str) -> Taken | None:
    """Fetch and import one entry; None when it could not be fetched (tried again next poll)."""
    if not _same_origin(entry.link, feed):
        return await _mark(engine, Taken(entry, error=f"link {entry.link} is not on the feed's site"))
    try:
        response = await _get(client, entry.link, MAX_MESSAGE_BYTES)
    except (httpx.HTTPError, FeedError) as exc:
        log.warning("JMA entry %s: %s", entry.link, exc)
        return None
    if response.status_code != 200:
        log.warning("JMA entry %s: HTTP %s", entry.link, response.status_code)
        return None
    try:
        message = parse(response.content)
    except JmaError as exc:
        return await _mark(engine, Taken(entry, error=f"{exc.element}: {exc.reason}"))
    try:
        return await _import(engine, entry, message)
    except BosaiError as exc:
        return await _mark(engine, Taken(entry, error=exc.detail))


async def _import(engine: AsyncEngine, entry: Entry, message: Message) -> Taken:
    async with session_factory(engine)() as session, session.begin():
        mark = await session.scalar(
            insert(JmaFeedEntry)
            .values(
                entry_id=entry.id,
                title=entry.title,
                link=entry.link,
                entry_updated_at=entry.updated,
                outcome="imported",
            )
            .on_conflict_do_nothing(index_elements=["entry_id"])
            .returning(JmaFeedEntry.id)
        )
        if mark is None:  # another watcher took it meanwhile
            await session.rollback()
            return Taken(entry)
        return Taken(entry, await store(session, message))


async def _mark(engine: AsyncEngine, taken: Taken) -> Taken:
    async with engine.begin() as connection:
        await connection.execute(
            insert(JmaFeedEntry)
            .values(
                entry_id=taken.entry.id,
                title=taken.entry.title,
                link=taken.entry.link,
                entry_updated_at=taken.entry.updated,
                outcome="refused",
                detail=taken.error,
            )
            .on_conflict_do_nothing(index_elements=["entry_id"])
        )
    log.warning("JMA entry %s refused: %s", taken.entry.link, taken.error)
    return taken


async def _state(engine: AsyncEngine, url: str, last_modified: str | None, now: datetime, *, advance: bool) -> None:
    values: dict[str, object] = {"checked_at": now}
    if advance:
        values["last_modified"] = last_modified
    async with engine.begin() as connection:
        await connection.execute(
            insert(JmaFeed)
            .values(url=url, **values)
            .on_conflict_do_update(index_elements=["url"], set_={**values, "updated_at": now})
        )


async def _read_feed(engine: AsyncEngine, client: httpx.AsyncClient, url: str, result: PollResult) -> None:
    async with engine.connect() as connection:
        known = await connection.scalar(select(JmaFeed.last_modified).where(JmaFeed.url == url))
    headers = {"If-Modified-Since": known} if known else {}
    now = datetime.now(UTC)
    try:
        response = await _get(client, url, MAX_FEED_BYTES, headers)
        if response.status_code == 304:
            result.not_modified.append(url)
            await _state(engine, url, known, now, advance=False)
            return
        if response.status_code != 200:
            raise FeedError(f"HTTP {response.status_code}")
        listed = entries(response.content, url)
    except (httpx.HTTPError, FeedError) as exc:
        log.warning("JMA feed %s: %s", url, exc)
        result.failed.append(url)
        return
    result.feeds_read.append(url)
    wanted = [e for e in listed if known_title(e.title)]
    seen = await _seen(engine, [e.id for e in wanted])
    complete = True
    for entry in wanted:
        if entry.id in seen:
            continue
        taken = await _take(engine, client, entry, url)
        if taken is None:
            complete = False
            continue
        seen.add(entry.id)
        result.taken.append(taken)
    await _state(engine, url, response.headers.get("Last-Modified"), now, advance=complete)


async def _last_poll(engine: AsyncEngine, feeds: tuple[str, ...]) -> datetime | None:
    async with engine.connect() as connection:
        latest: datetime | None = await connection.scalar(
            select(JmaFeed.checked_at).where(JmaFeed.url.in_(feeds)).order_by(JmaFeed.checked_at.desc()).limit(1)
        )
    return latest


async def poll(settings: Settings, engine: AsyncEngine, client: httpx.AsyncClient) -> PollResult:
    """One poll of every feed (the long ones first when catching up)."""
    result = PollResult()
    last = await _last_poll(engine, settings.jma.feeds)
    result.caught_up = last is None or datetime.now(UTC) - last > CATCH_UP_AFTER
    urls = (*settings.jma.long_feeds, *settings.jma.feeds) if result.caught_up else settings.jma.feeds
    for url in urls:
        await _read_feed(engine, client, url, result)
    return result


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, headers={"User-Agent": "bosai-alerts-watch"})


async def watch(settings: Settings, *, once: bool = False) -> list[PollResult]:
    """Poll until stopped (``once``: a single poll). A failing poll is logged and the next one
    tried: a watcher that stops on a network hiccup misses the warnings after it."""
    engine = create_engine(settings.database)
    results: list[PollResult] = []
    try:
        async with client() as http:
            while True:
                started = asyncio.get_running_loop().time()
                try:
                    result = await poll(settings, engine, http)
                    for taken in result.taken:
                        log.info("JMA %s %s: %s", taken.entry.title, taken.entry.link, taken.error or "imported")
                    if once:
                        results.append(result)
                except (OSError, httpx.HTTPError, SQLAlchemyError) as exc:  # the database or network away a moment
                    log.warning("poll failed: %s", exc)
                if once:
                    return results
                elapsed = asyncio.get_running_loop().time() - started
                await asyncio.sleep(max(1.0, settings.jma.poll_s - elapsed))
    finally:
        await engine.dispose()
