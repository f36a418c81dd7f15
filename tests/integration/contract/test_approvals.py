"""A tool call that needs a person's approval, on both backends against the real servers: asked in the
person's own client when it can elicit, answered through respond_to_approval when it cannot, and never
decided for them.

REST: the agent's memory_insert is set to need approval (its effect is the block's text). App Server: Letta
Code's Write needs approval in the default permission mode (its effect is the file)."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp_types import CallToolResult, ElicitRequestParams, ElicitResult, InputRequiredResult

from tests.helpers import call, call_error
from tests.integration.contract.target import Target

pytestmark = pytest.mark.anyio

Asked = list[str]


@dataclass
class Side:
    """One backend: how to make an agent whose turn asks, the message that makes it ask, and its effect."""

    kind: str
    target: Target
    letta: Any
    tmp: Path

    def connect(self, **options: Any) -> Any:
        """A recorded client of a new server (settings overridden by `settings`), `options` to the client."""
        overrides = options.pop("settings", {})
        return self.target.connect(self.target.new_server(**overrides), **options)

    async def agent(self, client: Any, uid: str) -> str:
        made = await call(
            client,
            "create_agent",
            name=f"{uid}-approver",
            memory_blocks=[{"label": "human", "value": "likes tea", "description": "the user"}],
        )
        if self.kind == "rest":
            await self.letta.agents.tools.update_approval(
                "memory_insert", agent_id=made["id"], body_requires_approval=True
            )
        return str(made["id"])

    def message(self, uid: str) -> str:
        if self.kind == "rest":
            args = {"label": "human", "new_string": f"mark {uid}", "insert_line": -1}
            return f"remember it [[tool:memory_insert {json.dumps(args)}]]"
        args = {"file_path": str(self.tmp / f"{uid}.txt"), "content": f"mark {uid}"}
        return f"save it [[tool:Write {json.dumps(args)}]]"

    async def ran(self, client: Any, agent_id: str, uid: str) -> bool:
        if self.kind == "rest":
            block = await call(client, "get_block", agent=agent_id, label="human")
            return f"mark {uid}" in block["value"]
        return (self.tmp / f"{uid}.txt").exists()

    def tool(self) -> str:
        return "memory_insert" if self.kind == "rest" else "Write"


@pytest.fixture
def side(target: Target, tmp_path: Path) -> Side:
    return Side(target.kind, target, getattr(target.read, "letta", None), tmp_path)


def person(decision: str | None, asked: Asked, reason: str = "") -> Callable[..., Awaitable[ElicitResult]]:
    """A client's user: allows, denies, or (None) dismisses the form; records what they were asked."""

    async def answer(context: Any, params: ElicitRequestParams) -> ElicitResult:
        asked.append(str(getattr(params, "message", "")))
        if decision is None:
            return ElicitResult(action="cancel")
        return ElicitResult(action="accept", content={"decision": decision, "reason": reason})

    return answer


async def test_a_client_that_cannot_ask_gets_what_waits_and_answers_it_later(side: Side, uid: str) -> None:
    async with side.connect() as client:
        agent_id = await side.agent(client, uid)
        out = await call(client, "send_message", agent=agent_id, message=side.message(uid))
        assert out["stop_reason"] == "requires_approval", out
        assert out["approval"]["tool"] == side.tool(), out
        assert "respond_to_approval" in out["note"]
        assert "never approves" in out["note"]
        assert not await side.ran(client, agent_id, uid), "nothing runs before the person answers"
        later = await call(client, "respond_to_approval", run_id=out["run_id"], approve=True)
        assert later["stop_reason"] != "requires_approval", later
        assert await side.ran(client, agent_id, uid), "the approved call ran"
        twice = await call_error(client, "respond_to_approval", run_id=out["run_id"], approve=False)
        assert "not waiting for an approval" in twice
        assert "nothing was sent" in twice
        assert await side.ran(client, agent_id, uid)
        after = await call(client, "send_message", agent=agent_id, message="still there?")
        assert after["reply"] == "echo: still there?", "the conversation goes on"


async def test_a_denied_call_does_not_run_and_the_turn_goes_on(side: Side, uid: str) -> None:
    async with side.connect() as client:
        agent_id = await side.agent(client, uid)
        out = await call(client, "send_message", agent=agent_id, message=side.message(uid))
        denied = await call(client, "respond_to_approval", run_id=out["run_id"], approve=False, reason=f"not now {uid}")
        assert denied["stop_reason"] != "requires_approval", denied
        assert not await side.ran(client, agent_id, uid), "a denied call never runs"
        after = await call(client, "send_message", agent=agent_id, message="still there?")
        assert after["reply"] == "echo: still there?"


