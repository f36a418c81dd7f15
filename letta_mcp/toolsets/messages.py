"""The `messages` toolset: talk to an agent, read and search its history."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import Field

from letta_mcp.models import Message, MessageList, MessageSearch, Reply, SearchHit, ToolStep, Usage, clip
from letta_mcp.registry import Ctx, app, tool
from letta_mcp.toolsets._common import AgentRef, Cursor, Limit, given, iso, resolve_agent, text_of

ARG_CHARS = 600
RESULT_CHARS = 1_500

MessageText = Annotated[
    str, Field(min_length=1, max_length=100_000, description="Only the new message: the agent remembers the rest.")
]
Role = Literal["user", "assistant", "reasoning", "tool_call", "tool_return", "system"]


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
    status: Literal["completed", "running", "failed", "cancelled"] = "completed",
    run_id: str | None = None,
    usage: Any = None,
    stop_reason: str | None = None,
    include_reasoning: bool = False,
    include_tool_calls: bool = False,
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
        reasoning=reasoning if include_reasoning and reasoning else None,
        tool_calls=steps if include_tool_calls and steps else None,
        usage=usage_out,
        stop_reason=stop_reason,
        note=note,
    )


@tool("messages", "Send a message to an agent", read_only=False, open_world=True)
async def send_message(
    ctx: Ctx,
    agent: AgentRef,
    message: MessageText,
    include_reasoning: Annotated[bool, Field(description="Also return the agent's reasoning.")] = False,
    include_tool_calls: Annotated[bool, Field(description="Also return its tool calls and their results.")] = False,
) -> Reply:
    """Send a message to a Letta agent and return its reply.

    The agent keeps its own memory and history: send only the new message, never the conversation
    so far. It may use its tools (and edit its memory) before answering. Not safe to retry blindly:
    a repeated call talks to the agent twice — after an error, check list_messages first.
    """
    state = app(ctx)
    agent_id = await resolve_agent(state.letta, agent)
    response = await state.letta.agents.messages.create(agent_id, input=message, timeout=state.settings.message_timeout)
    stop = getattr(response.stop_reason, "stop_reason", None)
    return build_reply(
        agent_id,
        response.messages,
        usage=response.usage,
        stop_reason=str(stop) if stop else None,
        include_reasoning=include_reasoning,
        include_tool_calls=include_tool_calls,
    )


@tool("messages", "List an agent's messages", read_only=True)
async def list_messages(
    ctx: Ctx,
    agent: AgentRef,
    order: Annotated[
        Literal["newest_first", "oldest_first"], Field(description="Which end of the history to start from.")
    ] = "newest_first",
    roles: Annotated[
        list[Role] | None, Field(max_length=6, description="Only these kinds of message (default: all).")
    ] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> MessageList:
    """Read an agent's conversation history, page by page: user and assistant messages, reasoning,
    tool calls and tool results, with ids and dates.

    Use it to see what an agent was told or did (for example after a send_message that failed,
    before retrying). For a topic rather than a time, use search_messages.
    """
    letta = app(ctx).letta
    agent_id = await resolve_agent(letta, agent)
    wanted = set(roles or ())
    newest_first = order == "newest_first"
    found: list[Any] = []
    edge = cursor
    # Letta applies its limit before any type filter, so filter here, fetching pages until enough match.
    batch = limit + 1 if not wanted else 100
    for _ in range(20):
        # Letta's cursors are chronological: `before` walks back in time, `after` forward.
        cursor_arg = given(before=edge) if newest_first else given(after=edge)
        page = await letta.agents.messages.list(
            agent_id, limit=batch, order="desc" if newest_first else "asc", **cursor_arg
        )
        items = _newest_first(page.items) if newest_first else list(page.items)
        found += [m for m in items if not wanted or message_type(m) in wanted]
        if len(items) < batch or len(found) > limit:
            break
        edge = items[-1].id
    keep = min(limit, len(found))
    # One Letta message can show as several (reasoning + reply) sharing an id: never split them.
    while 0 < keep < len(found) and found[keep].id == found[keep - 1].id:
        keep += 1
    more = keep < len(found)
    return MessageList(
        messages=[to_message(m) for m in found[:keep]], next_cursor=found[keep - 1].id if more and keep else None
    )


def _newest_first(items: list[Any]) -> list[Any]:
    """Letta 0.16 returns a `desc` page oldest first (it reverses twice); newer servers may not. Normalise."""
    dated = len(items) > 1 and getattr(items[0], "date", None) and getattr(items[-1], "date", None)
    if dated and items[0].date > items[-1].date:
        return list(items)
    return list(reversed(items))


def _is_unsupported_search(exc: Exception) -> bool:
    import letta_client as lc

    if isinstance(exc, lc.NotFoundError):
        return True
    return isinstance(exc, (lc.BadRequestError, lc.APIStatusError)) and getattr(exc, "status_code", 0) in (
        400,
        404,
        405,
        501,
    )


@tool("messages", "Search an agent's history", read_only=True)
async def search_messages(
    ctx: Ctx,
    agent: AgentRef,
    query: Annotated[str, Field(min_length=1, max_length=1_000, description="What to look for.")],
    limit: Limit = 10,
) -> MessageSearch:
    """Search one agent's whole conversation history for a topic (not just recent messages).

    Works on Letta Cloud (semantic search) and on self-hosted servers (through the agent's own
    conversation_search tool, which needs that tool attached, as it is by default). For long-term
    facts stored on purpose, search_archival is the better place.
    """
    letta = app(ctx).letta
    agent_id = await resolve_agent(letta, agent)
    try:
        found = await letta.messages.search(query=query, agent_id=agent_id, limit=limit)
    except Exception as exc:
        if not _is_unsupported_search(exc):
            raise
    else:
        hits = [
            SearchHit(
                role=message_type(m),
                date=iso(getattr(m, "created_at", None)),
                text=text_of(getattr(m, "content", None)) or str(getattr(m, "reasoning", "") or ""),
            )
            for m in found
        ]
        return MessageSearch(agent_id=agent_id, query=query, hits=hits, source="letta message search")
    # Self-hosted Letta has no message search index: the agent's own tool searches its history.
    result = await letta.agents.tools.run(
        "conversation_search", agent_id=agent_id, args={"query": query, "limit": limit}
    )
    if result.status != "success":
        detail = clip(" ".join(str(x) for x in (result.stderr or [str(result.func_return)])), 300)
        from letta_mcp.errors import LettaMCPError

        raise LettaMCPError(f"History search failed in Letta: {detail}. Is conversation_search attached to the agent?")
    payload = result.func_return
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError:
            payload = {"results": [{"content": payload}]}
    rows = payload.get("results", []) if isinstance(payload, dict) else []
    hits = [
        SearchHit(role=r.get("role"), date=r.get("timestamp"), text=str(r.get("content", "")))
        for r in rows[:limit]
        if isinstance(r, dict)
    ]
    return MessageSearch(agent_id=agent_id, query=query, hits=hits, source="conversation_search (self-hosted)")


TOOLS = [send_message, list_messages, search_messages]
