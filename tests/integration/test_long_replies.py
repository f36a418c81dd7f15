"""Long replies: progress while the agent works, run handles at the deadline, other processes, cancellation."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest
from mcp import Client

from letta_mcp.server import create_server
from tests.conftest import settings_for, start_stack
from tests.helpers import call, call_error
from tests.stack.letta_stack import Stack
from tests.subprocess_server import http_server, stdio_params

pytestmark = pytest.mark.anyio


async def _assistant_texts(letta: Any, agent_id: str) -> list[str]:
    stored = (await letta.agents.messages.list(agent_id, limit=50, order="asc")).items
    return [m.content for m in stored if m.message_type == "assistant_message"]


async def test_a_slow_reply_returns_a_run_at_the_deadline_then_get_run_has_it(
    client: Any, letta: Any, uid: str
) -> None:
    agent = await call(client, "create_agent", name=f"{uid}-slow")
    t0 = time.monotonic()
    out = await call(client, "send_message", agent=agent["id"], message="ponder [[sleep:20]]", wait_seconds=2)
    elapsed = time.monotonic() - t0
    assert out["status"] == "running"
    # Not before the deadline; and long before the agent's 20 s (a margin for hosts three times slower).
    assert 1.5 <= elapsed < 15, f"returned after {elapsed:.1f} s, the deadline was 2 s"
    assert out["run_id"].startswith("run-")
    assert out["agent_id"] == agent["id"]
    assert "get_run" in out["note"]
    early = await call(client, "get_run", run_id=out["run_id"])
    assert early["status"] == "running"
    done = await call(client, "get_run", run_id=out["run_id"], wait_seconds=60)
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
    started = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(message or "")
        started.set()

    async with anyio.create_task_group() as tg:

        async def long_call() -> None:
            arguments = {"agent": agent["id"], "message": "take your time [[sleep:20]]"}
            await client.call_tool("send_message", arguments, progress_callback=on_progress)
            pytest.fail("the call should still have been running")

        tg.start_soon(long_call)
        with anyio.fail_after(30):
            await started.wait()  # the run exists: its id came as the first progress
        tg.cancel_scope.cancel()
    match = re.search(r"run (run-[0-9a-f-]+)", " ".join(seen))
    assert match, seen
    run_id = match.group(1)
    status = None
    for _ in range(150):  # up to 30 s
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


@contextlib.asynccontextmanager
async def _real_client(stack: Stack, transport: str, **kwargs: Any) -> AsyncIterator[Client]:
    """An MCP client of the 2025-06-18 protocol (log messages are its own) over a real subprocess."""
    if transport == "stdio":
        async with Client(stdio_params(stack), mode="legacy", **kwargs) as client:
            yield client
        return
    with http_server(stack) as base:
        async with Client(base + "/mcp", mode="legacy", **kwargs) as client:
            yield client


STEPS = '[[think:plan it]] [[tool:conversation_search {"query": "x"}]] [[pause:8]]'


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_over_a_real_transport_steps_come_as_progress_and_logs_and_the_hand_back_carries_them(
    stack: Stack, letta: Any, uid: str, transport: str
) -> None:
    agent = await letta.agents.create(name=f"{uid}-{transport}", model=stack.model, embedding=stack.embedding)
    progress: list[tuple[float, str]] = []
    logs: list[tuple[str, str]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, message or ""))

    async def on_log(params: Any) -> None:
        logs.append((params.level, str(params.data)))

    async with _real_client(stack, transport, logging_callback=on_log) as client:
        await client.set_logging_level("info")
        arguments = {"agent": agent.id, "message": STEPS, "wait_seconds": 4, "include_reasoning": True}
        result = await client.call_tool(
            "send_message", {**arguments, "include_tool_calls": True}, progress_callback=on_progress
        )
        assert not result.is_error, result.content
        out = result.structured_content
        assert out is not None
        assert out["status"] == "running", "the agent was still working at the deadline"
        assert out["reasoning"] == ["plan it"], "what arrived so far: the reasoning"
        assert [t["name"] for t in out["tool_calls"]] == ["conversation_search"], "and the tool call"
        done = await call(client, "get_run", run_id=out["run_id"], wait_seconds=30)
    assert done["status"] == "completed"
    assert done["reply"].startswith("tool said:")
    values = [v for v, _ in progress]
    assert len(values) >= 3
    assert values == sorted(values), "progress only goes up"
    texts = [m for _, m in progress]
    assert "thinking: plan it" in texts
    assert "calling tool conversation_search" in texts
    infos = [data for level, data in logs if level == "info"]
    assert len(infos) >= 3, logs
    assert "thinking: plan it" in " ".join(infos), logs
    assert "calling tool conversation_search" in " ".join(infos), "each step is also an info log message"


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_cancelling_over_a_real_transport_cancels_the_run(
    stack: Stack, letta: Any, uid: str, transport: str
) -> None:
    agent = await letta.agents.create(name=f"{uid}-c{transport}", model=stack.model, embedding=stack.embedding)
    started = anyio.Event()
    seen: list[str] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        seen.append(message or "")
        started.set()

    async with _real_client(stack, transport) as client, anyio.create_task_group() as tg:

        async def long_call() -> None:
            await client.call_tool(
                "send_message",
                {"agent": agent.id, "message": "take your time [[sleep:20]]"},
                progress_callback=on_progress,
            )

        tg.start_soon(long_call)
        with anyio.fail_after(30):
            await started.wait()  # the run exists: its id came as the first progress
        tg.cancel_scope.cancel()  # the client sends notifications/cancelled
    match = re.search(r"run (run-[0-9a-f-]+)", " ".join(seen))
    assert match, seen
    status = None
    with anyio.fail_after(30):
        while status != "cancelled":
            status = (await letta.runs.retrieve(match.group(1))).status
            await anyio.sleep(0.2)
