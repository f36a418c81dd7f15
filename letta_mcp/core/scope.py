"""Which agents a scoped caller may see and tag: the one rule, for every backend and tool.

A caller scoped to a tag (a token's `agent_tag`, an OAuth `letta:agents:<tag>` scope) sees and touches only
agents that carry its tag and no other scope's tag. Another scope's tag is one of the other configured
tokens' tags, or any tag of the caller's own tag's family: the part up to its last ':' (`team:y` for a
caller scoped to `team:x`), which covers scopes that are not configured here (OAuth). Without the second
condition one team could plant an agent in another's scope by tagging it with both tags.
"""

from __future__ import annotations

from collections.abc import Iterable

LETTA_WIDE = frozenset({"files", "archives", "mcp_servers"})
"""Toolsets over things Letta keeps for everyone, not per agent: folders, shared archives, Letta's MCP servers.
Nothing in them carries a scope, so a scoped caller gets them only when its token names them (`visibility`)."""


def family(tag: str) -> str | None:
    """`team:` for `team:x`; None for a tag without ':' (its family is just itself)."""
    return tag[: tag.rindex(":") + 1] if ":" in tag else None


def foreign(own: str | None, others: Iterable[str], tags: Iterable[str] | None) -> list[str]:
    """Of `tags`, those that name a scope other than `own` (none for an unscoped caller)."""
    if own is None:
        return []
    kin = family(own)
    other = set(others)
    return [t for t in tags or () if t != own and (t in other or (kin is not None and t.startswith(kin)))]


def holds(own: str | None, others: Iterable[str], tags: Iterable[str] | None) -> bool:
    """Whether an agent carrying `tags` is within scope `own` (everything is, for an unscoped caller)."""
    listed = list(tags or ())
    return own is None or (own in listed and not foreign(own, others, listed))


__all__ = ["LETTA_WIDE", "family", "foreign", "holds"]
