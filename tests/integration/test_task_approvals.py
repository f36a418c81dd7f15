"""A turn followed as an MCP task that waits for a person's approval, through the reference Tasks client
(@modelcontextprotocol/ext-tasks, pinned in tests/clients) on both backends against the real servers.

At 2025-11-25 the task is `input_required` and its tasks/result asks the person (an elicitation/create that
names the task); in the 2026-07-28 extension tasks/get carries the question as an `inputRequests` entry and
tasks/update brings the answer. Either way the person is asked once per call, one call at a time; an allowed
call runs, a denied (or dismissed) one does not; the turn goes on to its reply; the message is sent once.

REST: the agent's memory_insert needs approval (its effect is the block's text). App Server: Letta Code's
Write needs approval in the default permission mode (its effect is the file)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from letta_mcp.server import create_server
from tests.conftest import app_settings, settings_for
from tests.helpers import call
from tests.integration.test_tasks import ext_tasks, target, tools  # noqa: F401 — `tools` is a fixture
from tests.stack.app_stack import AppStack
from tests.stack.letta_stack import Stack
from tests.subprocess_server import http_server

pytestmark = pytest.mark.anyio


@dataclass
class Backend:
    kind: str
    stack: Stack | AppStack
    tmp: Path

    def client(self) -> Any:
        settings = settings_for(self.stack) if isinstance(self.stack, Stack) else app_settings(self.stack)
        return Client(create_server(settings))

    async def agent(self, uid: str, letta: Any) -> str:
        async with self.client() as client:
            made = await call(
                client,
                "create_agent",
                name=f"{uid}-task-approver",
                memory_blocks=[{"label": "human", "value": "likes tea", "description": "the user"}],
            )
        if self.kind == "rest":
            await letta.agents.tools.update_approval("memory_insert", agent_id=made["id"], body_requires_approval=True)
        return str(made["id"])

    def message(self, *marks: str) -> str:
        calls = []
        for mark in marks:
            if self.kind == "rest":
                args = {"label": "human", "new_string": f"mark {mark}", "insert_line": -1}
                calls.append(f"[[tool:memory_insert {json.dumps(args)}]]")
            else:
                args = {"file_path": str(self.tmp / f"{mark}.txt"), "content": f"mark {mark}"}
                calls.append(f"[[tool:Write {json.dumps(args)}]]")
        return "keep it " + " ".join(calls)

    def tool(self) -> str:
        return "memory_insert" if self.kind == "rest" else "Write"

    async def ran(self, agent_id: str, mark: str) -> bool:
        if self.kind == "app":
            return (self.tmp / f"{mark}.txt").exists()
        async with self.client() as client:
            block = await call(client, "get_block", agent=agent_id, label="human")
        return f"mark {mark}" in block["value"]

    async def sent(self, agent_id: str, message: str) -> int:
        async with self.client() as client:
            history = await call(client, "list_messages", agent=agent_id, roles=["user"], limit=50)
        return sum(message in (m.get("text") or "") for m in history["messages"])


@pytest.fixture(params=["rest", "app"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    stack = request.getfixturevalue("stack" if request.param == "rest" else "app_stack")
    return Backend(request.param, stack, tmp_path)


@pytest.fixture
def rest_client(request: pytest.FixtureRequest, backend: Backend) -> Any:
    """Letta's own client, for the REST backend's setup (None on the App Server)."""
    return request.getfixturevalue("letta") if backend.kind == "rest" else None


@contextmanager
def where(stack: Stack | AppStack, transport: str) -> Iterator[dict[str, Any]]:
    if transport == "http":
        with http_server(stack) as base:
            yield {"url": base + "/mcp"}
    else:
        with target(stack, "stdio") as found:  # type: ignore[arg-type]
            yield found


ALLOW = {"decision": "allow", "reason": "fine by me"}
DENY = {"decision": "deny", "reason": "not that one"}


@pytest.mark.parametrize(
    ("era", "transport", "answers"),
    [
        ("legacy", "stdio", [ALLOW, DENY]),
        ("v2", "http", [DENY, ALLOW]),
    ],
    ids=["2025-11-25-stdio-two-calls", "2026-07-28-http-two-calls"],
)
async def test_a_task_that_waits_for_approval_asks_the_person_and_goes_on(
    tools: Path,  # noqa: F811 — the fixture
    backend: Backend,
    rest_client: Any,
    uid: str,
    era: str,
    transport: str,
    answers: list[Any],
) -> None:
    agent_id = await backend.agent(uid, rest_client)
    marks = [f"{uid}{n}" for n in range(len(answers))]
    message = backend.message(*marks)
    spec: dict[str, Any] = {
        "do": "call",
        "tool": "send_message",
        "arguments": {"agent": agent_id, "message": message},
        "answers": answers,
        "v2": era == "v2",
    }
    with where(backend.stack, transport) as found:
        out = ext_tasks(tools, backend.stack, spec | {"target": found})
    assert out["kind"] == "task", out
    statuses = [e["status"] for e in out["events"]]
    assert "input_required" in statuses, json.dumps(out)[:3000]
    waiting = next(e["message"] for e in out["events"] if e["status"] == "input_required")
    assert backend.tool() in waiting, waiting

    asked = out["asked"]
    assert len(asked) == len(answers), ("asked once per call, one by one", asked)
    for question, mark in zip(asked, marks, strict=True):
        assert backend.tool() in question["message"], question
        assert mark in question["message"], ("each question shows its own call", asked)
        assert agent_id in question["message"]
        assert question["taskId"] == out["taskId"], "the question names its task"
        assert question["delivery"] == ("task-update" if era == "v2" else "peer-request"), question

    assert out["outcome"]["status"] == "completed", out
    reply = out["outcome"]["result"]["structuredContent"]
    assert reply["status"] == "completed", reply
    assert reply["stop_reason"] != "requires_approval", reply
    assert reply.get("approval") is None
    for mark, answer in zip(marks, answers, strict=True):
        assert await backend.ran(agent_id, mark) is (answer == ALLOW), (mark, answer, reply)
    assert await backend.sent(agent_id, message) == 1, "the message is sent once, whatever the rounds"


@pytest.mark.parametrize(
    ("era", "answers"),
    [("legacy", ["cancel"]), ("v2", None)],
    ids=["2025-11-25-stateless-http", "2026-07-28-http-no-elicitation"],
)
async def test_a_task_whose_client_cannot_ask_ends_saying_what_waits(
    tools: Path,  # noqa: F811 — the fixture
    backend: Backend,
    rest_client: Any,
    uid: str,
    era: str,
    answers: list[Any] | None,
) -> None:
    """Stateless HTTP at 2025-11-25 has no way to send the client a request; a client without elicitation
    cannot show a form: the task ends as a call without tasks does, with the reply saying what waits, and
    nothing is decided for the person."""
    agent_id = await backend.agent(uid, rest_client)
    spec: dict[str, Any] = {
        "do": "call",
        "tool": "send_message",
        "arguments": {"agent": agent_id, "message": backend.message(uid)},
        "v2": era == "v2",
    }
    if answers is not None:
        spec["answers"] = answers
    with where(backend.stack, "http") as found:
        out = ext_tasks(tools, backend.stack, spec | {"target": found})
    assert out["kind"] == "task", out
    assert out["asked"] == [], "nobody is asked"
    assert "input_required" not in [e["status"] for e in out["events"]], out["events"]
    assert "respond_to_approval" in out["events"][-1]["message"], out["events"]
    assert out["outcome"]["status"] == "completed", out
    reply = out["outcome"]["result"]["structuredContent"]
    assert reply["stop_reason"] == "requires_approval", reply
    assert reply["approval"]["tool"] == backend.tool()
    assert "respond_to_approval" in reply["note"]
    assert not await backend.ran(agent_id, uid), "nothing runs before the person answers"
