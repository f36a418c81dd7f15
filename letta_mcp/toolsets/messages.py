"""The `messages` toolset: talk to an agent, read and search its history."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field

from letta_mcp.models import MessageList, MessageSearch, Reply, SearchHit, clip
from letta_mcp.registry import tool
from letta_mcp.state import Ctx, app
from letta_mcp.toolsets._common import AgentRef, Cursor, Limit, given, iso, resolve_agent, text_of
from letta_mcp.toolsets._replies import Detail, message_type, to_message
from letta_mcp.toolsets._runs import await_run, converse

MessageText = Annotated[
    str, Field(min_length=1, max_length=100_000, description="Only the new message: the agent remembers the rest.")
]
Role = Literal["user", "assistant", "reasoning", "tool_call", "tool_return", "system"]


RunId = Annotated[str, Field(min_length=1, max_length=200, description="The run id (run-…) send_message returned.")]
IncludeReasoning = Annotated[bool, Field(description="Also return the agent's reasoning.")]
IncludeToolCalls = Annotated[bool, Field(description="Also return its tool calls and their results.")]


def wait_arg(default_text: str) -> Any:
    return Field(
        ge=0,
        le=600,
        description=f"Seconds to wait for the reply before returning a run to fetch later; default {default_text}.",
    )


@tool("messages", "Send a message to an agent", read_only=False, open_world=True)
async def send_message(
    ctx: Ctx,
    agent: AgentRef,
    message: MessageText,
    include_reasoning: IncludeReasoning = False,
    include_tool_calls: IncludeToolCalls = False,
    wait_seconds: Annotated[float | None, wait_arg("LETTA_MCP_WAIT_SECONDS (45)")] = None,
) -> Reply:
    """Send a message to a Letta agent and return its reply.

    The agent keeps its own memory and history: send only the new message, never the conversation so
    far. It may use tools and edit its memory first; its steps arrive as progress. If it is still
    working at the deadline, you get status='running' and a run_id: call get_run to collect the reply
    (the agent keeps working meanwhile). Not safe to retry blindly: a repeated call talks to the agent
    twice — after an error, check list_messages first.
    """
    state = app(ctx)
    agent_id = await resolve_agent(state, agent)
    wait = state.settings.wait_seconds if wait_seconds is None else wait_seconds
    return await converse(ctx, state, agent_id, message, wait, Detail(include_reasoning, include_tool_calls))


@tool("messages", "Get a run's outcome", read_only=True)
async def get_run(
    ctx: Ctx,
    run_id: RunId,
    wait_seconds: Annotated[
        float,
        Field(
            ge=0,
            le=600,
            description="Seconds to wait for a running run to finish (capped at the "
            "server's LETTA_MCP_WAIT_SECONDS); 0 answers at once.",
        ),
    ] = 0,
    include_reasoning: IncludeReasoning = False,
    include_tool_calls: IncludeToolCalls = False,
) -> Reply:
    """Check a run that send_message handed back (status='running'): its status and, once it has
    finished, the agent's full reply in the same shape as send_message.

    Works from any letta-mcp process (the run lives in Letta). While status is 'running', call again
    (with wait_seconds to wait for it here).
    """
    state = app(ctx)
    if state.scope_tag is not None:
        await resolve_agent(state, (await state.letta.runs.retrieve(run_id)).agent_id)
    wait = min(wait_seconds, state.settings.wait_seconds)
    return await await_run(ctx, state, run_id, wait, Detail(include_reasoning, include_tool_calls))


@tool("messages", "Cancel a run", read_only=False, destructive=True, idempotent=True)
async def cancel_run(ctx: Ctx, run_id: RunId) -> Reply:
    """Stop a run that is still working (e.g. one send_message handed back). What the agent already did
    stays done. Returns the run's state afterwards; a finished run is left as it is.
    """
    state = app(ctx)
    run = await state.letta.runs.retrieve(run_id)
    await resolve_agent(state, run.agent_id)
    if run.status not in ("completed", "failed", "cancelled"):
        await state.letta.agents.messages.cancel(run.agent_id, run_ids=[run_id])
    return await await_run(ctx, state, run_id, 0, Detail())


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
    state = app(ctx)
    letta = state.letta
    agent_id = await resolve_agent(state, agent)
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
    state = app(ctx)
    letta = state.letta
    agent_id = await resolve_agent(state, agent)
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


TOOLS = [send_message, get_run, cancel_run, list_messages, search_messages]