@pytest.mark.parametrize("mode", ["legacy", "auto"])
@pytest.mark.parametrize("decision", ["allow", "deny", None])
async def test_the_person_is_asked_in_their_own_client(side: Side, uid: str, decision: str | None, mode: str) -> None:
    """legacy: 2025-11-25, elicitation/create during the call; auto: 2026-07-28, the call's first round is
    input_required and the client's retry brings the answer (the SDK's client does both with one callback)."""
    asked: Asked = []
    async with side.connect(mode=mode, elicitation_callback=person(decision, asked, "my call")) as client:
        agent_id = await side.agent(client, uid)
        out = await call(client, "send_message", agent=agent_id, message=side.message(uid))
        assert len(asked) == 1, asked
        assert side.tool() in asked[0], asked
        assert agent_id in asked[0], asked
        assert out["stop_reason"] != "requires_approval", out
        assert out.get("approval") is None
        assert await side.ran(client, agent_id, uid) is (decision == "allow"), (decision, out)
        history = await call(client, "list_messages", agent=agent_id, roles=["user"], limit=50)
        sent = [m for m in history["messages"] if side.message(uid) in (m.get("text") or "")]
        assert len(sent) == 1, ("the message is sent once, whatever the rounds", history)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_several_calls_in_one_turn_are_asked_one_by_one(side: Side, uid: str, mode: str) -> None:
    asked: Asked = []
    decisions = iter(["allow", "deny"])

    async def answer(context: Any, params: ElicitRequestParams) -> ElicitResult:
        asked.append(str(getattr(params, "message", "")))
        return ElicitResult(action="accept", content={"decision": next(decisions), "reason": ""})

    async with side.connect(mode=mode, elicitation_callback=answer) as client:
        agent_id = await side.agent(client, uid)
        both = f"{side.message(uid + 'a')} {side.message(uid + 'b')}"
        out = await call(client, "send_message", agent=agent_id, message=both)
        assert len(asked) == 2, asked
        assert f"{uid}a" in asked[0], asked
        assert f"{uid}b" in asked[1], asked
        assert out["stop_reason"] != "requires_approval", out
        assert await side.ran(client, agent_id, uid + "a"), "the first call was allowed"
        assert not await side.ran(client, agent_id, uid + "b"), "the second was denied"


async def test_a_person_who_does_not_answer_in_time_is_not_answered_for(
    side: Side, uid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from letta_mcp.server import approvals as asking

    monkeypatch.setattr(asking, "ASK_SECONDS", 1.0)

    async def away(context: Any, params: ElicitRequestParams) -> ElicitResult:
        await anyio.sleep(4)
        return ElicitResult(action="accept", content={"decision": "allow", "reason": ""})

    async with side.connect(mode="legacy", elicitation_callback=away) as client:
        agent_id = await side.agent(client, uid)
        out = await call(client, "send_message", agent=agent_id, message=side.message(uid))
        assert out["stop_reason"] == "requires_approval", "handed back, still waiting"
        assert not await side.ran(client, agent_id, uid), "nothing is approved by a timeout"
        await anyio.sleep(4)  # the late answer to the form is not taken
        assert not await side.ran(client, agent_id, uid)
        later = await call(client, "respond_to_approval", run_id=out["run_id"], approve=True)
        assert later["stop_reason"] != "requires_approval", later
        assert await side.ran(client, agent_id, uid)


async def test_a_retry_after_the_call_was_answered_another_way_changes_nothing(side: Side, uid: str) -> None:
    """2026-07-28: the person was asked, the call was then denied through respond_to_approval; the client's
    late retry with an allow is refused for the call it was shown, and nothing runs."""
    async with side.connect(elicitation_callback=person("allow", [])) as client:
        agent_id = await side.agent(client, uid)
        arguments = {"agent": agent_id, "message": side.message(uid)}
        await client.list_tools()
        first = await client.session.call_tool("send_message", arguments, allow_input_required=True)
        assert isinstance(first, InputRequiredResult), first
        assert first.input_requests is not None
        question = first.input_requests["approval"].params
        assert side.tool() in question.message
        run_id = re.findall(r"\(run ([^)]+)\)", question.message)[-1]
        await call(client, "respond_to_approval", run_id=run_id, approve=False)
        allow = {"approval": ElicitResult(action="accept", content={"decision": "allow", "reason": ""})}
        late = await client.session.call_tool(
            "send_message",
            arguments,
            input_responses=allow,  # type: ignore[arg-type]
            request_state=first.request_state,
            allow_input_required=True,
        )
        assert isinstance(late, CallToolResult), late
        assert late.is_error, late
        assert "not waiting for an approval" in str(late.content[0]), late
        assert not await side.ran(client, agent_id, uid), "the late allow was not passed on"


async def test_an_answer_for_a_run_that_waits_on_nothing_is_refused(side: Side, uid: str) -> None:
    async with side.connect() as client:
        agent_id = await side.agent(client, uid)
        out = await call(client, "send_message", agent=agent_id, message="hello")
        assert out["run_id"], out
        refused = await call_error(client, "respond_to_approval", run_id=out["run_id"], approve=True)
        assert "not waiting for an approval" in refused


async def test_read_only_callers_cannot_answer(side: Side) -> None:
    async with side.connect(settings={"read_only": True}) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        assert "respond_to_approval" not in names
        refused = await client.call_tool("respond_to_approval", {"run_id": "run-x", "approve": True})
        assert refused.is_error


async def test_cancelling_a_turn_that_waits_for_approval_runs_nothing_and_the_conversation_goes_on(
    side: Side, uid: str
) -> None:
    async with side.connect() as client:
        agent_id = await side.agent(client, uid)
        out = await call(client, "send_message", agent=agent_id, message=side.message(uid))
        assert out["stop_reason"] == "requires_approval", out
        cancelled = await call(client, "cancel_run", run_id=out["run_id"])
        assert cancelled["status"] == "cancelled", cancelled
        assert not await side.ran(client, agent_id, uid), "a cancelled turn's call never runs"
        late = await call_error(client, "respond_to_approval", run_id=out["run_id"], approve=True)
        assert "not waiting for an approval" in late
        assert not await side.ran(client, agent_id, uid), "an answer after the cancel runs nothing"
        after = await call(client, "send_message", agent=agent_id, message="still there?")
        assert after["reply"] == "echo: still there?", "the conversation goes on"
