"""Agent files (.af) against the real Letta server: export, delete, import, and the same memory and history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.helpers import call
from tests.stack.letta_stack import Stack
from tests.subprocess_server import stdio_params

pytestmark = pytest.mark.anyio


async def _history(letta: Any, agent_id: str) -> list[tuple[str, str]]:
    found = await letta.agents.messages.list(agent_id, limit=50, order="asc")
    return [
        (m.message_type, str(m.content)) for m in found.items if m.message_type in ("user_message", "assistant_message")
    ]


async def test_export_delete_import_round_trip(client: Any, letta: Any, uid: str) -> None:
    agent = await call(
        client,
        "create_agent",
        name=f"{uid}-mover",
        memory_blocks=[{"label": "human", "value": "likes tea", "description": "the user"}],
    )
    await call(client, "send_message", agent=agent["id"], message="remember the red door")
    before_blocks = {b.label: b.value for b in (await letta.agents.blocks.list(agent["id"], limit=20)).items}
    before_history = await _history(letta, agent["id"])
    result = await client.call_tool("export_agent", {"agent": agent["id"]})
    assert not result.is_error, result.content
    summary = result.structured_content
    resource = next(c for c in result.content if c.type == "resource").resource
    assert resource.mime_type == "application/json"
    af = resource.text
    assert summary["bytes"] == len(af.encode())
    assert summary["messages"] >= 2
    assert summary["blocks"] >= 1
    await call(client, "delete_agent", agent=agent["id"])
    imported = await call(client, "import_agent", agent_file=json.loads(af))
    new_id = imported["agents"][0]["id"]
    assert new_id != agent["id"]
    assert imported["agents"][0]["name"] == f"{uid}-mover"
    after_blocks = {b.label: b.value for b in (await letta.agents.blocks.list(new_id, limit=20)).items}
    assert after_blocks == before_blocks
    assert await _history(letta, new_id) == before_history


async def test_export_to_a_path_and_import_from_it_over_stdio(
    stack: Stack, letta: Any, uid: str, tmp_path: Path
) -> None:
    agent = await letta.agents.create(
        name=f"{uid}-disk",
        model=stack.model,
        embedding=stack.embedding,
        memory_blocks=[{"label": "project", "value": "the disk project"}],
    )
    target = tmp_path / "agent.af"
    async with Client(stdio_params(stack, "--toolsets", "agent_files")) as client:
        out = await call(client, "export_agent", agent=agent.id, path=str(target), messages=False)
        assert out["path"] == str(target)
        assert json.loads(target.read_text())["agents"]
        imported = await call(client, "import_agent", path=str(target), name=f"{uid}-copy")
    copy = imported["agents"][0]
    assert copy["name"] == f"{uid}-copy"
    blocks = {b.label: b.value for b in (await letta.agents.blocks.list(copy["id"], limit=20)).items}
    assert blocks["project"] == "the disk project"
