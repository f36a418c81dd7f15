"""The MCP server: `create_server` builds it from settings, with the backend the settings point at.

What the high-level `MCPServer` does not do by itself is added here: the agents index in
resources/list (a template cannot be listed), resources/subscribe and logging/setLevel for
handshake-era clients, completions that reach the backend, per-caller tool lists and calls (the
visibility rule), the ask_* tools that follow Letta, and the memory view for MCP Apps clients (`apps`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, cast

import anyio
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.models import InitializationOptions
from mcp.server.subscriptions import ListenHandler, SubscriptionBus
from mcp.shared.exceptions import MCPError
from mcp.shared.subscriptions import ToolsListChanged
from mcp.types import (
    INVALID_PARAMS,
    CallToolResult,
    CompleteRequestParams,
    CompleteResult,
    EmptyResult,
    InputRequiredResult,
    ListResourcesResult,
    ListToolsResult,
    PaginatedRequestParams,
    SetLevelRequestParams,
    SubscribeRequestParams,
    SubscriptionsListenRequestParams,
    SubscriptionsListenResult,
    UnsubscribeRequestParams,
)
from mcp.types import Resource as MCPResource
from mcp.types import Tool as MCPTool
from pydantic import ValidationError

from letta_mcp._version import __version__
from letta_mcp.core import errors
from letta_mcp.core.callers import NoCaller
from letta_mcp.core.config import Settings, backend_kind, shown_url
from letta_mcp.core.state import AppContext, Backend, RequestState, request_state
from letta_mcp.core.uris import AGENTS_URI
from letta_mcp.core.visibility import allowed, visible
from letta_mcp.server import apps, notify, sdk, subscriptions, tasks
from letta_mcp.server.approvals import state_security
from letta_mcp.server.exposed import ExposedTools
from letta_mcp.server.prompts import register_prompts
from letta_mcp.server.registry import LazyTools
from letta_mcp.server.resources import complete, readable, register_resources
from letta_mcp.server.sdk import connection_of
from letta_mcp.server.subscriptions import Subscriptions
from letta_mcp.toolsets import TOOLS_BY_NAME, TOOLSETS
from letta_mcp.toolsets.ask import ASK, PREFIX

if TYPE_CHECKING:
    from letta_mcp.backends.rest import AsyncLetta

logger = logging.getLogger(__name__)


def instructions(toolsets: Collection[str], tools: Collection[str]) -> str:
    """What the client shows the model about this server: the words a tool search would start from (Letta,
    agents, memory, remember). Each served toolset (`toolsets`) adds its own clause and sentences, naming
    only the tools that are served (`tools`)."""
    served = [t for t in TOOLSETS if t.name in toolsets]
    keeps = ["memory blocks (always in their context)", *(t.about for t in served if t.about)]
    parts = [
        f"letta-mcp connects you to Letta: stateful agents that keep {', '.join(keeps)} and their whole "
        "conversation history."
    ]
    parts += [line.text for t in served for line in t.lines if all(name in tools for name in line.tools)]
    parts.append("`agent` is an id or exact name; lists page with cursors.")
    return " ".join(parts)


def backend_for(settings: Settings, letta: AsyncLetta | None = None) -> Backend:
    """The backend ``LETTA_BASE_URL`` points at: http(s) is Letta's REST API, ws(s) its App Server."""
    if backend_kind(settings) == "app":
        from letta_mcp.backends.app import AppBackend

        return AppBackend(settings)
    from letta_mcp.backends.rest import RestBackend

    return RestBackend(settings, injected=letta)


