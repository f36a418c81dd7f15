"""An agent's turn on the App Server, followed from its events, and what `get_run` hands back.

A turn is started with one `input` frame; its events (`stream_delta`, `control_request`,
`turn_finished`) arrive on the socket tagged with the runtime (agent and conversation). The App Server
keeps no run a client could fetch later, so letta-mcp keeps each turn it started, in this process,
under a handle of its own (`run-app-…`): `get_run` and `cancel_run` work in the process that sent the
message, as long as it runs.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import anyio

from letta_mcp.backends.shared import ARG_CHARS, RESULT_CHARS, STEP_CHARS
from letta_mcp.core.models import Detail, Reply, RunStatus, ToolStep, Usage, clip

KEEP = 200
"""Finished turns kept for get_run."""
_REMINDER_START = "<system-reminder>"
_REMINDER_END = "</system-reminder>"


def strip_reminders(text: str) -> str:
    """The user's own words: the App Server wraps them in `<system-reminder>` context for the model."""
    while _REMINDER_START in text and _REMINDER_END in text:
        start = text.index(_REMINDER_START)
        end = text.index(_REMINDER_END, start) + len(_REMINDER_END)
        text = text[:start] + text[end:]
    return text.strip()


def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


Key = tuple[str, str]
"""(agent id, conversation id) — a runtime."""


def key_of(frame: dict[str, Any]) -> Key | None:
    runtime = frame.get("runtime")
    source = runtime if isinstance(runtime, dict) else frame
    agent, conversation = source.get("agent_id"), source.get("conversation_id")
    if isinstance(agent, str) and isinstance(conversation, str):
        return agent, conversation
    return None


@dataclass
class Step:
    """One message of the turn, put together from its deltas."""

    id: str
    kind: str
    text: str = ""
    tool: str | None = None
    arguments: str = ""
    result: str | None = None
    status: str | None = None
    reported: bool = False


