"""Long replies: progress while the agent works, run handles at the deadline, other processes, cancellation."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from mcp import Client

from letta_mcp.server import create_server
from tests.conftest import settings_for, start_stack
from tests.helpers import call, call_error
from tests.stack.letta_stack import Stack
from tests.subprocess_server import stdio_params

pytestmark = pytest.mark.anyio


async def _assistant_texts(letta: Any, agent_id: str) -> list[str]:
    stored = (await letta.agents.messages.list(agent_id, limit=50, order="asc")).items
    return [m.content for m in stored if m.message_type == "assistant_message"]


async def test_a_slow_reply_returns_a_run_at_the_deadline_then_get_run_has_it(
    client: Any, letta: Any, uid: str
) -> None:
    agent = await call(client, "create_agent", name=f"{uid}-slow")
    t0 = time.monotonic()
    out = await call(client, "send_message", agent=agent["id"], message="ponder [[sleep:6]]", wait_seconds=2)
    elapsed = time.monotonic() - t0
    assert out["status"] == "running"
    assert 1.5 <= elapsed < 5, f"returned after {elapsed:.1f} s, the deadline was 2 s"
    assert out["run_id"].startswith("run-")
    assert out["agent_id"] == agent["id"]
    assert "get_run" in out["note"]
    early = await call(client, "get_run", run_id=out["run_id"])
    assert early["status"] == "running"
    done = await call(client, "get_run", run_id=out["run_id"], wait_seconds=20)
    assert done["status"] == "completed"
    assert done["reply"] == "echo: ponder"
    assert await _assistant_texts(letta, agent["id"]) == [done["reply"]], "the reply is the one Letta stored"
    run = await letta.runs.retrieve(out["run_id"])
    assert run.status == "completed"


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_progress_arrives_in_order_with_the_steps(settings: Any, uid: str, mode: Any) -> None:
    steps: list[tuple[float, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        steps.append((progress, message))

    async with Client(create_server(settings), mode=mode) as client:
        agent = await call(client, "create_agent", name=f"{uid}-prog")
        result = await client.call_tool(
            "send_message",
            {"agent": agent["id"], "message": '[[think:plan it]] [[tool:conversation_search {"query": "x"}]]'},
            progress_callback=on_progress,
        )
    assert not result.is_error
    messages = [m or "" for _, m in steps]
    assert [p for p, _ in steps] == sorted(p for p, _ in steps), "progress only goes up"
    assert messages[0].startswith("agent is working (run run-")
    kinds = [m.split(":")[0].split(" ")[0] for m in messages[1:]]
    order = [k for k in kinds if k in ("thinking", "calling", "tool", "replying")]
    assert order == ["thinking", "calling", "tool", "replying"], messages
    assert "thinking: plan it" in messages
    assert "calling tool conversation_search" in messages


async def test_cancelling_the_request_cancels_the_run(client: Any, letta: Any, uid: str) -> None:
    agent = await call(client, "create_agent", name=f"{uid}-cancel")
    seen: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(message or "")

    with anyio.move_on_after(3):
        await client.call_tool(
            "send_message",
            {"agent": agent["id"], "message": "take your time [[sleep:8]]"},
            progress_callback=on_progress,
        )
        pytest.fail("the call should still have been running")
    match = re.search(r"run (run-[0-9a-f-]+)", " ".join(seen))
    assert match, seen
    run_id = match.group(1)
    status = None
    for _ in range(50):
        status = (await letta.runs.retrieve(run_id)).status
        if status == "cancelled":
            break
        await anyio.sleep(0.2)
    assert status == "cancelled"


async def test_cancel_run_tool(client: Any, letta: Any, uid: str) -> None:
    agent = await call(client, "create_agent", name=f"{uid}-cr")
    out = await call(client, "send_message", agent=agent["id"], message="slow [[sleep:6]]", wait_seconds=1)
    cancelled = await call(client, "cancel_run", run_id=out["run_id"])
    assert cancelled["status"] == "cancelled"
    assert (await letta.runs.retrieve(out["run_id"])).status == "cancelled"
    assert (
        "not found" in (await call_error(client, "get_run", run_id="run-00000000-0000-4000-8000-000000000000")).lower()
    )


async def test_another_process_fetches_the_run(stack: Stack, letta: Any, uid: str) -> None:
    agent = await letta.agents.create(name=f"{uid}-x", model=stack.model, embedding=stack.embedding)
    async with Client(stdio_params(stack)) as first:
        out = await call(first, "send_message", agent=agent.id, message="relay [[sleep:4]]", wait_seconds=1)
    assert out["status"] == "running"
    async with Client(stdio_params(stack)) as second:
        done = await call(second, "get_run", run_id=out["run_id"], wait_seconds=20)
    assert done["status"] == "completed"
    assert done["reply"] == "echo: relay"
    assert await _assistant_texts(letta, agent.id) == ["echo: relay"]


@pytest.fixture(scope="module")
def stack_without_redis(request: pytest.FixtureRequest) -> Iterator[Stack]:
    yield from start_stack(request, redis=False)


async def test_without_background_support_the_reply_still_arrives(
    stack_without_redis: Stack, caplog: pytest.LogCaptureFixture, uid: str
) -> None:
    async with Client(create_server(settings_for(stack_without_redis))) as client:
        agent = await call(client, "create_agent", name=f"{uid}-noredis")
        out = await call(client, "send_message", agent=agent["id"], message="hello")
        assert out["status"] == "completed"
        assert out["reply"] == "echo: hello"
        slow = await call(client, "send_message", agent=agent["id"], message="later [[sleep:4]]", wait_seconds=1)
        assert slow["status"] == "running"
        done = await call(client, "get_run", run_id=slow["run_id"], wait_seconds=20)
        assert done["reply"] == "echo: later"
        listed = await call(client, "list_messages", agent=agent["id"], roles=["user"])
        assert [m["text"] for m in listed["messages"]] == ["later [[sleep:4]]", "hello"], "each message sent once"
    notes = [r.getMessage() for r in caplog.records if "background streams" in r.getMessage()]
    assert len(notes) == 1, "said once in the log"