class LettaServer(MCPServer[AppContext]):
    """The MCP server of one backend (see the module doc for what it adds to `MCPServer`)."""

    def __init__(self, settings: Settings, backend: Backend, tools: LazyTools, **kwargs: Any) -> None:
        self.task_requests = tasks.Tasks()
        super().__init__("letta", extensions=[self.task_requests], middleware=[self.task_requests.middleware], **kwargs)
        self.task_requests.attach(self)
        self.backend = backend
        self.exposed = ExposedTools(settings)
        self.tools = tools
        sdk.use_tool_manager(self, tools)
        self._listed: list[MCPTool] | None = None

    @property
    def bus(self) -> SubscriptionBus:
        """Where change events go to 2026-07-28 listeners (`subscriptions/listen`)."""
        return sdk.bus(self)

    async def list_tools(self) -> list[MCPTool]:
        """The fixed tools, from the prebuilt catalog (see `catalog`); the ask_ tools follow per caller."""
        if self._listed is None:
            self._listed = [tasks.marked(t) for t in self.tools.listed()]
        return self._listed

    async def list_resources(self) -> list[MCPResource]:
        index = MCPResource(
            name="agents",
            title="Letta agents",
            uri=AGENTS_URI,
            mime_type="application/json",
            description="The Letta agents you can use (paged: letta://agents?cursor=…).",
        )
        return [index, *await super().list_resources()]

    def allows(self, request: RequestState, name: str) -> bool:
        """Whether this caller may see and call fixed tool `name` (see `visibility`)."""
        if name not in TOOLS_BY_NAME:
            return True  # not one of ours: the SDK answers "unknown tool"
        return allowed(name, request.settings, request.caller, request.backend)

    def serves_ask(self, request: RequestState) -> bool:
        return visible(ASK, request.settings, request.caller, request.backend)

    async def exposes(self, request: RequestState, agent_id: str) -> bool:
        return self.serves_ask(request) and await self.exposed.exposes(request, agent_id)

    async def _list_tools(self, ctx: Any, params: Any) -> ListToolsResult:
        request = request_state(ctx)
        tools = [t for t in await self.list_tools() if self.allows(request, t.name)]
        mark = tasks.unmarked if tasks.extension_era(ctx) else tasks.marked
        if apps.negotiated(ctx):
            tools = [apps.bound(t) for t in tools]
        if self.serves_ask(request):
            connection = connection_of(ctx.session)

            async def announce() -> None:
                await self.bus.publish(ToolsListChanged())
                with contextlib.suppress(Exception):
                    await connection.send_tool_list_changed()

            # Over stateless HTTP no notification can follow a first listing, so it waits for Letta.
            first = None if request.settings.transport == "http" else announce
            tools += self.exposed.mcp_tools(await self.exposed.listing(request, first))
        return ListToolsResult(tools=[mark(t) for t in tools])

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
            try:
                request = request_state(context.request_context, context)
            except NoCaller:
                raise ToolError("Not authenticated: send a valid bearer token.") from None
            if not self.allows(request, name):
                raise ToolError(f"Unknown tool: {name}")
            if self.tools.get_tool(name) is None and name.startswith(PREFIX) and self.serves_ask(request):
                tool = await self.exposed.find(request, name)
                if tool is not None:
                    result = await tool.run(arguments, context, convert_result=True)
                    return cast(CallToolResult, result)
            answer = await super().call_tool(name, arguments, context)
            if name == apps.BOUND_TOOL and isinstance(answer, CallToolResult) and apps.negotiated(context):
                view = [n for n in apps.VIEW_TOOLS if n in self.tools.specs and self.allows(request, n)]
                answer = apps.with_view_tools(answer, view)
            return answer
        return await super().call_tool(name, arguments, context)

    def add_protocol_handlers(self) -> None:
        low = sdk.lowlevel(self)

        def at_initialize(made: InitializationOptions) -> None:
            made.capabilities.tasks = tasks.CAPABILITY
            # initialize is the 2025-11-25 handshake: tasks are its capability there, the extension later.
            if made.capabilities.extensions:
                made.capabilities.extensions.pop(tasks.EXTENSION, None)

        # This server does send tools and resources list_changed, so every transport's handshake says so.
        sdk.adjust_initialization(self, NotificationOptions(tools_changed=True, resources_changed=True), at_initialize)
        low.add_request_handler("tools/list", PaginatedRequestParams, self._list_tools)

        async def on_list_resources(ctx: Any, params: PaginatedRequestParams | None) -> ListResourcesResult:
            return ListResourcesResult(
                resources=apps.listed_resources(await self.list_resources(), apps.negotiated(ctx))
            )

        low.add_request_handler("resources/list", PaginatedRequestParams, on_list_resources)
        listen = ListenHandler(self.bus)

        async def on_subscribe(ctx: Any, params: SubscribeRequestParams) -> EmptyResult:
            # Only letta:// URIs are ever notified: a subscription to anything else hears nothing, as before.
            uri = str(params.uri)
            if uri.startswith("letta://") and not await readable(request_state(ctx), uri):
                raise MCPError(code=INVALID_PARAMS, message=f"Unknown resource {params.uri}.")
            return await subscriptions.on_subscribe(ctx, params)

        async def on_listen(ctx: Any, params: SubscriptionsListenRequestParams) -> SubscriptionsListenResult:
            # Only what this caller could read: another scope's block updates say when it is being edited.
            wanted = params.notifications.resource_subscriptions or []
            request = request_state(ctx)
            kept = [uri for uri in wanted if await readable(request, uri)]
            if len(kept) != len(wanted):
                honored = params.notifications.model_copy(update={"resource_subscriptions": kept or None})
                params = params.model_copy(update={"notifications": honored})
            return await listen(ctx, params)

        low.add_request_handler("subscriptions/listen", SubscriptionsListenRequestParams, on_listen)
        low.add_request_handler("resources/subscribe", SubscribeRequestParams, on_subscribe)
        low.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, subscriptions.on_unsubscribe)
        low.add_request_handler("logging/setLevel", SetLevelRequestParams, subscriptions.on_set_level)

        async def on_complete(ctx: Any, params: CompleteRequestParams) -> CompleteResult:
            completion = await complete(request_state(ctx), params.ref, params.argument, params.context)
            return CompleteResult(completion=completion)

        low.add_request_handler("completion/complete", CompleteRequestParams, on_complete)