class Turn:
    """One message sent to an agent, and everything that came back for it."""

    def __init__(self, agent_id: str, conversation: str) -> None:
        self.handle = f"run-app-{uuid.uuid4()}"
        self.agent_id = agent_id
        self.conversation = conversation
        self.steps: OrderedDict[str, Step] = OrderedDict()
        self.status: RunStatus = "running"
        self.stop_reason: str | None = None
        self.usage: dict[str, Any] | None = None
        self.error: str | None = None
        self.approval: dict[str, Any] | None = None
        self.approval_id: str | None = None
        self.lost: str | None = None
        """Why the socket dropped while the turn was ours to follow (None once `recovery` found it again)."""
        self.stopped_after_loss = False
        """`recovery` stopped it, so that its conversation takes the next message."""
        self.runs: list[str] = []
        self.started = time.monotonic()
        self.finished = anyio.Event()
        self._changed = anyio.Event()

    @property
    def key(self) -> Key:
        return self.agent_id, self.conversation

    @property
    def waiting(self) -> bool:
        """Finished, paused for an approval, or cut off from us: nothing more to wait for here."""
        return self.finished.is_set() or self.approval is not None or self.lost is not None

    async def changed(self) -> None:
        await self._changed.wait()

    def _touch(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    def _step(self, ident: str, kind: str) -> Step:
        step = self.steps.get(ident)
        if step is None:
            step = self.steps[ident] = Step(ident, kind)
        return step

    def take(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "stream_delta":
            self._delta(frame.get("delta") or {})
        elif kind == "control_request":
            self.approval = frame.get("request") or {}
            self.approval_id = str(frame.get("request_id") or "") or None
        elif kind == "turn_finished":
            self._finish(frame)
        elif kind == "letta_mcp_disconnected":
            self.lost = str(frame.get("reason") or "the connection dropped")
        self._touch()

    def ended_unseen(self) -> None:
        """The turn is over, and how it ended was not seen (the App Server no longer had its runtime)."""
        if not self.finished.is_set():
            self.status = "cancelled"
            self.approval = None
            self.finished.set()
        self._touch()

    def _delta(self, d: dict[str, Any]) -> None:
        run = d.get("run_id")
        if isinstance(run, str) and run not in self.runs:
            self.runs.append(run)
        kind = str(d.get("message_type") or "")
        ident = str(d.get("id") or kind)
        if kind == "assistant_message":
            self._step(ident, "assistant").text += text_of(d.get("content"))
        elif kind == "reasoning_message":
            self._step(ident, "reasoning").text += str(d.get("reasoning") or "")
        elif kind in ("tool_call_message", "approval_request_message"):
            call = d.get("tool_call") or {}
            step = self._step(str(call.get("tool_call_id") or ident), "tool_call")
            step.tool = step.tool or call.get("name")
            step.arguments += str(call.get("arguments") or "")
        elif kind == "tool_return_message":
            step = self._step(str(d.get("tool_call_id") or ident), "tool_call")
            step.tool = step.tool or d.get("name")
            step.result = str(d.get("tool_return") or "")
            step.status = d.get("status")
        elif kind == "usage_statistics":
            self.usage = d
        elif kind == "stop_reason":
            self.stop_reason = str(d.get("stop_reason") or "") or None
        elif "error" in kind:
            self.error = str(d.get("message") or d.get("error") or kind)

    def _finish(self, frame: dict[str, Any]) -> None:
        self.stop_reason = str(frame.get("stop_reason") or "") or self.stop_reason
        if isinstance(frame.get("usage"), dict):
            self.usage = frame["usage"]
        reason = self.stop_reason or ""
        if frame.get("error") or reason.startswith("error") or reason in ("invalid_tool_call", "llm_api_error"):
            self.status = "failed"
            self.error = str(frame.get("error") or self.error or reason)
        elif reason == "cancelled":
            self.status = "cancelled"
        else:
            self.status = "completed"
        self.approval = None
        self.finished.set()

    def news(self) -> list[str]:
        """Progress messages for the steps not reported yet."""
        out = []
        for step in self.steps.values():
            if step.reported:
                continue
            if step.kind == "reasoning" and step.text:
                out.append("thinking: " + clip(step.text, STEP_CHARS))
            elif step.kind == "tool_call" and step.tool:
                out.append(f"calling tool {step.tool}")
            elif step.kind == "assistant" and step.text:
                out.append("replying: " + clip(step.text, STEP_CHARS))
            else:
                continue
            step.reported = True
        return out

    def reply(self, detail: Detail, note: str | None = None) -> Reply:
        replies = [s.text for s in self.steps.values() if s.kind == "assistant" and s.text]
        reasoning = [s.text for s in self.steps.values() if s.kind == "reasoning" and s.text]
        tools = [
            ToolStep(
                name=s.tool or "",
                arguments=clip(s.arguments, ARG_CHARS),
                result=clip(s.result, RESULT_CHARS) if s.result is not None else None,
                status=s.status,
            )
            for s in self.steps.values()
            if s.kind == "tool_call"
        ]
        usage = None
        if self.usage:
            usage = Usage(
                prompt_tokens=self.usage.get("prompt_tokens"),
                completion_tokens=self.usage.get("completion_tokens"),
                total_tokens=self.usage.get("total_tokens"),
                steps=self.usage.get("step_count"),
            )
        return Reply(
            status=self.status,
            agent_id=self.agent_id,
            conversation_id=None if self.conversation == "default" else self.conversation,
            run_id=self.handle,
            reply="\n\n".join(replies),
            reasoning=reasoning if detail.reasoning and reasoning else None,
            tool_calls=tools if detail.tool_calls and tools else None,
            usage=usage,
            stop_reason=self.stop_reason,
            note=note,
        )


class Turns:
    """The turns this process started: the one running in each runtime, and recent ones by handle."""

    def __init__(self) -> None:
        self._active: dict[Key, Turn] = {}
        self._by_handle: OrderedDict[str, Turn] = OrderedDict()
        self.touched: OrderedDict[str, None] = OrderedDict()
        """Agents this process talked to (where a memory change the App Server pushes may come from)."""

    def active(self, key: Key) -> Turn | None:
        turn = self._active.get(key)
        return turn if turn is not None and not turn.finished.is_set() else None

    def start(self, agent_id: str, conversation: str) -> Turn:
        turn = Turn(agent_id, conversation)
        self._active[turn.key] = turn
        self._by_handle[turn.handle] = turn
        self.touched[agent_id] = None
        while len(self._by_handle) > KEEP:
            self._by_handle.popitem(last=False)
        return turn

    def forget(self, turn: Turn) -> None:
        if self._active.get(turn.key) is turn:
            del self._active[turn.key]
        self._by_handle.pop(turn.handle, None)

    def get(self, handle: str) -> Turn | None:
        return self._by_handle.get(handle)

    def running(self) -> list[Turn]:
        return [t for t in self._active.values() if not t.finished.is_set()]

    async def on_frame(self, frame: dict[str, Any]) -> None:
        """Route one event to the turn it belongs to."""
        if frame.get("type") == "letta_mcp_disconnected":
            for running in self.running():
                running.take(frame)
            return
        key = key_of(frame)
        turn = self._active.get(key) if key else None
        if turn is None and frame.get("type") == "control_request":
            # An approval request may not name its runtime: it belongs to the turn waiting on that tool call.
            call = ((frame.get("request") or {}).get("tool_call_id")) or ""
            turn = next((t for t in self.running() if call in t.steps), None)
        if turn is not None and frame.get("type") in ("stream_delta", "turn_finished", "control_request"):
            turn.take(frame)


__all__ = ["Key", "Turn", "Turns", "key_of", "strip_reminders", "text_of"]
