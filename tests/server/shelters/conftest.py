"""An open disaster event with the test shelter open in it."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.server.roles import a_shelter, cli


@pytest.fixture
async def opened(database_url: str, engine: AsyncEngine) -> tuple[str, str]:
    """An open event with the test shelter open (capacity 4): (event id, shelter id)."""
    code, shelter = await a_shelter(engine)
    event = await asyncio.to_thread(
        cli, database_url, "events", "open", "--type", "flood", "--name", "見本川洪水", "--municipality", code
    )
    event_id = event.strip().splitlines()[-1]
    assert uuid.UUID(event_id)
    await asyncio.to_thread(cli, database_url, "shelters", "open", shelter, "--event", event_id, "--capacity", "4")
    return event_id, shelter