def create_server(settings: Settings, letta: AsyncLetta | None = None, **auth: Any) -> LettaServer:
    """Build the MCP server. Pass `letta` to use a client of your own (tests inject faults this way); `auth`:
    how HTTP checks tokens (`transports.auth.server_auth`: the SDK wants it at construction)."""
    backend = backend_for(settings, letta)
    server: LettaServer

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppContext]) -> AsyncIterator[AppContext]:
        state = AppContext(settings, backend, notify.ServerSurface())
        state.subscriptions = Subscriptions()
        state.on_agents_changed.append(server.exposed.changed_by_us)
        async with anyio.create_task_group() as tasks:
            state.spawn = tasks.start_soon
            backend.start(tasks.start_soon)

            async def pushed(uris: list[str]) -> None:
                await notify.resources_changed_elsewhere(server.bus, state.subscriptions, uris)

            backend.watch(pushed)
            try:
                yield state
            finally:
                tasks.cancel_scope.cancel()
                await backend.aclose()

    tools = LazyTools(settings, backend)
    server = LettaServer(
        settings,
        backend,
        tools,
        title="Letta",
        version=__version__,
        instructions=instructions(settings.toolsets, tools.specs),
        website_url="https://github.com/letta-ai/letta",
        lifespan=lifespan,
        log_level=settings.log_level,
        request_state_security=state_security(settings),
        **auth,
    )
    register_resources(server)
    apps.register_view(server)
    register_prompts(server)
    server.add_protocol_handlers()
    logger.info(
        "letta-mcp %s: %d tools (toolsets: %s%s) for Letta at %s",
        __version__,
        len(tools.specs),
        ",".join(settings.toolsets),
        "; read-only" if settings.read_only else "",
        shown_url(settings.base_url),
    )
    return server


__all__ = ["LettaServer", "backend_for", "create_server", "instructions"]
