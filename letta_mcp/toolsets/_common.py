"""What the toolsets share: argument types (the same name means the same thing everywhere) and lookups."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from letta_mcp.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from letta_client import AsyncLetta

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


async def resolve_agent(letta: AsyncLetta, agent: str) -> str:
    """An agent's id from its id or exact name, with an actionable error when there is none or several."""
    agent = agent.strip()
    if looks_like_id(agent, "agent"):
        return agent
    page = await letta.agents.list(name=agent, limit=3)
    matches = page.items
    if not matches:
        raise NotFound(f"No agent named {agent!r}. Call list_agents to see the agents and their ids.")
    if len(matches) > 1:
        ids = ", ".join(a.id for a in matches)
        raise InvalidInput(f"Several agents are named {agent!r} ({ids}): pass the id instead of the name.")
    return matches[0].id


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
