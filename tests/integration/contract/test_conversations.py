"""Conversations on every backend: separate threads with one agent, forks, and one thread per MCP session."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import call, call_error
from tests.integration.contract.target import Target, ask_tools

pytestmark = pytest.mark.anyio


def _texts(listed: dict[str, Any], kind: str = "user") -> list[str]:
    return [m["text"] for m in listed["messages"] if m["type"] == kind]


def _stored(stored: list[tuple[str, str]], kind: str = "user") -> list[str]:
    return [text for t, text in stored if t == kind]


async def test_a_conversation_keeps_its_own_history(target: Target, uid: str) -> None:
    client = target.mcp
    agent = await call(client, "create_agent", name=f"{uid}-threads")
    thread = await call(client, "create_conversation", agent=agent["id"], summary="side quest")
    assert target.is_id("conversation", thread["id"])
    assert (thread["agent_id"], thread["summary"]) == (agent["id"], "side quest")
    assert await target.read.conversations(agent["id"]) == [thread["id"]]
    out = await call(client, "send_message", agent=agent["id"], message="in the thread", conversation=thread["id"])
    assert out["reply"] == "echo: in the thread"
    assert out["conversation_id"] == thread["id"]
    default_out = await call(client, "send_message", agent=agent["id"], message="in the default one")
    assert default_out.get("conversation_id") is None, "the default thread"
    in_thread = await call(client, "list_messages", agent=agent["id"], conversation=thread["id"])
    default = await call(client, "list_messages", agent=agent["id"])
    assert _texts(in_thread) == ["in the thread"]
    assert _texts(in_thread, "assistant") == ["echo: in the thread"]
    assert _texts(default) == ["in the default one"]
    assert _stored(await target.read.messages(agent["id"], thread["id"])) == ["in the thread"]
    assert _stored(await target.read.messages(agent["id"])) == ["in the default one"]
    listed = await call(client, "list_conversations", agent=agent["id"])
    assert [(c["id"], c.get("summary")) for c in listed["conversations"]] == [(thread["id"], "side quest")]
    second = await call(client, "create_conversation", agent=f"{uid}-threads")
    both = await call(client, "list_conversations", agent=agent["id"])
    assert [c["id"] for c in both["conversations"]] == [second["id"], thread["id"]], "newest first"
    assert sorted(await target.read.conversations(agent["id"])) == sorted([thread["id"], second["id"]])
    first_page = await call(client, "list_conversations", agent=agent["id"], limit=1)
    assert [c["id"] for c in first_page["conversations"]] == [second["id"]]
    rest = await call(client, "list_conversations", agent=agent["id"], limit=1, cursor=first_page["next_cursor"])
    assert [c["id"] for c in rest["conversations"]] == [thread["id"]]


async def test_fork_copies_the_history_and_leaves_the_original(target: Target, uid: str) -> None:
    client = target.mcp
    agent = await call(client, "create_agent", name=f"{uid}-fork")
    thread = await call(client, "create_conversation", agent=agent["id"])
    await call(client, "send_message", agent=agent["id"], message="before the fork", conversation=thread["id"])
    fork = await call(client, "fork_conversation", agent=agent["id"], conversation=thread["id"])
    assert fork["id"] != thread["id"]
    assert target.is_id("conversation", fork["id"])
    assert fork["id"] in await target.read.conversations(agent["id"])
    assert _stored(await target.read.messages(agent["id"], fork["id"])) == ["before the fork"], "the history came along"
    await call(client, "send_message", agent=agent["id"], message="only in the fork", conversation=fork["id"])
    assert _texts(await call(client, "list_messages", agent=agent["id"], conversation=fork["id"])) == [
        "only in the fork",
        "before the fork",
    ]
    assert _texts(await call(client, "list_messages", agent=agent["id"], conversation=thread["id"])) == [
        "before the fork"
    ]
    assert _stored(await target.read.messages(agent["id"], thread["id"])) == ["before the fork"], "the original"
    assert _stored(await target.read.messages(agent["id"], fork["id"])) == ["before the fork", "only in the fork"]
    await call(client, "send_message", agent=agent["id"], message="default history")
    if target.kind == "rest":
        # Letta 0.16 would move the default thread's messages into a fork of it: refused, history intact.
        refused = await call_error(client, "fork_conversation", agent=agent["id"])
        assert "default thread" in refused
        assert "create_conversation" in refused
    else:
        # The App Server copies the default thread like any other.
        forked = await call(client, "fork_conversation", agent=agent["id"])
        assert _stored(await target.read.messages(agent["id"], forked["id"])) == ["default history"]
    assert _texts(await call(client, "list_messages", agent=agent["id"])) == ["default history"]
    assert _stored(await target.read.messages(agent["id"])) == ["default history"]


async def test_another_agents_conversation_is_not_found(target: Target, uid: str) -> None:
    client = target.mcp
    mine = await call(client, "create_agent", name=f"{uid}-mine")
    theirs = await call(client, "create_agent", name=f"{uid}-theirs")
    thread = await call(client, "create_conversation", agent=theirs["id"])
    made_up = {"rest": "conv-nope", "app": "local-conv-nope"}[target.kind]
    for tool, args in (
        ("send_message", {"agent": mine["id"], "message": "hi", "conversation": thread["id"]}),
        ("list_messages", {"agent": mine["id"], "conversation": thread["id"]}),
        ("fork_conversation", {"agent": mine["id"], "conversation": thread["id"]}),
        ("send_message", {"agent": mine["id"], "message": "hi", "conversation": made_up}),
    ):
        message = await call_error(client, tool, **args)
        assert "list_conversations" in message, (tool, message)
    assert _texts(await call(client, "list_messages", agent=mine["id"])) == [], "nothing was sent"
    assert _stored(await target.read.messages(mine["id"])) == []
    assert _stored(await target.read.messages(theirs["id"], thread["id"])) == []
    assert await target.read.conversations(mine["id"]) == [], "no fork was made"


async def test_per_session_conversations_keep_sessions_apart(target: Target, uid: str) -> None:
    tag = f"{uid}:expose"
    server = target.new_server(conversation="per-session", expose_tag=tag, ask_cache_seconds=0)
    async with target.connect(server) as first, target.connect(server) as second:
        agent = await call(first, "create_agent", name=f"{uid}-sessions", tags=[tag])
        one = await call(first, "send_message", agent=agent["id"], message="from session one")
        two = await call(second, "send_message", agent=agent["id"], message="from session two")
        again = await call(first, "send_message", agent=agent["id"], message="one again")
        assert target.is_id("conversation", one["conversation_id"])
        assert target.is_id("conversation", two["conversation_id"])
        assert one["conversation_id"] != two["conversation_id"], "each session has its own thread"
        assert again["conversation_id"] == one["conversation_id"], "a session keeps its thread"
        assert _texts(await call(first, "list_messages", agent=agent["id"])) == ["one again", "from session one"]
        assert _texts(await call(second, "list_messages", agent=agent["id"])) == ["from session two"]
        ask = f"ask_{uid}_sessions"
        assert ask in await ask_tools(second, expect=ask)
        asked = await call(second, ask, message="asked in two")
        assert asked["conversation_id"] == two["conversation_id"], "ask_ tools use the session's thread too"
    assert _stored(await target.read.messages(agent["id"])) == [], "the default thread stays clean"
    assert sorted(await target.read.conversations(agent["id"])) == sorted(
        [one["conversation_id"], two["conversation_id"]]
    ), "one conversation per session, made on first use"
    assert _stored(await target.read.messages(agent["id"], one["conversation_id"])) == [
        "from session one",
        "one again",
    ]
    assert _stored(await target.read.messages(agent["id"], two["conversation_id"])) == [
        "from session two",
        "asked in two",
    ]


async def test_rename_and_compact_a_conversation(target: Target, uid: str) -> None:
    client = target.mcp
    agent = await call(client, "create_agent", name=f"{uid}-tidy")
    other = await call(client, "create_agent", name=f"{uid}-tidy-other")
    thread = (await call(client, "create_conversation", agent=agent["id"], summary="first title"))["id"]
    renamed = await call(client, "update_conversation", agent=agent["name"], conversation=thread, summary="renamed")
    assert (renamed["id"], renamed["summary"]) == (thread, "renamed")
    assert await target.read.summary(thread) == "renamed"
    listed = await call(client, "list_conversations", agent=agent["id"])
    assert [c["summary"] for c in listed["conversations"] if c["id"] == thread] == ["renamed"]
    default = await call_error(client, "update_conversation", agent=agent["id"], conversation="default", summary="x")
    assert "no summary to set" in default
    foreign = await call_error(client, "update_conversation", agent=other["id"], conversation=thread, summary="x")
    assert thread in foreign
    assert await target.read.summary(thread) == "renamed", "another agent's conversation is not changed"

    for n in range(8):
        await call(client, "send_message", agent=agent["id"], message=f"note {n}", conversation=thread)
    compacted = await call(client, "compact_conversation", agent=agent["id"], conversation=thread)
    assert compacted["conversation"] == thread
    assert compacted["messages_after"] < compacted["messages_before"]
    assert compacted["summary"]
    kept = await call(
        client, "list_messages", agent=agent["id"], conversation=thread, roles=["user"], limit=100, order="oldest_first"
    )
    if target.kind == "rest":
        assert {f"note {n}" for n in range(8)} <= set(_texts(kept)), "Letta keeps the messages it summarised"
    else:
        assert "note 0" not in _texts(kept), "the App Server replaces the messages it summarised"
        assert "note 7" in _texts(kept), "and keeps the newest"
    after = await call(client, "send_message", agent=agent["id"], message="still with me?", conversation=thread)
    assert after["reply"] == "echo: still with me?", "the conversation goes on after compaction"
