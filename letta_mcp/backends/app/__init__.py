"""The App Server backend: Letta Code's runtime (`letta server`), where local agents live, over its WebSocket.

Only this package speaks the App Server's protocol. One socket per process (`socket.AppSocket`);
turns are followed from their events (`turns`); memory blocks are MemFS files (`memfs`). What the App
Server has no frame for is not served, so it is never listed: archival memory, Letta tools, shared
blocks, folders, agent files, Letta-side MCP servers, archives.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from letta_mcp.backends.app import workspace
from letta_mcp.backends.app.memfs import label_of
from letta_mcp.backends.app.reflections import Reflections
from letta_mcp.backends.app.socket import AppSocket, http_url
from letta_mcp.backends.app.turns import Turns, key_of
from letta_mcp.backends.shared import Cached, Implementations
from letta_mcp.core.callers import Caller
from letta_mcp.core.config import Settings, shown_url
from letta_mcp.core.errors import LettaMCPError
from letta_mcp.core.locks import KeyedLocks
from letta_mcp.core.uris import agent_block_uri, agent_uri

if TYPE_CHECKING:
    from letta_mcp.core.state import RequestState

logger = logging.getLogger(__name__)

SERVED = frozenset(
    {
        "list_agents",
        "get_agent",
        "create_agent",
        "update_agent",
        "delete_agent",
        "list_models",
        "send_message",
        "get_run",
        "cancel_run",
        "respond_to_approval",
        "list_messages",
        "search_messages",
        "list_blocks",
        "get_block",
        "update_block",
        "edit_block",
        "memory_history",
        "restore_block",
        "delete_block",
        "list_conversations",
        "create_conversation",
        "fork_conversation",
        "update_conversation",
        "compact_conversation",
        "schedule_message",
        "list_schedules",
        "delete_schedule",
        "get_reflection",
        "set_reflection",
        "reflect_now",
        "ask",
    }
)
"""Every tool this backend carries out (the rest have no App Server frame)."""

T = TypeVar("T")

_TOOLSETS = ("agents", "messages", "memory", "conversations", "ask", "schedules", "reflection")
"""The toolsets this backend implements, each by a module of its name here."""
MODELS_SECONDS = 60.0

MemoryChanged = Callable[[list[str]], Awaitable[None]]
"""Told the resource URIs a `memory_updated` push changed."""


class AppBackend:
    """Letta's App Server, over one WebSocket."""

    name = "app"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = shown_url(settings.base_url)
        token = settings.api_key.get_secret_value() if settings.api_key is not None else None
        self.socket = AppSocket(
            settings.base_url,
            token,
            timeout=settings.timeout,
            connect_timeout=settings.connect_timeout,
            shown=self.url,
        )
        self.turns = Turns()
        self.socket.listen(self.turns.on_frame)
        self.block_locks = KeyedLocks()
        self.thread_locks = KeyedLocks()
        self.own_threads: dict[str, str] = {}
        """Behind authentication: agent id → its own letta-mcp thread (see `AppBase.own_thread`)."""
        self.reflection_off: set[tuple[str, str]] = set()
        """Behind authentication: the runtimes whose reflection this process has turned off (`workspace`)."""
        self.reflections = Reflections()
        self.socket.listen(self.reflections.on_frame)
        self.socket.listen(self._on_push)
        self.on_memory_changed: list[MemoryChanged] = []
        self._models: Cached[list[tuple[str, int | None]]] = Cached(MODELS_SECONDS)
        self._spawn: Callable[..., Any] | None = None
        self.implementations = Implementations(__name__, "App", _TOOLSETS)

    def serves(self, tool: str) -> bool:
        return tool in SERVED

    def implementation(self, contract: type[T], request: RequestState) -> T:
        return self.implementations.of(contract, request)

    def start(self, spawn: Callable[..., Any]) -> None:
        self.socket.attach(spawn)
        self._spawn = spawn

    def watch(self, changed: MemoryChanged) -> None:
        self.on_memory_changed.append(changed)

    async def models(self) -> list[tuple[str, int | None]]:
        """The model handles the App Server offers, with their context window (cached for a minute)."""

        async def fetch() -> list[tuple[str, int | None]]:
            answer = await self.socket.request("list_models")
            entries = answer.get("entries") or []
            available = set(answer.get("available_handles") or [])
            return [
                (str(e["handle"]), (e.get("updateArgs") or {}).get("context_window"))
                for e in entries
                if e.get("handle") and (not available or e["handle"] in available)
            ]

        return await self._models.get(fetch)

    async def _on_push(self, frame: dict[str, Any]) -> None:
        if frame.get("type") == "letta_mcp_disconnected":
            lost = [t for t in self.turns.running() if t.lost is not None]
            if lost and self._spawn is not None and not self.socket.closing:
                from letta_mcp.backends.app.recovery import recover_all

                self._spawn(recover_all, self.socket, lost)
            return
        if frame.get("type") == "turn_finished" and self.on_memory_changed:
            await self._turn_edited_memory(frame)
            return
        if frame.get("type") != "memory_updated" or not self.on_memory_changed:
            return
        if workspace.shared(self.settings):
            # The push names files, not the agent: behind authentication a guess could tell one team about
            # another's memory. letta-mcp's own writes notify their exact URIs anyway.
            return
        # The push names paths, not the agent: it concerns the agents this process is talking to.
        running = [t.agent_id for t in self.turns.running()]
        agents = running or list(self.turns.touched)
        uris: list[str] = []
        for agent_id in agents:
            uris.append(agent_uri(agent_id))
            uris += [agent_block_uri(agent_id, label_of(p)) for p in frame.get("affected_paths") or [] if p != "*"]
        for callback in self.on_memory_changed:
            await callback(uris)

    async def _turn_edited_memory(self, frame: dict[str, Any]) -> None:
        """The agent's own memory edits in a turn this process followed: here the agent is known, so its
        block URIs are told (to the sessions that subscribed to them, which had to be able to read them)."""
        key = key_of(frame)
        turn = self.turns.current(key) if key else None
        edited = turn.memory_edits() if turn is not None else []
        if turn is None or not edited:
            return
        uris = [agent_uri(turn.agent_id), *(agent_block_uri(turn.agent_id, label_of(p)) for p in edited)]
        for callback in self.on_memory_changed:
            await callback(uris)

    def describe(self, exc: BaseException, *, tool: str, write: bool, secrets: list[str]) -> LettaMCPError | None:
        from letta_mcp.backends.app.errors import describe

        return describe(exc, write=write)

    def retry_delay(self, exc: BaseException, attempt: int) -> float | None:
        from letta_mcp.backends.app.errors import retry_delay

        return retry_delay(exc, attempt)

    def secrets(self, caller: Caller) -> list[str]:
        key = self.settings.api_key
        return [key.get_secret_value()] if key is not None else []

    def warm(self) -> None:
        importlib.import_module("websockets")
        # Each toolset's implementation is imported by its first call (a few ms).

    async def accepts_key(self, api_key: str) -> bool | None:
        """The App Server takes one token, LETTA_API_KEY, for the whole connection: no caller's key is asked."""
        return None

    async def ready(self) -> None:
        import httpx

        async with httpx.AsyncClient(timeout=self.settings.connect_timeout + 2) as http:
            response = await http.get(http_url(self.settings.base_url, "/readyz"))
            response.raise_for_status()

    async def diagnose(self) -> list[tuple[bool, str]]:
        from letta_mcp.backends.app.doctor import diagnose

        return await diagnose(self)

    async def aclose(self) -> None:
        await self.socket.aclose()


__all__ = ["SERVED", "AppBackend"]
