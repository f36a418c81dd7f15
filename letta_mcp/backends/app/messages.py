"""The `messages` toolset on Letta's App Server: a turn is a runtime plus one `input`, followed to its end.

The App Server runs an agent's tools itself. A tool that needs the user's approval arrives as a
`control_request`: letta-mcp never grants it by itself. The person is asked in their own client when it can
ask (elicitation); otherwise the turn comes back with stop_reason 'requires_approval', saying what the
agent wants to run, and respond_to_approval passes on the person's answer (cancel_run refuses it).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import anyio

from letta_mcp.backends.app import workspace
from letta_mcp.backends.app._base import AppBase
from letta_mcp.backends.app.recovery import recover
from letta_mcp.backends.app.socket import AppServerError
from letta_mcp.backends.app.turns import Turn, strip_reminders, text_of
from letta_mcp.backends.flows import ListsMessages, Order, SendsMessages
from letta_mcp.backends.shared import ARG_CHARS, RESULT_CHARS
from letta_mcp.core.approvals import REFUSED_WAIT, STOPPED, Answer, check_answered, denied_reason, not_waiting, waiting
from letta_mcp.core.errors import InvalidInput, LettaMCPError, NotFound
from letta_mcp.core.models import (
    Approval,
    Detail,
    Message,
    MessageList,
    MessageSearch,
    Reply,
    SearchHit,
    clip,
)
from letta_mcp.core.progress import Progress
from letta_mcp.toolsets.messages import Messages, Role

CLIENT_INFO = {"name": "letta-mcp", "title": "letta-mcp"}
ABORT_WAIT = 10.0
INPUT_ATTEMPTS = 5

_TYPES = {
    "user_message": "user",
    "assistant_message": "assistant",
    "reasoning_message": "reasoning",
    "tool_call_message": "tool_call",
    "approval_request_message": "tool_call",
    "tool_return_message": "tool_return",
    "system_message": "system",
}


def unknown_run(run_id: str) -> NotFound:
    return NotFound(
        f"No run {run_id!r} here. Letta's App Server keeps no runs to fetch later: get_run knows the turns this "
        "letta-mcp process started, while it runs. Call list_messages to see what the agent said."
    )


def busy_default(run: str) -> str:
    return (
        f"Letta's App Server runs one turn at a time across agents' default conversations, and another one is "
        f"running (run {run}). Try again when it finishes (get_run), or talk in a conversation of this agent's own "
        "(create_conversation). Nothing was sent."
    )


def asked(turn: Turn) -> Approval | None:
    """The tool call the turn waits on, as both backends show it."""
    if turn.approval is None or turn.approval_id is None:
        return None
    body = turn.approval
    wanted = clip(json.dumps(body.get("input") or {}, ensure_ascii=False), ARG_CHARS)
    return Approval(tool=str(body.get("tool_name") or "a tool"), arguments=wanted, request_id=turn.approval_id)


SEARCH_THREADS = 20
SEARCH_MESSAGES = 500
"""search_messages on the App Server reads at most this many conversations, and messages of each."""


def to_message(m: dict[str, Any]) -> Message:
    kind = _TYPES.get(str(m.get("message_type")), str(m.get("message_type") or "").removesuffix("_message"))
    tool = None
    if kind == "tool_call":
        call = m.get("tool_call") or {}
        tool, text = call.get("name"), clip(str(call.get("arguments") or ""), ARG_CHARS)
    elif kind == "tool_return":
        tool, text = m.get("name"), clip(str(m.get("tool_return") or ""), RESULT_CHARS)
    elif kind == "reasoning":
        text = str(m.get("reasoning") or "")
    else:
        text = text_of(m.get("content"))
        if kind == "user":
            text = strip_reminders(text)
    return Message(id=str(m.get("id") or ""), type=kind, date=m.get("date"), text=text, tool=tool)


class AppMessages(AppBase, SendsMessages, ListsMessages, Messages):
    async def deliver(self, agent_id: str, thread: str | None, message: str, wait: float, detail: Detail) -> Reply:
        thread = thread or "default"
        busy = self.backend.turns.active((agent_id, thread))
        if busy is not None and busy.lost is not None:
            await recover(self.socket, busy)
            busy = self.backend.turns.active((agent_id, thread))
        if busy is not None:
            raise InvalidInput(
                f"The agent is still working on a message in this conversation (run {busy.handle}): call get_run "
                "with that run_id first. Nothing was sent."
            )
        other = next((t for t in self.backend.turns.running() if t.conversation == thread == "default"), None)
        if other is not None:
            raise InvalidInput(busy_default(other.handle))
        runtime = await self._runtime(agent_id, thread, await workspace.working_directory(self.request))
        turn = self.backend.turns.start(agent_id, thread)
        try:
            await self._send(runtime, message)
        except BaseException:
            self.backend.turns.forget(turn)
            raise
        try:
            return await self.follow(turn, wait, detail)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self._abort(turn, quietly=True)
            raise

    async def _send(self, runtime: dict[str, Any], message: str) -> None:
        """Hand the message to the runtime. It carries an id of its own: a runtime that is not idle (a turn just
        ended, or one was stopped and its interrupted state waits for the next) queues input in its durable
        ledger, which takes only input with an id (without one it says "rejected by the queue or durable
        ledger", for as long as the runtime stays so), and a second delivery of the same id is taken as the
        first: asking again never sends the message twice."""
        payload = {
            "kind": "create_message",
            "messages": [{"role": "user", "content": message, "client_message_id": f"cm-letta-mcp-{uuid.uuid4()}"}],
            "exclude_interactive_tools": True,
        }
        for attempt in range(INPUT_ATTEMPTS):
            try:
                await self.socket.request("input", runtime=runtime, payload=payload)
                return
            except AppServerError as exc:
                if "rejected by the queue" not in exc.said or attempt == INPUT_ATTEMPTS - 1:
                    raise
                await anyio.sleep(0.2 * 2**attempt)

    async def _runtime(self, agent_id: str, conversation: str, cwd: str) -> dict[str, Any]:
        started = await self.socket.request(
            "runtime_start",
            agent_id=agent_id,
            conversation_id=conversation,
            cwd=cwd,
            mode=workspace.mode(self.settings),
            client_info=CLIENT_INFO,
            wait_for_replay=True,
        )
        runtime: dict[str, Any] = started["runtime"]
        if workspace.shared(self.settings) and (agent_id, conversation) not in self.backend.reflection_off:
            await workspace.reflection_off(self.socket, runtime)
            self.backend.reflection_off.add((agent_id, conversation))
        return runtime

    async def follow(self, turn: Turn, wait: float, detail: Detail) -> Reply:
        """The turn's reply once it finishes, or where it stands at the deadline, reporting its steps."""
        progress = Progress(self.request.ctx)
        deadline = time.monotonic() + wait
        while not turn.waiting and time.monotonic() < deadline:
            with anyio.move_on_after(min(2.0, max(0.0, deadline - time.monotonic()))) as idle:
                await turn.changed()
            for step in turn.news():
                await progress.step(step)
            if idle.cancelled_caught and not turn.waiting:
                await progress.working(turn.handle)
        for step in turn.news():
            await progress.step(step)
        return self._outcome(turn, wait, detail)

    def _outcome(self, turn: Turn, wait: float, detail: Detail) -> Reply:
        if turn.stopped_after_loss and turn.finished.is_set():
            return turn.reply(
                detail,
                "The connection to Letta's App Server broke during this turn, and the App Server cannot go on with a "
                "turn over a new connection: letta-mcp stopped it, so the conversation takes the next message. The "
                "message was delivered: list_messages shows what was said; do not send it again unless it is needed.",
            )
        if turn.lost is not None and not turn.finished.is_set():
            raise LettaMCPError(
                f"The connection to Letta's App Server broke during the turn ({turn.lost}). The message was "
                f"delivered: get_run with run_id={turn.handle!r} says how the turn ended, and list_messages shows "
                "what was said; do not send it again."
            )
        if turn.approval is not None:
            return waiting(turn.reply(detail).model_copy(update={"approval": asked(turn)}))
        if not turn.finished.is_set():
            return turn.reply(
                detail,
                f"The agent is still working after {wait:g} s. Call get_run with run_id={turn.handle!r} "
                "(and wait_seconds) for the reply; its partial output so far is above.",
            )
        if turn.status == "failed" and "already has an active run" in (turn.error or ""):
            running = re.search(r"\(([^)]+)\)", turn.error or "")
            said = busy_default(running.group(1) if running else "another").removesuffix(" Nothing was sent.")
            raise LettaMCPError(f"{said} It did not start this turn: check list_messages before sending it again.")
        if turn.status == "failed":
            raise LettaMCPError(
                f"The agent's turn failed on Letta's App Server (run {turn.handle}): {clip(turn.error or '', 500)}. "
                "The message was delivered: check list_messages before sending it again."
            )
        return turn.reply(detail)

    async def _abort(self, turn: Turn, *, quietly: bool) -> None:
        """Stop the turn. A pending approval is refused instead (aborting a turn that waits for one leaves the
        App Server refusing the next message); if the agent goes on after the refusal, the turn is aborted."""
        runtime = {"agent_id": turn.agent_id, "conversation_id": turn.conversation}
        try:
            if turn.approval_id is not None and turn.approval is not None:
                decision = {"behavior": "deny", "message": denied_reason(STOPPED)}
                payload = {"kind": "approval_response", "request_id": turn.approval_id, "decision": decision}
                await self.socket.request("input", runtime=runtime, payload=payload)
                with anyio.move_on_after(REFUSED_WAIT):
                    await turn.finished.wait()
                if turn.finished.is_set():
                    turn.status = "cancelled"
                    return
            await self.socket.request("abort_message", runtime=runtime)
        except Exception:
            if not quietly:
                raise
        with anyio.move_on_after(ABORT_WAIT):
            await turn.finished.wait()

    async def _turn(self, run_id: str) -> Turn:
        """A turn of this process, if the caller's: another scope's reads exactly as a missing one."""
        turn = self.backend.turns.get(run_id)
        if turn is None:
            raise unknown_run(run_id)
        await self.check_run_owner(turn.agent_id, unknown_run(run_id))
        return turn

    async def get_run(
        self, run_id: str, wait_seconds: float = 0, include_reasoning: bool = False, include_tool_calls: bool = False
    ) -> Reply:
        turn = await self._turn(run_id)
        if turn.lost is not None and not turn.finished.is_set():
            await recover(self.socket, turn)
        wait = min(wait_seconds, self.settings.wait_seconds)
        return await self.follow(turn, wait, Detail(include_reasoning, include_tool_calls))

    async def answer(self, run_id: str, answer: Answer, wait: float, detail: Detail) -> Reply:
        turn = await self._turn(run_id)
        request, request_id = turn.approval, turn.approval_id
        if request is None or request_id is None or turn.finished.is_set():
            raise not_waiting(run_id)
        check_answered(answer, run_id, request_id)
        decision: dict[str, Any] = {"behavior": "allow"}
        if not answer.approve:
            decision = {"behavior": "deny", "message": denied_reason(answer)}
        # Taken before it is sent: a second answer to the same request is refused, never sent twice.
        turn.approval = turn.approval_id = None
        runtime = {"agent_id": turn.agent_id, "conversation_id": turn.conversation}
        payload = {"kind": "approval_response", "request_id": request_id, "decision": decision}
        try:
            await self.socket.request("input", runtime=runtime, payload=payload)
        except BaseException:
            turn.approval, turn.approval_id = request, request_id
            raise
        return await self.follow(turn, wait, detail)

    async def cancel_run(self, run_id: str) -> Reply:
        turn = await self._turn(run_id)
        if not turn.finished.is_set():
            await self._abort(turn, quietly=False)
        return self._outcome(turn, 0, Detail()) if turn.status != "failed" else turn.reply(Detail())

    async def run_owner(self, run_id: str) -> str:
        return (await self._turn(run_id)).agent_id

    async def search_messages(self, agent: str, query: str, limit: int = 10) -> MessageSearch:
        """The App Server has no search frame: the agent's conversations are read newest first (up to
        `SEARCH_THREADS` of them, the newest `SEARCH_MESSAGES` messages of each) and a message matches when
        every word of the query is in its text, whatever the case."""
        agent_id = await self.resolve_agent(agent)
        words = [w.casefold() for w in query.split()]
        threads = [await self.thread(agent_id, None, start=False)]
        listed = (await self.socket.request("conversation_list", query={"agent_id": agent_id})).get("conversations")
        newest = sorted(listed or [], key=lambda c: str(c.get("created_at") or ""), reverse=True)
        threads += [str(c["id"]) for c in newest if c.get("id") and str(c["id"]) not in threads]
        hits: list[Message] = []
        for thread in threads[:SEARCH_THREADS]:
            try:
                page = await self.messages_in(agent_id, thread, "newest_first", set(), SEARCH_MESSAGES, None)
            except AppServerError:
                continue  # a conversation gone meanwhile
            folded = ((m, m.text.casefold()) for m in page.messages if m.type != "system" and m.text)
            hits += [m for m, text in folded if all(w in text for w in words)]
        hits.sort(key=lambda m: str(m.date or ""), reverse=True)
        return MessageSearch(
            agent_id=agent_id,
            query=query,
            hits=[SearchHit(role=m.type, date=m.date, text=m.text) for m in hits[:limit]],
            source=f"app server history (newest {SEARCH_MESSAGES} messages of up to {SEARCH_THREADS} conversations)",
        )

    async def messages_in(
        self, agent_id: str, thread: str | None, order: Order, wanted: set[Role], limit: int, cursor: str | None
    ) -> MessageList:
        found: list[Message] = []
        before = cursor
        # The App Server pages newest first (next_before); the filter by kind happens here.
        for _ in range(20):
            query: dict[str, Any] = {"agent_id": agent_id, "limit": 100}
            if before:
                query["before"] = before
            answer = await self.socket.request("conversation_messages_list", conversation_id=thread, query=query)
            page = [to_message(m) for m in answer.get("messages") or []]
            found += [m for m in page if not wanted or m.type in wanted]
            before = answer.get("next_before")
            if not answer.get("has_more") or not before or (order == "newest_first" and len(found) > limit):
                break
        if order == "oldest_first":
            found.reverse()
            start = next((i + 1 for i, m in enumerate(found) if m.id == cursor), 0) if cursor else 0
            found = found[start:]
        page = found[:limit]
        more = len(found) > limit
        return MessageList(messages=page, next_cursor=page[-1].id if more and page else None)
