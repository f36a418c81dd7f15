"""Conversations against the real Letta server: separate threads with one agent, and one per MCP session."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from letta_mcp.server import create_server
from tests.conftest import settings_for
from tests.helpers import call, call_error
from tests.stack.letta_stack import Stack

pytestmark = pytest.mark.anyio


def _texts(listed: dict[str, Any], kind: str = "user") -> list[str]:
    return [m["text"] for m in listed["messages"] if m["type"] == kind]


async def test_a_conversation_keeps_its_own_history(client: Any, letta: Any, uid: str) -> None:
    agent = await call(client, "create_agent", name=f"{uid}-threads")
    thread = await call(client, "create_conversation", agent=agent["id"], summary="side quest")
    assert thread["id"].startswith("conv-")
    assert thread["summary"] == "side quest"
    out = await call(client, "send_message", agent=agent["id"], message="in the thread", conversation=thread["id"])
    assert out["reply"] == "echo: in the thread"
    assert out["conversation_id"] == thread["id"]
    await call(client, "send_message", agent=agent["id"], message="in the default one")
    in_thread = await call(client, "list_messages", agent=agent["id"], conversation=thread["id"])
    default = await call(client, "list_messages", agent=agent["id"])
    assert _texts(in_thread) == ["in the thread"]
    assert _texts(default) == ["in the default one"]
    stored = await letta.conversations.messages.list(thread["id"], limit=20)
    assert [m.content for m in stored.items if m.message_type == "user_message"] == ["in the thread"]
    listed = await call(client, "list_conversations", agent=agent["id"])
    assert [c["id"] for c in listed["conversations"]] == [thread["id"]]


async def test_fork_copies_the_history_and_leaves_the_original(client: Any, uid: str) -> None:
    agent = await call(client, "create_agent", name=f"{uid}-fork")
    thread = await call(client, "create_conversation", agent=agent["id"])
    await call(client, "send_message", agent=agent["id"], message="before the fork", conversation=thread["id"])
    fork = await call(client, "fork_conversation", agent=agent["id"], conversation=thread["id"])
    assert fork["id"] != thread["id"]
    await call(client, "send_message", agent=agent["id"], message="only in the fork", conversation=fork["id"])
    assert _texts(await call(client, "list_messages", agent=agent["id"], conversation=fork["id"])) == [
        "only in the fork",
        "before the fork",
    ]
    assert _texts(await call(client, "list_messages", agent=agent["id"], conversation=thread["id"])) == [
        "before the fork"
    ]
    # Letta 0.16 would move the default thread's messages into a fork of it: refused, history intact.
    await call(client, "send_message", agent=agent["id"], message="default history")
    refused = await call_error(client, "fork_conversation", agent=agent["id"])
    assert "default thread" in refused
    assert _texts(await call(client, "list_messages", agent=agent["id"])) == ["default history"]


async def test_another_agents_conversation_is_not_found(client: Any, uid: str) -> None:
    mine = await call(client, "create_agent", name=f"{uid}-mine")
    theirs = await call(client, "create_agent", name=f"{uid}-theirs")
    thread = await call(client, "create_conversation", agent=theirs["id"])
    for tool, args in (
        ("send_message", {"agent": mine["id"], "message": "hi", "conversation": thread["id"]}),
        ("list_messages", {"agent": mine["id"], "conversation": thread["id"]}),
        ("send_message", {"agent": mine["id"], "message": "hi", "conversation": "conv-nope"}),
    ):
        message = await call_error(client, tool, **args)
        assert "list_conversations" in message, message
    assert _texts(await call(client, "list_messages", agent=mine["id"])) == [], "nothing was sent"


async def test_a_slow_reply_in_a_conversation_is_fetched_with_get_run(client: Any, uid: str) -> None:
    agent = await call(client, "create_agent", name=f"{uid}-slowthread")
    thread = await call(client, "create_conversation", agent=agent["id"])
    out = await call(
        client,
        "send_message",
        agent=agent["id"],
        message="think [[sleep:4]]",
        conversation=thread["id"],
        wait_seconds=1,
    )
    assert out["status"] == "running"
    assert out["conversation_id"] == thread["id"]
    done = await call(client, "get_run", run_id=out["run_id"], wait_seconds=30)
    assert done["status"] == "completed"
    assert done["reply"] == "echo: think"
    assert done["conversation_id"] == thread["id"]


async def test_per_session_conversations_keep_sessions_apart(stack: Stack, letta: Any, uid: str) -> None:
    agent = await letta.agents.create(
        name=f"{uid}-sessions", model=stack.model, embedding=stack.embedding, tags=["mcp:expose"]
    )
    server = create_server(settings_for(stack, conversation="per-session"))
    async with Client(server) as first, Client(server) as second:
        one = await call(first, "send_message", agent=agent.id, message="from session one")
        two = await call(second, "send_message", agent=agent.id, message="from session two")
        again = await call(first, "send_message", agent=agent.id, message="one again")
        assert one["conversation_id"]
        assert two["conversation_id"]
        assert one["conversation_id"] != two["conversation_id"], "each session has its own thread"
        assert again["conversation_id"] == one["conversation_id"], "a session keeps its thread"
        assert _texts(await call(first, "list_messages", agent=agent.id)) == ["one again", "from session one"]
        assert _texts(await call(second, "list_messages", agent=agent.id)) == ["from session two"]
        ask = next(t.name for t in (await second.list_tools()).tools if t.name.startswith(f"ask_{uid}"))
        asked = await call(second, ask, message="asked in two")
        assert asked["conversation_id"] == two["conversation_id"], "ask_ tools use the session's thread too"
    default = await letta.agents.messages.list(agent.id, limit=50, conversation_id="default")
    assert [m for m in default.items if m.message_type == "user_message"] == [], "the default thread stays clean"
    threads = await letta.conversations.list(agent_id=agent.id)
    assert len(list(threads)) == 2, "one conversation per session, made on first use"
