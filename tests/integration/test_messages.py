"""The messages toolset against the real Letta server and the tests' fake model."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import call, call_error

pytestmark = pytest.mark.anyio


async def test_send_message_returns_the_stored_reply(client: Any, letta: Any, uid: str) -> None:
    agent = await call(client, "create_agent", name=f"{uid}-talk")
    out = await call(client, "send_message", agent=agent["name"], message="hello there")
    assert out["status"] == "completed"
    assert out["reply"] == "echo: hello there"
    assert out["run_id"].startswith("run-")
    assert "reasoning" not in out
    stored = (await letta.agents.messages.list(agent["id"], limit=10, order="desc")).items
    assistant = [m for m in stored if m.message_type == "assistant_message"]
    assert assistant[0].content == "echo: hello there"
    users = [m for m in stored if m.message_type == "user_message"]
    assert len(users) == 1, "one send_message must reach the agent exactly once"


async def test_send_message_with_reasoning_tool_calls_and_usage(client: Any, letta: Any, uid: str) -> None:
    agent = await call(
        client,
        "create_agent",
        name=f"{uid}-tools",
        memory_blocks=[{"label": "human", "value": "", "description": "the user"}],
    )
    out = await call(
        client,
        "send_message",
        agent=agent["id"],
        message="note this [[think:I should store it]] "
        '[[tool:memory_insert {"label": "human", "new_string": "likes tea"}]]',
        include_reasoning=True,
        include_tool_calls=True,
    )
    assert out["reasoning"] == ["I should store it"]
    step = out["tool_calls"][0]
    assert step["name"] == "memory_insert"
    assert "likes tea" in step["arguments"]
    assert step["status"] == "success"
    assert out["reply"].startswith("tool said:")
    assert out["usage"]["total_tokens"] > 0
    block = await letta.agents.blocks.retrieve("human", agent_id=agent["id"])
    assert "likes tea" in block.value


async def test_list_messages_pages_orders_and_filters(client: Any, uid: str) -> None:
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


async def test_search_messages_on_a_self_hosted_server(client: Any, uid: str) -> None:
    agent = await call(client, "create_agent", name=f"{uid}-search")
    await call(client, "send_message", agent=agent["id"], message="the zebra password is striped")
    await call(client, "send_message", agent=agent["id"], message="unrelated chatter")
    found = await call(client, "search_messages", agent=agent["id"], query="zebra")
    assert found["source"].startswith("conversation_search")
    assert any("zebra password" in h["text"] for h in found["hits"])
    assert not any("unrelated" in h["text"] for h in found["hits"])


async def test_send_message_when_the_model_fails(client: Any, letta: Any, uid: str) -> None:
    agent = await call(client, "create_agent", name=f"{uid}-fail")
    message = await call_error(client, "send_message", agent=agent["id"], message="break [[fail:500]]")
    assert "Traceback" not in message
    assert "turn failed in Letta (run run-" in message
    assert "check list_messages before sending it again" in message
