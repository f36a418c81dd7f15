"""Letta messages as letta-mcp results: one message as compact text, one turn as a `Reply`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from letta_mcp.backends.rest._base import iso, text_of
from letta_mcp.backends.shared import ARG_CHARS, RESULT_CHARS
from letta_mcp.core.approvals import waiting
from letta_mcp.core.models import NO_DETAIL, Approval, Detail, Message, Reply, RunStatus, ToolStep, Usage, clip


def message_type(m: Any) -> str:
    return str(getattr(m, "message_type", "") or "").removesuffix("_message")


def _call(m: Any) -> tuple[str, str]:
    """A tool call message's tool name and (cut) arguments."""
    call = getattr(m, "tool_call", None)
    return str(getattr(call, "name", "") or ""), clip(str(getattr(call, "arguments", "") or ""), ARG_CHARS)


def _arguments(call: Any) -> str:
    return clip(str(getattr(call, "arguments", "") or ""), ARG_CHARS)


def calls_of(m: Any) -> list[Any]:
    """The tool calls of an approval request (one, or several in parallel)."""
    calls = list(getattr(m, "tool_calls", None) or [])
    one = getattr(m, "tool_call", None)
    return calls or ([one] if one is not None else [])


def _returned(m: Any) -> str:
    return clip(str(getattr(m, "tool_return", "") or ""), RESULT_CHARS)


def to_message(m: Any) -> Message:
    """One Letta message as compact text."""
    kind = message_type(m)
    tool_name: str | None = None
    if kind == "reasoning":
        text = str(getattr(m, "reasoning", "") or "")
    elif kind == "tool_call":
        tool_name, text = _call(m)
    elif kind == "approval_request":
        calls = calls_of(m)
        tool_name = str(getattr(calls[0], "name", "") or "") if calls else None
        text = _arguments(calls[0]) if calls else ""
    elif kind == "tool_return":
        tool_name = getattr(m, "name", None)
        text = _returned(m)
    else:
        text = text_of(getattr(m, "content", None))
    return Message(
        id=m.id,
        type=kind,
        date=iso(getattr(m, "date", None)),
        text=text,
        tool=tool_name,
        run_id=getattr(m, "run_id", None),
    )


@dataclass
class Turn:
    """What one turn's messages add up to: the answer, the reasoning and the tool steps, in order."""

    replies: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    steps: list[ToolStep] = field(default_factory=list)
    run_id: str | None = None
    asked: list[Approval] = field(default_factory=list)
    returned: set[str] = field(default_factory=set)
    """Tool calls that wait for a person's approval, in order."""
    _by_call: dict[str, ToolStep] = field(default_factory=dict)

    def add(self, m: Any) -> None:
        kind = message_type(m)
        self.run_id = self.run_id or getattr(m, "run_id", None)
        if kind == "assistant":
            self.replies.append(text_of(getattr(m, "content", None)))
        elif kind == "reasoning":
            self.reasoning.append(str(getattr(m, "reasoning", "") or ""))
        elif kind == "tool_call":
            name, arguments = _call(m)
            step = ToolStep(name=name, arguments=arguments)
            self.steps.append(step)
            self._by_call[str(getattr(getattr(m, "tool_call", None), "tool_call_id", "") or "")] = step
        elif kind == "approval_request":
            for call in calls_of(m):
                step = ToolStep(name=str(getattr(call, "name", "") or ""), arguments=_arguments(call))
                self.steps.append(step)
                ident = str(getattr(call, "tool_call_id", "") or "")
                self._by_call[ident] = step
                self.asked.append(Approval(tool=step.name, arguments=step.arguments, request_id=ident))
        elif kind == "tool_return":
            step_or_none = self._by_call.get(str(getattr(m, "tool_call_id", "") or ""))
            if step_or_none is None:
                step_or_none = ToolStep(name=str(getattr(m, "name", "") or ""), arguments="")
                self.steps.append(step_or_none)
            self.returned.add(str(getattr(m, "tool_call_id", "") or ""))
            step_or_none.result = _returned(m)
            step_or_none.status = getattr(m, "status", None)


def usage_of(usage: Any) -> Usage | None:
    if usage is None:
        return None
    return Usage(
        prompt_tokens=getattr(usage, "prompt_tokens", None),
        completion_tokens=getattr(usage, "completion_tokens", None),
        total_tokens=getattr(usage, "total_tokens", None),
        steps=getattr(usage, "step_count", None),
    )


def build_reply(
    agent_id: str,
    messages: Iterable[Any],
    *,
    status: RunStatus = "completed",
    run_id: str | None = None,
    usage: Any = None,
    stop_reason: str | None = None,
    detail: Detail = NO_DETAIL,
    note: str | None = None,
) -> Reply:
    """A `Reply` from the messages of one turn (a response's, a stream's or a run's)."""
    turn = Turn(run_id=run_id)
    for m in messages:
        turn.add(m)
    waits = stop_reason == "requires_approval"
    pending = [a for a in turn.asked if a.request_id not in turn.returned] if waits else []
    reply = Reply(
        status=status,
        agent_id=agent_id,
        run_id=turn.run_id,
        reply="\n\n".join(r for r in turn.replies if r),
        reasoning=turn.reasoning if detail.reasoning and turn.reasoning else None,
        tool_calls=turn.steps if detail.tool_calls and turn.steps else None,
        usage=usage_of(usage),
        stop_reason=stop_reason,
        approval=pending[0] if pending else None,
        note=note,
    )
    return waiting(reply)
