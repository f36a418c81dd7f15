"""Letta messages as letta-mcp results: one message as compact text, one turn as a `Reply`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from letta_mcp.models import Message, Reply, ToolStep, Usage, clip
from letta_mcp.toolsets._common import iso, text_of

Status = Literal["completed", "running", "failed", "cancelled"]


@dataclass(frozen=True)
class Detail:
    """What a reply carries beyond the agent's answer."""

    reasoning: bool = False
    tool_calls: bool = False


ARG_CHARS = 600
RESULT_CHARS = 1_500


def message_type(m: Any) -> str:
    return str(getattr(m, "message_type", "") or "").removesuffix("_message")


def to_message(m: Any) -> Message:
    """One Letta message as compact text."""
    kind = message_type(m)
    tool_name: str | None = None
    if kind == "reasoning":
        text = str(getattr(m, "reasoning", "") or "")
    elif kind == "tool_call":
        call = getattr(m, "tool_call", None)
        tool_name = getattr(call, "name", None)
        text = clip(str(getattr(call, "arguments", "") or ""), ARG_CHARS)
    elif kind == "tool_return":
        tool_name = getattr(m, "name", None)
        text = clip(str(getattr(m, "tool_return", "") or ""), RESULT_CHARS)
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


def build_reply(
    agent_id: str,
    messages: Iterable[Any],
    *,
    status: Status = "completed",
    run_id: str | None = None,
    usage: Any = None,
    stop_reason: str | None = None,
    detail: Detail = Detail(),
    note: str | None = None,
) -> Reply:
    """A `Reply` from the messages of one turn (a response's, a stream's or a run's)."""
    replies: list[str] = []
    reasoning: list[str] = []
    steps: list[ToolStep] = []
    by_call: dict[str, ToolStep] = {}
    for m in messages:
        kind = message_type(m)
        run_id = run_id or getattr(m, "run_id", None)
        if kind == "assistant":
            replies.append(text_of(getattr(m, "content", None)))
        elif kind == "reasoning":
            reasoning.append(str(getattr(m, "reasoning", "") or ""))
        elif kind == "tool_call":
            call = getattr(m, "tool_call", None)
            step = ToolStep(
                name=str(getattr(call, "name", "") or ""),
                arguments=clip(str(getattr(call, "arguments", "") or ""), ARG_CHARS),
            )
            steps.append(step)
            by_call[str(getattr(call, "tool_call_id", "") or "")] = step
        elif kind == "tool_return":
            step_or_none = by_call.get(str(getattr(m, "tool_call_id", "") or ""))
            result = clip(str(getattr(m, "tool_return", "") or ""), RESULT_CHARS)
            if step_or_none is None:
                step_or_none = ToolStep(name=str(getattr(m, "name", "") or ""), arguments="")
                steps.append(step_or_none)
            step_or_none.result = result
            step_or_none.status = getattr(m, "status", None)
    usage_out = None
    if usage is not None:
        usage_out = Usage(
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
            total_tokens=getattr(usage, "total_tokens", None),
            steps=getattr(usage, "step_count", None),
        )
    return Reply(
        status=status,
        agent_id=agent_id,
        run_id=run_id,
        reply="\n\n".join(r for r in replies if r),
        reasoning=reasoning if detail.reasoning and reasoning else None,
        tool_calls=steps if detail.tool_calls and steps else None,
        usage=usage_out,
        stop_reason=stop_reason,
        note=note,
    )
