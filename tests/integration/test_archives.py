"""Shared archives against the real Letta server: two agents share one; what one stores, the other finds."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import call, call_error

pytestmark = pytest.mark.anyio


async def test_a_shared_archive_between_two_agents(client: Any, letta: Any, uid: str) -> None:
    archive = await call(client, "create_archive", name=f"{uid}-team", description="team knowledge")
    assert archive["id"].startswith("archive-")
    assert (await call(client, "create_archive", name=f"{uid}-team"))["id"] == archive["id"], "safe to repeat"
    writer = await call(client, "create_agent", name=f"{uid}-writer")
    reader = await call(client, "create_agent", name=f"{uid}-reader")
    for agent in (writer, reader):
        out = await call(client, "attach_archive", agent=agent["id"], archive=f"{uid}-team")
        assert f"{uid}-team" in out["attached"]
    stored = await call(
        client,
        "insert_archival",
        agent=writer["id"],
        archive=f"{uid}-team",
        text="The staging database is on port 6543.",
    )
    found = await call(
        client, "search_archival", agent=reader["id"], archive=archive["id"], query="staging database port"
    )
    assert [p["id"] for p in found["passages"]] == [stored["id"]]
    own = await call(client, "search_archival", agent=writer["id"], query="staging database port")
    assert stored["id"] not in [p["id"] for p in own["passages"]] or own["passages"], "own archival is separate"
    listed = await call(client, "list_archives", agent=reader["id"])
    assert archive["id"] in [a["id"] for a in listed["archives"]]
    detached = await call(client, "detach_archive", agent=reader["id"], archive=archive["id"])
    assert f"{uid}-team" not in detached["attached"]
    refused = await call_error(client, "search_archival", agent=reader["id"], archive=archive["id"], query="port")
    assert "list_archives" in refused, "an archive not attached to the agent is out of its reach"
    passages = await letta.passages.search(archive_id=archive["id"], query="staging", limit=5)
    assert [p.passage.text for p in passages] == ["The staging database is on port 6543."]
