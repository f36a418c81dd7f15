"""The MCP server: `create_server` builds it from settings; its lifespan owns the Letta client."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, ClassVar, cast

import anyio
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.subscriptions import ToolsListChanged
from mcp.types import (
    CallToolResult,
    CompleteRequestParams,
    CompleteResult,
    InputRequiredResult,
    ListToolsResult,
    PaginatedRequestParams,
    SetLevelRequestParams,
    SubscribeRequestParams,
    UnsubscribeRequestParams,
)
from mcp.types import Resource as MCPResource
from pydantic import ValidationError

from letta_mcp import __version__, errors, notify
from letta_mcp.config import Settings
from letta_mcp.prompts import register_prompts
from letta_mcp.registry import ToolSpec, build_tools
from letta_mcp.resources import AGENTS_URI, complete, register_resources
from letta_mcp.state import AppContext, RequestState, request_state

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


def make_letta(settings: Settings, api_key: str | None = None) -> AsyncLetta:
    """A Letta client with `api_key` (default: LETTA_API_KEY). It never retries by itself: writes must not repeat."""
    import httpx
    from letta_client import AsyncLetta

    timeout = httpx.Timeout(settings.timeout, connect=settings.connect_timeout)
    if api_key is None and settings.api_key is not None:
        api_key = settings.api_key.get_secret_value()
    return AsyncLetta(base_url=settings.base_url, api_key=api_key, timeout=timeout, max_retries=0)


class LettaServer(MCPServer[AppContext]):
    """The MCP server, plus what the high-level server does not do by itself: the agents index in
    resources/list (a template cannot be listed), resources/subscribe, completions that see the
    lifespan context, per-caller tool sets, and the ask_* tools that follow Letta."""

    _specs: ClassVar[dict[str, ToolSpec]] = {}

    async def list_resources(self) -> list[MCPResource]:
        index = MCPResource(
            name="agents",
            title="Letta agents",
            uri=AGENTS_URI,
            mime_type="application/json",
            description="The Letta agents you can use (paged: letta://agents?cursor=…).",
        )
        return [index, *await super().list_resources()]

    def serves_ask(self, state: RequestState) -> bool:
        return "ask" in allowed_toolsets(state) and (not read_only(state) or state.settings.read_only_ask)

    def allows(self, state: RequestState, name: str) -> bool:
        """Whether this caller may see and call fixed tool `name` (its token may narrow the server's set)."""
        spec = self._specs.get(name)
        if spec is None:
            return True  # not one of ours: the SDK answers "unknown tool"
        return spec.toolset in allowed_toolsets(state) and (spec.read_only or not read_only(state))

    async def _list_tools(self, ctx: Any, params: Any) -> ListToolsResult:
        state = request_state(ctx)
        tools = [t for t in await self.list_tools() if self.allows(state, t.name)]
        if self.serves_ask(state):
            connection = notify.connection_of(ctx.session)

            async def announce() -> None:
                await self._subscriptions.publish(ToolsListChanged())
                with contextlib.suppress(Exception):
                    await connection.send_tool_list_changed()

            # Over stateless HTTP no notification can follow a first listing, so it waits for Letta.
            first = None if state.settings.transport == "http" else announce
            tools += state.ask.mcp_tools(await state.ask.listing(state, state.cache_key, first))
        return ListToolsResult(tools=tools)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppContext, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await self._call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(errors.invalid_arguments(name, exc.__cause__)) from exc.__cause__
            raise

    async def _call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppContext, Any] | None
    ) -> CallToolResult | InputRequiredResult:
        if context is not None:
            state = request_state(context.request_context)
            if not self.allows(state, name):
                raise ToolError(f"Unknown tool: {name}")
            if self._tool_manager.get_tool(name) is None and name.startswith("ask_") and self.serves_ask(state):
                tool = await state.ask.find(state, state.cache_key, name)
                if tool is not None:
                    result = await tool.run(arguments, context, convert_result=True)
                    return cast(CallToolResult, result)
        return await super().call_tool(name, arguments, context)

    def add_protocol_handlers(self) -> None:
        low = self._lowlevel_server
        base_options = low.create_initialization_options

        # The SDK advertises listChanged only when told to at initialization; this server does send
        # tools and resources list_changed, so every transport's handshake must say so.
        def with_list_changed(
            notification_options: NotificationOptions | None = None,
            experimental_capabilities: dict[str, dict[str, Any]] | None = None,
            extensions: dict[str, dict[str, Any]] | None = None,
        ) -> Any:
            options = notification_options or NotificationOptions(tools_changed=True, resources_changed=True)
            return base_options(options, experimental_capabilities, extensions)

        low.create_initialization_options = with_list_changed  # type: ignore[method-assign]
        low.add_request_handler("tools/list", PaginatedRequestParams, self._list_tools)
        low.add_request_handler("resources/subscribe", SubscribeRequestParams, notify.on_subscribe)
        low.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, notify.on_unsubscribe)
        low.add_request_handler("logging/setLevel", SetLevelRequestParams, notify.on_set_level)

        async def on_complete(ctx: Any, params: CompleteRequestParams) -> CompleteResult:
            completion = await complete(request_state(ctx), params.ref, params.argument, params.context)
            return CompleteResult(completion=completion)

        low.add_request_handler("completion/complete", CompleteRequestParams, on_complete)


def allowed_toolsets(state: RequestState) -> tuple[str, ...]:
    """The server's toolsets, narrowed by the caller's token when it names some."""
    own = state.caller.toolsets
    return state.settings.toolsets if own is None else tuple(t for t in state.settings.toolsets if t in own)


def read_only(state: RequestState) -> bool:
    return state.settings.read_only or bool(state.caller.read_only)


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
    auth: dict[str, Any] = {}
    if settings.auth == "oauth":
        from mcp.server.auth.settings import AuthSettings

        from letta_mcp.auth import JwtVerifier

        auth = {
            "token_verifier": JwtVerifier(settings),
            "auth": AuthSettings(issuer_url=settings.oauth_issuer, resource_server_url=settings.public_url),
        }
    server = LettaServer(
        "letta",
        title="Letta",
        version=__version__,
        instructions=INSTRUCTIONS,
        website_url="https://github.com/letta-ai/letta",
        lifespan=lifespan,
        log_level=settings.log_level,
        tools=tools,
        **auth,
    )
    LettaServer._specs = {spec.name: spec for spec in all_tools()}
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
