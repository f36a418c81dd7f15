"""The `archival` toolset: an agent's long-term memory — store passages, search them, delete them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from letta_mcp.models import Deleted, Passage, PassageList
from letta_mcp.registry import tool
from letta_mcp.state import Ctx, app
from letta_mcp.toolsets._common import AgentRef, given, iso, resolve_agent

Tags = Annotated[list[str] | None, Field(max_length=20, description="Tags to file it under / filter by.")]


@tool("archival", "Store in archival memory", read_only=False)
async def insert_archival(
    ctx: Ctx,
    agent: AgentRef,
    text: Annotated[str, Field(min_length=1, max_length=50_000, description="The fact or note to store.")],
    tags: Tags = None,
) -> Passage:
    """Store a passage in an agent's archival memory: long-term storage the agent searches when it
    needs to (unlike memory blocks, it is not always in its context, and it has no size limit).

    Use it for facts, decisions and notes worth keeping but not worth constant attention. Not
    idempotent: calling twice stores two passages. Next: search_archival to find it again.
    """
    state = app(ctx)
    agent_id = await resolve_agent(state, agent)
    created = await state.letta.agents.passages.create(agent_id, text=text, **given(tags=tags))
    p = created[0]
    return Passage(id=p.id or "", text=p.text, tags=list(p.tags or []), created_at=iso(p.created_at))


@tool("archival", "Search archival memory", read_only=True)
async def search_archival(
    ctx: Ctx,
    agent: AgentRef,
    query: Annotated[str, Field(min_length=1, max_length=2_000, description="What to look for (semantic search).")],
    tags: Tags = None,
    match_all_tags: Annotated[bool, Field(description="With tags: every tag must match (else any).")] = False,
    limit: Annotated[int, Field(ge=1, le=50, description="Most passages to return.")] = 10,
    after: Annotated[datetime | None, Field(description="Only passages stored after this time (ISO 8601).")] = None,
    before: Annotated[datetime | None, Field(description="Only passages stored before this time (ISO 8601).")] = None,
) -> PassageList:
    """Search an agent's archival memory by meaning, optionally filtered by tags and a date range.
    Best matches first. Returns passage ids, which delete_archival takes.
    """
    state = app(ctx)
    letta = state.letta
    agent_id = await resolve_agent(state, agent)
    mode: Literal["any", "all"] = "all" if match_all_tags else "any"
    found = await letta.agents.passages.search(
        agent_id,
        query=query,
        top_k=limit,
        **given(tags=tags, tag_match_mode=mode if tags else None, start_datetime=after, end_datetime=before),
    )
    return PassageList(
        passages=[
            Passage(id=r.id, text=r.content, tags=list(r.tags or []), created_at=iso(r.timestamp))
            for r in found.results
        ]
    )


@tool("archival", "Delete from archival memory", read_only=False, destructive=True, idempotent=True)
async def delete_archival(
    ctx: Ctx,
    agent: AgentRef,
    passage_id: Annotated[str, Field(min_length=1, max_length=200, description="The passage's id (passage-…).")],
) -> Deleted:
    """Delete one passage from an agent's archival memory for good (find its id with search_archival)."""
    state = app(ctx)
    agent_id = await resolve_agent(state, agent)
    await state.letta.agents.passages.delete(passage_id, agent_id=agent_id)
    return Deleted(id=passage_id, what="archival passage")


TOOLS = [insert_archival, search_archival, delete_archival]
