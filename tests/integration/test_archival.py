"""The archival toolset against the real Letta server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers import call

pytestmark = pytest.mark.anyio


async def test_insert_search_delete(client: Any, letta: Any, uid: str) -> None:
    agent = await call(client, "create_agent", name=f"{uid}-arch")
    stored = await call(
        client, "insert_archival", agent=agent["name"], text="The deploy key rotates every Friday", tags=["ops"]
    )
    await call(client, "insert_archival", agent=agent["name"], text="Lunch is at noon in the garden", tags=["life"])
    passages = await letta.agents.passages.list(agent["id"])
    assert len(passages) == 2
    found = await call(client, "search_archival", agent=agent["id"], query="deploy key rotation", limit=1)
    assert found["passages"][0]["id"] == stored["id"]
    assert found["passages"][0]["tags"] == ["ops"]
    tagged = await call(client, "search_archival", agent=agent["id"], query="anything", tags=["life"])
    assert [p["text"] for p in tagged["passages"]] == ["Lunch is at noon in the garden"]
    future = datetime.now(UTC) + timedelta(days=1)
    none = await call(client, "search_archival", agent=agent["id"], query="deploy", after=future.isoformat())
    assert none["passages"] == []
    gone = await call(client, "delete_archival", agent=agent["id"], passage_id=stored["id"])
    assert gone["deleted"] is True
    remaining = await letta.agents.passages.search(agent["id"], query="deploy key", top_k=5)
    assert stored["id"] not in [r.id for r in remaining.results]
