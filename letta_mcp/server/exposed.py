"""The ask_<agent> tools at run time: which agents are exposed to each caller (cached), and their tools.

An agent is exposed when it carries the expose tag (``LETTA_MCP_EXPOSE_TAG``) or is named in
``LETTA_MCP_EXPOSE_AGENTS``. The set follows Letta: it is read again when tools are listed (cached for
``LETTA_MCP_ASK_CACHE_SECONDS``), and this server announces `tools/list_changed` when one of its own
tools changes it. Each caller sees the agents their own credentials and scope can see.

The first listing of a process never waits for Letta (that would cost a cold start the import of the
Letta client and a round trip): it lists the fixed tools, looks the agents up right after, and
announces `tools/list_changed` when it finds some. Over stateless HTTP, where no notification can
follow, the first listing waits instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from mcp.server.mcpserver.tools import Tool
from mcp.types import Tool as MCPTool
from pydantic import BaseModel

from letta_mcp.core.config import Settings
from letta_mcp.core.contract import ToolSpec
from letta_mcp.core.state import RequestState
from letta_mcp.server import catalog, notify
from letta_mcp.server.registry import Invoke, build, tool_function
from letta_mcp.toolsets.ask import ASK, Ask, Exposed, name_all
from letta_mcp.toolsets.messages import Messages

logger = logging.getLogger(__name__)


Found = Callable[[], Awaitable[None]]

WARM_AFTER = 0.05
"""Seconds between the first listing and the import of the backend's client."""


def _asking(agent_id: str) -> Invoke:
    async def invoke(request: RequestState, arguments: dict[str, Any]) -> BaseModel:
        # Through send_message, so the agent's scope is checked at call time, not when it was listed.
        reply: BaseModel = await request.use(Messages).send_message(agent=agent_id, **arguments)
        return reply

    return invoke


class ExposedTools:
    """Per caller (credential and scope): the exposed agents, and a built tool for each."""

    def __init__(self, settings: Settings, spec: ToolSpec = ASK) -> None:
        self.settings = settings
        self.spec = spec
        self._template: Tool | None = None
        self._cache: dict[str, tuple[float, list[Exposed]]] = {}
        self._tools: dict[Exposed, Tool] = {}
        self._warming: set[str] = set()

    def tool(self, exposed: Exposed) -> Tool:
        """The callable tool for `exposed`, built on first use (listings come from the catalog)."""
        built = self._tools.get(exposed)
        if built is None:
            if self._template is None:
                self._template = build(self.spec, _asking("template"))
            built = self._template.model_copy(
                update={
                    "fn": tool_function(self.spec, _asking(exposed.agent_id), exposed.tool_name),
                    "name": exposed.tool_name,
                    "title": f"Ask {exposed.agent_name}",
                    "description": exposed.description,
                }
            )
            self._tools[exposed] = built
        return built

    def cached(self, key: str) -> list[Exposed] | None:
        entry = self._cache.get(key)
        return entry[1] if entry else None

    async def refresh(self, request: RequestState) -> list[Exposed]:
        exposed = name_all(await request.use(Ask).exposed_agents())
        self._cache[request.cache_key] = (time.monotonic(), exposed)
        live = set(exposed)
        for stale in [e for e in self._tools if e not in live]:
            del self._tools[stale]
        return exposed

    async def listing(self, request: RequestState, on_found: Found | None) -> list[Exposed]:
        """The exposed agents for a tools/list: fresh within the cache time; see the module doc for the first."""
        key = request.cache_key
        entry = self._cache.get(key)
        if entry and time.monotonic() - entry[0] < self.settings.ask_cache_seconds:
            return entry[1]
        if entry is None and on_found is not None:
            if key not in self._warming:
                self._warming.add(key)
                request.spawn(self._warm, request, on_found)
            return []
        try:
            return await self.refresh(request)
        except Exception as exc:  # noqa: BLE001 — Letta down must not break tools/list: keep what we had
            logger.warning("could not list exposed agents (%s); serving the last known set", type(exc).__name__)
            return entry[1] if entry else []

    async def _warm(self, request: RequestState, on_found: Found) -> None:
        # Importing the backend's client takes ~0.2 s of CPU. It waits until the tools/list answer that
        # spawned it has been written, then runs on the loop: in a worker thread it would compete with
        # that answer all the same, and leave a thread's malloc arena (~1 MB) behind for good.
        await anyio.sleep(WARM_AFTER)
        request.backend.warm()
        try:
            exposed = await self.refresh(request)
        except Exception as exc:  # noqa: BLE001 — logged; the next tools/list tries again
            logger.warning("could not list exposed agents (%s)", type(exc).__name__)
            self._warming.discard(request.cache_key)
            return
        self._warming.discard(request.cache_key)
        if exposed:
            await on_found()

    async def changed_by_us(self, request: RequestState) -> None:
        """After this server changed an agent: re-read the exposed set and announce a change."""
        if "ask" not in self.settings.toolsets or request.ctx is None:
            return
        before = self.cached(request.cache_key)
        try:
            after = await self.refresh(request)
        except Exception as exc:  # noqa: BLE001 — the change itself succeeded; the listing catches up later
            logger.warning("could not re-read exposed agents (%s)", type(exc).__name__)
            return
        if before != after:
            await notify.tool_list_changed(request.ctx)

    async def find(self, request: RequestState, name: str) -> Tool | None:
        for exposed in self.cached(request.cache_key) or await self.refresh(request):
            if exposed.tool_name == name:
                return self.tool(exposed)
        # Not in what we knew: Letta may have changed since; look once more.
        for exposed in await self.refresh(request):
            if exposed.tool_name == name:
                return self.tool(exposed)
        return None

    async def exposes(self, request: RequestState, agent_id: str) -> bool:
        """Whether this caller has an ask_ tool for `agent_id` (as Letta has it now, within the cache time)."""
        known = self.cached(request.cache_key)
        if known is not None and any(e.agent_id == agent_id for e in known):
            return True
        return any(e.agent_id == agent_id for e in await self.refresh(request))

    def mcp_tools(self, exposed: list[Exposed]) -> list[MCPTool]:
        return [catalog.ask_tool(e.tool_name, f"Ask {e.agent_name}", e.description, e.agent_name) for e in exposed]


__all__ = ["ASK", "ExposedTools"]
