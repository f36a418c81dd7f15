"""The messages toolset on every backend, with the tests' fake model: turns, runs and history."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import call, call_error
from tests.integration.contract.target import Target

pytestmark = pytest.mark.anyio


def _said(stored: list[tuple[str, str]], kind: str) -> list[str]:
    return [text for t, text in stored if t == kind]


async def test_send_message_returns_the_stored_reply(target: Target, uid: str) -> None:
    agent = await call(target.mcp, "create_agent", name=f"{uid}-talk")
    out = await call(target.mcp, "send_message", agent=agent["name"], message="hello there")
    assert out["status"] == "completed"
    assert out["reply"] == "echo: hello there"
    assert out["agent_id"] == agent["id"]
    assert target.is_id("run", out["run_id"])
    assert "reasoning" not in out
    assert "tool_calls" not in out
    stored = await target.read.messages(agent["id"])
    assert _said(stored, "assistant") == ["echo: hello there"]
    assert _said(stored, "user") == ["hello there"], "one send_message reaches the agent exactly once"


async def test_a_turn_with_reasoning_and_progress(target: Target, uid: str) -> None:
    agent = await call(target.mcp, "create_agent", name=f"{uid}-think")
    steps: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        steps.append(message or "")

    result = await target.mcp.call_tool(
        "send_message",
        {"agent": agent["id"], "message": "[[think:plan it]] hello there", "include_reasoning": True},
        progress_callback=on_progress,
    )
    assert not result.is_error, result.content
    out = result.structured_content
    assert out["status"] == "completed"
    assert out["reply"] == "echo: hello there"
    assert out["reasoning"] == ["plan it"]
    if target.kind == "rest":
        # Letta's REST stream names its run first, before any step.
        assert steps[0] == f"agent is working (run {out['run_id']})"
        steps = steps[1:]
    assert steps[0] == "thinking: plan it"
    assert steps[-1].startswith("replying: echo:")
    stored = await target.read.messages(agent["id"])
    assert _said(stored, "assistant") == ["echo: hello there"]
    assert _said(stored, "reasoning") == ["plan it"]
    history = await call(target.mcp, "list_messages", agent=agent["id"], roles=["user", "assistant"])
    assert [(m["type"], m["text"]) for m in history["messages"]] == [
        ("assistant", "echo: hello there"),
        ("user", "[[think:plan it]] hello there"),
    ], "newest first; the App Server's system reminders are not the user's words"


async def test_list_messages_pages_orders_and_filters(target: Target, uid: str) -> None:
    client = target.mcp
    agent = await call(client, "create_agent", name=f"{uid}-hist")
    for i in range(3):
        await call(client, "send_message", agent=agent["id"], message=f"message number {i}")
    newest = await call(client, "list_messages", agent=agent["id"], roles=["user"], limit=2)
    assert [m["text"] for m in newest["messages"]] == ["message number 2", "message number 1"]
    assert newest["next_cursor"]
    rest = await call(client, "list_messages", agent=agent["id"], roles=["user"], limit=2, cursor=newest["next_cursor"])
    assert [m["text"] for m in rest["messages"]] == ["message number 0"]
    assert "next_cursor" not in rest
    oldest = await call(client, "list_messages", agent=agent["id"], order="oldest_first", roles=["assistant"], limit=5)
    assert [m["text"] for m in oldest["messages"]] == [f"echo: message number {i}" for i in range(3)]
    assert all(m["type"] == "assistant" for m in oldest["messages"])
    both = await call(client, "list_messages", agent=agent["id"], order="oldest_first", roles=["user", "assistant"])
    stored = [(t, text) for t, text in await target.read.messages(agent["id"]) if t in ("user", "assistant")]
    assert [(m["type"], m["text"]) for m in both["messages"]] == stored
    assert stored == [
        pair for i in range(3) for pair in (("user", f"message number {i}"), ("assistant", f"echo: message number {i}"))
    ]


@pytest.mark.parametrize("thread", ["default", "conversation"])
async def test_the_deadline_hands_back_a_run_and_get_run_collects_it(target: Target, uid: str, thread: str) -> None:
    client = target.mcp
    agent = await call(client, "create_agent", name=f"{uid}-slow")
    where: dict[str, Any] = {}
    if thread == "conversation":
        where["conversation"] = (await call(client, "create_conversation", agent=agent["id"]))["id"]
    out = await call(client, "send_message", agent=agent["id"], message="ponder [[sleep:2]]", wait_seconds=0.5, **where)
    assert out["status"] == "running"
    assert target.is_id("run", out["run_id"])
    assert "get_run" in out["note"]
    assert out.get("conversation_id") == where.get("conversation")
    if target.kind == "app":
        # The App Server runs one turn at a time in a conversation: a second message is refused, not queued.
        busy = await call_error(client, "send_message", agent=agent["id"], message="again", **where)
        assert out["run_id"] in busy
        assert "Nothing was sent" in busy
    done = await call(client, "get_run", run_id=out["run_id"], wait_seconds=30)
    assert done["status"] == "completed"
    assert done["reply"] == "echo: ponder"
    assert done["run_id"] == out["run_id"]
    assert done.get("conversation_id") == where.get("conversation")
    stored = await target.read.messages(agent["id"], where.get("conversation"))
    assert _said(stored, "user") == ["ponder [[sleep:2]]"]
    assert _said(stored, "assistant") == ["echo: ponder"]


async def test_get_run_of_an_unknown_run_says_where_to_look(target: Target) -> None:
    made_up = {
        "rest": "run-00000000-0000-4000-8000-000000000000",
        "app": "run-app-00000000-0000-4000-8000-000000000000",
    }
    message = await call_error(target.mcp, "get_run", run_id=made_up[target.kind])
    assert "list_messages" in message


async def _running_turn(client: Any, uid: str, suffix: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """An agent, a conversation of its own, and a turn in it handed back while it runs."""
    agent = await call(client, "create_agent", name=f"{uid}-{suffix}")
    # Its own conversation: a turn stopped on the App Server leaves that conversation refusing input (see below).
    thread = (await call(client, "create_conversation", agent=agent["id"]))["id"]
    out = await call(
        client,
        "send_message",
        agent=agent["id"],
        message="long task [[sleep:2]]",
        wait_seconds=0.5,
        conversation=thread,
    )
    return agent, thread, out


async def test_cancel_run_stops_the_turn(target: Target, uid: str) -> None:
    client = target.mcp
    agent, thread, out = await _running_turn(client, uid, "cancel")
    assert out["status"] == "running"
    cancelled = await call(client, "cancel_run", run_id=out["run_id"])
    assert cancelled["status"] == "cancelled"
    assert cancelled["run_id"] == out["run_id"]
    assert (await call(client, "get_run", run_id=out["run_id"]))["status"] == "cancelled"
    stored = await target.read.messages(agent["id"], thread)
    assert "echo: long task" not in _said(stored, "assistant"), "the reply never came"
    again = await call(client, "cancel_run", run_id=out["run_id"])
    assert again["status"] == "cancelled", "cancelling a finished run changes nothing"


async def test_the_conversation_goes_on_after_a_cancel(target: Target, uid: str) -> None:
    client = target.mcp
    agent, thread, out = await _running_turn(client, uid, "goes-on")
    await call(client, "cancel_run", run_id=out["run_id"])
    after = await call(client, "send_message", agent=agent["id"], message="still there?", conversation=thread)
    assert after["reply"] == "echo: still there?"
    assert _said(await target.read.messages(agent["id"], thread), "assistant")[-1] == "echo: still there?"


async def test_send_message_when_the_model_fails(target: Target, uid: str) -> None:
    # ~35 s on the App Server: Letta Code retries a failing model 15 times (its own constants) before giving up.
    agent = await call(target.mcp, "create_agent", name=f"{uid}-fail")
    thread = (await call(target.mcp, "create_conversation", agent=agent["id"]))["id"]
    message = await call_error(
        target.mcp, "send_message", agent=agent["id"], message="break [[fail:500]]", conversation=thread
    )
    assert "Traceback" not in message
    said = {"rest": "turn failed in Letta (run run-", "app": "turn failed on Letta's App Server (run run-app-"}
    assert said[target.kind] in message, "names the run"
    assert "check list_messages before sending it again" in message
    assert not [t for t in _said(await target.read.messages(agent["id"], thread), "assistant") if "break" in t]
    after = await call(target.mcp, "send_message", agent=agent["id"], message="and now?", conversation=thread)
    assert after["reply"] == "echo: and now?", "a failed turn leaves the conversation usable"


async def test_search_messages_finds_what_was_said_and_nothing_else(target: Target, uid: str) -> None:
    """Same arguments and result shape on both backends: REST (self-hosted) through the agent's own
    conversation_search, the App Server by reading its conversations (every word of the query, any case)."""
    agent = await call(target.mcp, "create_agent", name=f"{uid}-search")
    await call(target.mcp, "send_message", agent=agent["id"], message="the zebra password is striped")
    await call(target.mcp, "send_message", agent=agent["id"], message="unrelated chatter")
    other = await call(target.mcp, "create_conversation", agent=agent["id"])
    await call(
        target.mcp, "send_message", agent=agent["id"], message="a Zebra in the side room", conversation=other["id"]
    )
    found = await call(target.mcp, "search_messages", agent=agent["id"], query="zebra")
    assert found["agent_id"] == agent["id"]
    assert found["query"] == "zebra"
    assert found["source"].startswith("conversation_search" if target.kind == "rest" else "app server history")
    texts = [h["text"] for h in found["hits"]]
    assert any("zebra password" in t for t in texts), found
    assert not any("unrelated" in t for t in texts), found
    if target.kind == "app":
        assert any("side room" in t for t in texts), ("every conversation is read", found)
        dates = [h["date"] for h in found["hits"]]
        assert dates == sorted(dates, reverse=True), "newest first"
    few = await call(target.mcp, "search_messages", agent=agent["id"], query="zebra", limit=1)
    assert len(few["hits"]) == 1
    missing = await call_error(target.mcp, "search_messages", agent=f"{uid}-nobody", query="zebra")
    assert "No agent named" in missing
