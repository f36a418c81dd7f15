"""The letta:// resource URIs: what a client reads agents and memory blocks as."""

from __future__ import annotations

from urllib.parse import quote

AGENTS_URI = "letta://agents"


def agent_uri(agent_id: str) -> str:
    return f"letta://agents/{agent_id}"


def agent_block_uri(agent_id: str, label: str) -> str:
    return f"{agent_uri(agent_id)}/blocks/{quote(label, safe='')}"


def block_uri(block_id: str) -> str:
    return f"letta://blocks/{block_id}"


def block_uris(block_id: str, agent_ids: list[str], label: str) -> list[str]:
    """Every URI under which a block can be read."""
    return [block_uri(block_id), *(agent_block_uri(a, label) for a in agent_ids)]


__all__ = ["AGENTS_URI", "agent_block_uri", "agent_uri", "block_uri", "block_uris"]
