"""The MCP server: `create_server` builds it from settings; its lifespan owns the Letta client."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from mcp.server.mcpserver import MCPServer

from letta_mcp import __version__
from letta_mcp.config import Settings
from letta_mcp.registry import AppContext, ToolSpec, build_tools

if TYPE_CHECKING:
    from letta_client import AsyncLetta

logger = logging.getLogger(__name__)

INSTRUCTIONS = """\
letta-mcp connects you to Letta: stateful agents that keep memory blocks (always in their context),
archival memory (searchable long-term storage) and their whole conversation history on the Letta
server. Tools take `agent` as an id or an exact name; list_agents finds them. Send only the new
message to an agent (never the conversation so far): it remembers. Lists are paged with cursors."""


def all_tools() -> list[ToolSpec]:
    """Every tool of every toolset, in catalog order."""
    from letta_mcp.toolsets import agents, archival, memory, messages, tools

    return [*agents.TOOLS, *messages.TOOLS, *memory.TOOLS, *archival.TOOLS, *tools.TOOLS]


def make_letta(settings: Settings) -> AsyncLetta:
    """The one Letta client of a server. It never retries by itself: writes must not repeat."""
    import httpx
    from letta_client import AsyncLetta

    timeout = httpx.Timeout(settings.timeout, connect=settings.connect_timeout)
    api_key = settings.api_key.get_secret_value() if settings.api_key else None
    return AsyncLetta(base_url=settings.base_url, api_key=api_key, timeout=timeout, max_retries=0)


def create_server(settings: Settings, letta: AsyncLetta | None = None) -> MCPServer[AppContext]:
    """Build the MCP server. Pass `letta` to use a client of your own (tests inject faults this way)."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppContext]) -> AsyncIterator[AppContext]:
        state = AppContext(settings, make_letta, injected=letta)
        try:
            yield state
        finally:
            await state.aclose()

    tools = build_tools(all_tools(), settings)
    server: MCPServer[AppContext] = MCPServer(
        "letta",
        title="Letta",
        version=__version__,
        instructions=INSTRUCTIONS,
        website_url="https://github.com/letta-ai/letta",
        lifespan=lifespan,
        log_level=settings.log_level,
        tools=tools,
    )
    logger.info(
        "letta-mcp %s: %d tools (toolsets: %s%s) for Letta at %s",
        __version__,
        len(tools),
        ",".join(settings.toolsets),
        "; read-only" if settings.read_only else "",
        settings.base_url,
    )
    return server


def tool_names(settings: Settings) -> list[str]:
    from letta_mcp.registry import selected

    return [spec.name for spec in selected(all_tools(), settings)]


__all__ = ["INSTRUCTIONS", "all_tools", "create_server", "make_letta", "tool_names"]
