"""What the App Server toolsets share: the socket, agent lookup within the caller's scope, and the
conversions from the App Server's shapes to letta-mcp's results."""

from __future__ import annotations

from typing import Any, Protocol, cast

from letta_mcp.backends.app.memfs import MemoryFile, parse
from letta_mcp.backends.app.socket import AppServerError, AppSocket
from letta_mcp.backends.app.turns import Turns
from letta_mcp.config import Settings
from letta_mcp.errors import InvalidInput, NotFound
from letta_mcp.locks import KeyedLocks
from letta_mcp.models import AgentSummary, BlockSummary
from letta_mcp.state import RequestState

ALL_AGENTS = 1000
"""The App Server ignores most list filters (name, cursors, any-of tags): lists are read whole and
filtered here; local agents number in the tens."""
INTERNAL_TAGS = ("git-memory-enabled", "origin:letta-code")
"""Tags the App Server adds for itself."""


class Connection(Protocol):
    settings: Settings
    socket: AppSocket
    turns: Turns
    block_locks: KeyedLocks

    async def models(self) -> list[tuple[str, int | None]]: ...


def entry_file(entry: dict[str, Any]) -> MemoryFile:
    """A file as list_memory lists it: the body as content, the front matter's description beside it."""
    parsed = parse(entry["relative_path"], entry.get("content") or "")
    if parsed.description is None and entry.get("description"):
        return MemoryFile(parsed.path, parsed.body, parsed.name, str(entry["description"]))
    return parsed


def tags_of(a: dict[str, Any]) -> list[str]:
    return [t for t in a.get("tags") or [] if t not in INTERNAL_TAGS]


def summary(a: dict[str, Any]) -> AgentSummary:
    return AgentSummary(
        id=a["id"],
        name=a.get("name") or "",
        description=a.get("description") or None,
        model=a.get("model"),
        tags=tags_of(a),
    )


def block_summary(f: MemoryFile) -> BlockSummary:
    return BlockSummary(label=f.label, id=f.path, description=f.description, chars=len(f.body))


class AppBase:
    """A toolset's App Server implementation, bound to one request."""

    def __init__(self, request: RequestState) -> None:
        self.request = request
        self.settings = request.settings
        self.backend = cast(Connection, request.backend)
        self.socket = self.backend.socket

    @property
    def scope(self) -> str | None:
        return self.request.scope_tag

    def scope_tags(self, tags: list[str] | None = None) -> list[str] | None:
        scope = self.scope
        if scope is None:
            return tags
        return [*(t for t in tags or [] if t != scope), scope]

    def in_scope(self, a: dict[str, Any]) -> bool:
        return self.scope is None or self.scope in (a.get("tags") or [])

    async def agents(self) -> list[dict[str, Any]]:
        """Every agent this caller may see, newest first."""
        found = (await self.socket.request("agent_list", query={"limit": ALL_AGENTS})).get("agents") or []
        return [a for a in found if isinstance(a, dict) and self.in_scope(a)]

    async def agent(self, ref: str) -> dict[str, Any]:
        """An agent by id or exact name, as the App Server has it; out of scope reads as not found."""
        ref = ref.strip()
        if ref.startswith("agent-"):
            try:
                found = (await self.socket.request("agent_retrieve", agent_id=ref)).get("agent")
            except AppServerError:
                found = None
            if not isinstance(found, dict) or not self.in_scope(found):
                raise NotFound(f"Not found: agent {ref}. Call list_agents to see the agents you can use.")
            return found
        matches = [a for a in await self.agents() if a.get("name") == ref]
        if not matches:
            raise NotFound(f"No agent named {ref!r}. Call list_agents to see the agents and their ids.")
        if len(matches) > 1:
            ids = ", ".join(a["id"] for a in matches)
            raise InvalidInput(f"Several agents are named {ref!r} ({ids}): pass the id instead of the name.")
        return matches[0]

    async def resolve_agent(self, ref: str) -> str:
        """An agent's id. An id is taken as it is when no scope must be checked (a wrong one fails on use)."""
        ref = ref.strip()
        if ref.startswith("agent-") and self.scope is None:
            return ref
        return str((await self.agent(ref))["id"])

    async def memory(self, agent_id: str) -> list[MemoryFile]:
        """The agent's memory files (Markdown only), as committed or staged on disk."""
        answer = await self.socket.request("list_memory", agent_id=agent_id)
        return [
            entry_file(e)
            for e in answer.get("entries") or []
            if e.get("kind", "markdown") == "markdown" and e.get("relative_path", "").endswith(".md")
        ]

    async def thread(self, agent_id: str, conversation: str | None, *, start: bool) -> str:
        """The conversation a call uses: the one given (it must be the agent's), this session's
        (LETTA_MCP_CONVERSATION=per-session; made when `start`), or "default"."""
        if conversation:
            conversation = conversation.strip()
            if conversation != "default":
                try:
                    found = (await self.socket.request("conversation_retrieve", conversation_id=conversation)).get(
                        "conversation"
                    )
                except AppServerError:
                    found = None
                if not isinstance(found, dict) or found.get("agent_id") != agent_id:
                    raise NotFound(
                        f"Agent {agent_id} has no conversation {conversation!r}. Call list_conversations to see its "
                        "conversations, or omit conversation for its default thread."
                    )
            return conversation
        if self.settings.conversation != "per-session":
            return "default"
        existing = self.request.session_thread(agent_id)
        if existing is not None or not start:
            return existing or "default"
        made = await self.socket.request(
            "conversation_create", body={"agent_id": agent_id, "summary": "letta-mcp session"}
        )
        conversation_id = str(made["conversation"]["id"])
        self.request.remember_session_thread(agent_id, conversation_id)
        return conversation_id
