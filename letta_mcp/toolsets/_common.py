"""What the toolsets share: argument types (the same name means the same thing everywhere) and lookups."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from letta_mcp.errors import InvalidInput, NotFound
from letta_mcp.models import BlockSummary

if TYPE_CHECKING:
    from letta_mcp.state import RequestState

AgentRef = Annotated[
    str,
    Field(min_length=1, max_length=300, description="The agent: its id (agent-…) or its exact name."),
]
Label = Annotated[
    str,
    Field(min_length=1, max_length=100, description="A memory block's label, e.g. 'persona' or 'human'."),
]
BlockId = Annotated[str, Field(min_length=1, max_length=200, description="A block's id (block-…).")]
Cursor = Annotated[
    str | None,
    Field(max_length=300, description="next_cursor from the previous page; omit for the first page."),
]
Limit = Annotated[int, Field(ge=1, le=100, description="Most items to return (1–100).")]

_ID = re.compile(r"^(agent|block|tool|passage|message|run)-[0-9a-fA-F-]{8,}$")


def looks_like_id(value: str, kind: str) -> bool:
    match = _ID.match(value)
    return bool(match and match.group(1) == kind)


def given(**kwargs: Any) -> dict[str, Any]:
    """Keyword arguments that were actually given (None means: leave Letta's default)."""
    return {k: v for k, v in kwargs.items() if v is not None}


def scope_tags(state: RequestState, tags: list[str] | None = None) -> list[str] | None:
    """`tags` plus the caller's scope tag, if it has one."""
    scope = state.scope_tag
    if scope is None:
        return tags
    return [*(t for t in tags or [] if t != scope), scope]


async def resolve_agent(state: RequestState, agent: str) -> str:
    """An agent's id from its id or exact name, with an actionable error when there is none or several.

    A caller scoped to a tag sees only agents with that tag: any other agent does not exist for it.
    """
    letta = state.letta
    agent = agent.strip()
    if looks_like_id(agent, "agent"):
        if state.scope_tag is not None:
            await check_agent_scope(state, agent)
        return agent
    page = await letta.agents.list(name=agent, limit=3, **given(tags=scope_tags(state)))
    matches = page.items
    if not matches:
        raise NotFound(f"No agent named {agent!r}. Call list_agents to see the agents and their ids.")
    if len(matches) > 1:
        ids = ", ".join(a.id for a in matches)
        raise InvalidInput(f"Several agents are named {agent!r} ({ids}): pass the id instead of the name.")
    return matches[0].id


def _out_of_scope(what: str) -> NotFound:
    return NotFound(f"Not found in Letta: {what}. Call list_agents to see the agents you can use.")


async def check_agent_scope(state: RequestState, agent_id: str) -> None:
    import letta_client as lc

    try:
        found = await state.letta.agents.retrieve(agent_id, include=["agent.tags"])
    except lc.NotFoundError:
        raise _out_of_scope(f"agent {agent_id}") from None
    if state.scope_tag not in (found.tags or []):
        raise _out_of_scope(f"agent {agent_id}")


async def check_block_scope(state: RequestState, block_id: str) -> None:
    """A scoped caller reaches a block only through an agent in its scope."""
    if state.scope_tag is None:
        return
    attached = await state.letta.blocks.agents.list(block_id, limit=100, include=["agent.tags"])
    if not any(state.scope_tag in (a.tags or []) for a in attached.items):
        raise _out_of_scope(f"block {block_id}")


def page_cursor(ids: list[str], limit: int) -> str | None:
    """Letta pages by id: with one item more than asked fetched, there is a next page iff it came."""
    return ids[limit - 1] if len(ids) > limit else None


def text_of(content: Any) -> str:
    """Plain text from a Letta message content (a string or a list of parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            text = getattr(part, "text", None)
            if text is None and isinstance(part, dict):
                text = part.get("text")
            if text:
                parts.append(str(text))
        return "\n".join(parts)
    return str(content)


def iso(value: Any) -> str | None:
    if value is None:
        return None
    isoformat = getattr(value, "isoformat", None)
    return str(isoformat()) if callable(isoformat) else str(value)


def block_summary(b: Any) -> BlockSummary:
    """A Letta block without its value: what lists and agent details show."""
    return BlockSummary(
        label=b.label or "",
        id=b.id or "",
        description=b.description or None,
        chars=len(b.value or ""),
        limit=b.limit,
        read_only=bool(b.read_only),
    )
