"""The MCP server: `create_server` builds it from settings; its lifespan owns the Letta client."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, cast

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.subscriptions import ToolsListChanged
from mcp.types import (
    CallToolResult,
    CompleteRequestParams,
    CompleteResult,
    InputRequiredResult,
    ListToolsResult,
    PaginatedRequestParams,
    SubscribeRequestParams,
    UnsubscribeRequestParams,
)
from mcp.types import Resource as MCPResource

from letta_mcp import __version__, notify
from letta_mcp.config import Settings
from letta_mcp.prompts import register_prompts
from letta_mcp.registry import AppContext, ToolSpec, build_tools
from letta_mcp.resources import AGENTS_URI, complete, register_resources

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


class LettaServer(MCPServer[AppContext]):
    """The MCP server, plus what the high-level server does not do by itself: the agents index in
    resources/list (a template cannot be listed), resources/subscribe, and completions that see
    the lifespan context."""

    async def list_resources(self) -> list[MCPResource]:
        index = MCPResource(
            name="agents",
            title="Letta agents",
            uri=AGENTS_URI,
            mime_type="application/json",
            description="The Letta agents you can use (paged: letta://agents?cursor=…).",
        )
        return [index, *await super().list_resources()]

    def serves_ask(self, settings: Settings) -> bool:
        return "ask" in settings.toolsets and (not settings.read_only or settings.read_only_ask)

    async def _list_tools(self, ctx: Any, params: Any) -> ListToolsResult:
        tools = await self.list_tools()
        state: AppContext = ctx.lifespan_context
        if self.serves_ask(state.settings):
            key = state.caller_key(ctx)
            connection = notify.connection_of(ctx.session)

            async def announce() -> None:
                await self._subscriptions.publish(ToolsListChanged())
                with contextlib.suppress(Exception):
                    await connection.send_tool_list_changed()

            # Over stateless HTTP no notification can follow a first listing, so it waits for Letta.
            first = None if state.settings.transport == "http" else announce
            tools += state.ask.mcp_tools(await state.ask.listing(state, key, first))
        return ListToolsResult(tools=tools)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppContext, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        if self._tool_manager.get_tool(name) is None and name.startswith("ask_") and context is not None:
            state = context.request_context.lifespan_context
            if self.serves_ask(state.settings):
                tool = await state.ask.find(state, state.caller_key(context.request_context), name)
                if tool is not None:
                    result = await tool.run(arguments, context, convert_result=True)
                    return cast(CallToolResult, result)
        return await super().call_tool(name, arguments, context)

    def add_protocol_handlers(self) -> None:
        low = self._lowlevel_server
        low.add_request_handler("tools/list", PaginatedRequestParams, self._list_tools)
        low.add_request_handler("resources/subscribe", SubscribeRequestParams, notify.on_subscribe)
        low.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, notify.on_unsubscribe)

        async def on_complete(ctx: Any, params: CompleteRequestParams) -> CompleteResult:
            completion = await complete(ctx.lifespan_context, params.ref, params.argument, params.context)
            return CompleteResult(completion=completion)

        low.add_request_handler("completion/complete", CompleteRequestParams, on_complete)


def create_server(settings: Settings, letta: AsyncLetta | None = None) -> LettaServer:
    """Build the MCP server. Pass `letta` to use a client of your own (tests inject faults this way)."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppContext]) -> AsyncIterator[AppContext]:
        state = AppContext(settings, make_letta, injected=letta)
        async with anyio.create_task_group() as tasks:
            state.spawn = tasks.start_soon
            try:
                yield state
            finally:
                tasks.cancel_scope.cancel()
                await state.aclose()

    tools = build_tools(all_tools(), settings)
    server = LettaServer(
        "letta",
        title="Letta",
        version=__version__,
        instructions=INSTRUCTIONS,
        website_url="https://github.com/letta-ai/letta",
        lifespan=lifespan,
        log_level=settings.log_level,
        tools=tools,
    )
    register_resources(server)
    register_prompts(server)
    server.add_protocol_handlers()
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


__all__ = ["INSTRUCTIONS", "LettaServer", "all_tools", "create_server", "make_letta", "tool_names"]
