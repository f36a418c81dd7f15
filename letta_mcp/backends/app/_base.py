"""What the App Server toolsets share: the socket, agent lookup within the caller's scope, and the
conversions from the App Server's shapes to letta-mcp's results."""

from __future__ import annotations

from typing import Any, Protocol, cast

from letta_mcp.backends.app import workspace
from letta_mcp.backends.app.memfs import MemoryFile, parse
from letta_mcp.backends.app.reflections import Reflections
from letta_mcp.backends.app.socket import AppServerError, AppSocket
from letta_mcp.backends.app.turns import Turns
from letta_mcp.backends.scoped import Scoped, no_conversation
from letta_mcp.core.config import Settings
from letta_mcp.core.locks import KeyedLocks
from letta_mcp.core.models import AgentSummary, BlockSummary
from letta_mcp.core.state import RequestState

ALL_AGENTS = 1000
"""The App Server ignores most list filters (name, cursors, any-of tags): lists are read whole and
filtered here; local agents number in the tens."""
INTERNAL_TAGS = ("git-memory-enabled", "origin:letta-code")
"""Tags the App Server adds for itself."""
OWN_THREAD = "letta-mcp"
"""The summary of an agent's own thread behind authentication (see `AppBase.own_thread`)."""


class Connection(Protocol):
    settings: Settings
    socket: AppSocket
    turns: Turns
    block_locks: KeyedLocks
    thread_locks: KeyedLocks
    own_threads: dict[str, str]
    reflection_off: set[tuple[str, str]]
    reflections: Reflections

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


class AppBase(Scoped[dict[str, Any]]):
    """A toolset's App Server implementation, bound to one request."""

    def __init__(self, request: RequestState) -> None:
        self.request = request
        self.settings = request.settings
        self.backend = cast(Connection, request.backend)
        self.socket = self.backend.socket

    # How the scope rules (`Scoped`) fetch on the App Server.

    def is_agent_id(self, ref: str) -> bool:
        return ref.startswith("agent-")

    async def fetch_agent(self, agent_id: str) -> dict[str, Any] | None:
        try:
            found = (await self.socket.request("agent_retrieve", agent_id=agent_id)).get("agent")
        except AppServerError:
            return None
        return found if isinstance(found, dict) else None

    async def agents_named(self, name: str) -> list[dict[str, Any]]:
        return [a for a in await self.agents() if a.get("name") == name]

    def agent_tags(self, agent: dict[str, Any]) -> list[str]:
        return tags_of(agent)

    def agent_id_of(self, agent: dict[str, Any]) -> str:
        return str(agent["id"])

    async def agents(self) -> list[dict[str, Any]]:
        """Every agent this caller may see, newest first."""
        found = (await self.socket.request("agent_list", query={"limit": ALL_AGENTS})).get("agents") or []
        return [a for a in found if isinstance(a, dict) and self.in_scope(a)]

    async def agent(self, ref: str) -> dict[str, Any]:
        """An agent by id or exact name, as the App Server has it; out of scope reads as not found."""
        return await self.agent_record(ref)

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
        (LETTA_MCP_CONVERSATION=per-session; made when `start`), or the agent's default thread: "default",
        or behind authentication the agent's own letta-mcp thread (see `own_thread`)."""
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
                    raise no_conversation(agent_id, conversation)
                return conversation
            return await self.own_thread(agent_id, start=start)
        if self.settings.conversation != "per-session":
            return await self.own_thread(agent_id, start=start)
        existing = self.request.session_thread(agent_id)
        if existing is not None or not start:
            return existing or "default"
        made = await self.socket.request(
            "conversation_create", body={"agent_id": agent_id, "summary": "letta-mcp session"}
        )
        conversation_id = str(made["conversation"]["id"])
        self.request.remember_session_thread(agent_id, conversation_id)
        return conversation_id

    async def own_thread(self, agent_id: str, *, start: bool) -> str:
        """An agent's default thread. For the person at this machine: its "default" conversation, the one
        Letta Code shows. Behind authentication: a conversation of the agent's own made by letta-mcp (found
        again by its summary), because the App Server runs one turn at a time across all agents' default
        conversations, so one team's waiting turn would hold up every other team's."""
        if not workspace.shared(self.settings):
            return "default"
        known = self.backend.own_threads.get(agent_id)
        if known is not None:
            return known
        async with self.backend.thread_locks.hold(agent_id):
            known = self.backend.own_threads.get(agent_id)
            if known is not None:
                return known
            query = {"agent_id": agent_id, "limit": ALL_AGENTS}
            listed = (await self.socket.request("conversation_list", query=query)).get("conversations") or []
            ours = sorted(
                (c for c in listed if isinstance(c, dict) and c.get("summary") == OWN_THREAD),
                key=lambda c: str(c.get("created_at") or ""),
            )
            if ours:
                found = str(ours[0]["id"])
            elif not start:
                return "default"  # nothing said through this endpoint yet: the agent's history so far
            else:
                body = {"agent_id": agent_id, "summary": OWN_THREAD}
                made = await self.socket.request("conversation_create", body=body)
                found = str(made["conversation"]["id"])
            self.backend.own_threads[agent_id] = found
            return found
