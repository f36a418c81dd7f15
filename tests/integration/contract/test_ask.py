"""Agents as tools (`ask_<slug>`) on every backend."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import call, call_error
from tests.integration.contract.target import Target, ask_tools

pytestmark = pytest.mark.anyio


def _exposing(target: Target, uid: str, **extra: Any) -> dict[str, Any]:
    return {"expose_tag": f"{uid}:expose", "ask_cache_seconds": 0, **extra}


async def test_tag_call_untag(target: Target, uid: str) -> None:
    tag = f"{uid}:expose"
    agent = await call(
        target.mcp,
        "create_agent",
        name=f"Architect {uid}",
        description="Knows the architecture.",
        tags=[tag, "other"],
    )
    tool_name = f"ask_architect_{uid}"
    notes: list[Any] = []

    async def handler(message: Any) -> None:
        notes.append(type(getattr(message, "root", message)).__name__)

    server = target.new_server(**_exposing(target, uid))
    async with target.connect(server, mode="legacy", message_handler=handler) as client:
        assert await ask_tools(client, expect=tool_name) == [tool_name], "only the agents carrying the tag"
        tool = next(t for t in (await client.list_tools()).tools if t.name == tool_name)
        assert tool.description is not None
        assert tool.description.startswith("Knows the architecture.")
        assert "get_run" in tool.description
        assert tool.input_schema["required"] == ["message"]
        assert tool.output_schema is not None
        result = await client.call_tool(tool_name, {"message": "how is it built?"})
        assert not result.is_error, result.content
        assert result.structured_content is not None
        assert result.structured_content["reply"] == "echo: how is it built?"
        assert result.structured_content["status"] == "completed"
        assert result.structured_content["agent_id"] == agent["id"]
        stored = await target.read.messages(agent["id"])
        assert [text for kind, text in stored if kind in ("user", "assistant")] == [
            "how is it built?",
            "echo: how is it built?",
        ]

        notes.clear()
        await call(client, "update_agent", agent=agent["id"], tags=["other"])
        assert tool_name not in await ask_tools(client, absent=tool_name)
        assert "ToolListChangedNotification" in notes, notes
        refused = await call_error(client, tool_name, message="still there?")
        assert "Unknown tool" in refused
    stored_agent = await target.read.agent(agent["id"])
    assert stored_agent is not None
    assert stored_agent.tags == ["other"]
    assert len([kind for kind, _ in await target.read.messages(agent["id"]) if kind == "user"]) == 1


async def test_expose_by_name_and_read_only(target: Target, uid: str) -> None:
    agent = await call(target.mcp, "create_agent", name=f"{uid} support policy", description="Knows the refund rules.")
    exposing = _exposing(target, uid, expose_agents=agent["name"])
    tool_name = f"ask_{uid}_support_policy"
    async with target.connect(target.new_server(**exposing)) as client:
        assert tool_name in await ask_tools(client, expect=tool_name)
        asked = await call(client, tool_name, message="may I return it?")
        assert asked["reply"] == "echo: may I return it?"
    assert ("user", "may I return it?") in await target.read.messages(agent["id"])
    async with target.connect(target.new_server(**exposing, read_only=True)) as client:
        assert await ask_tools(client) == [], "talking to an agent writes its history: not in read-only mode"
        refused = await call_error(client, tool_name, message="hi")
        assert "Unknown tool" in refused, "nor callable by name (a call would otherwise look the agent up)"
        assert await ask_tools(client) == []
    assert ("user", "hi") not in await target.read.messages(agent["id"])
    async with target.connect(target.new_server(**exposing, read_only=True, read_only_ask=True)) as client:
        assert tool_name in await ask_tools(client, expect=tool_name)


async def test_an_agent_without_a_description_is_described_by_its_persona(target: Target, uid: str) -> None:
    agent = await call(
        target.mcp,
        "create_agent",
        name=f"{uid} persona only",
        memory_blocks=[{"label": "persona", "value": "I know the refund rules.", "description": "who I am"}],
    )
    tool_name = f"ask_{uid}_persona_only"
    async with target.connect(target.new_server(**_exposing(target, uid, expose_agents=agent["id"]))) as client:
        assert tool_name in await ask_tools(client, expect=tool_name)
        tool = next(t for t in (await client.list_tools()).tools if t.name == tool_name)
        assert tool.description is not None
        assert "refund rules" in tool.description, "falls back to the persona"
