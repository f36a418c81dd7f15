"""Per-server and per-request state: what tools reach through the lifespan context.

`AppContext` lives as long as the server (settings, the shared Letta client, the client pool,
subscriptions, caches). `RequestState` is one request's view of it: the caller and the Letta client
holding the caller's credentials. Tools get the latter with `app(ctx)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context

from letta_mcp.auth import LOCAL, Caller, ClientPool, caller_of
from letta_mcp.config import Settings
from letta_mcp.notify import Subscriptions

if TYPE_CHECKING:
    from letta_client import AsyncLetta

    from letta_mcp.toolsets.ask import AskTools

LettaFactory = Callable[[Settings, "str | None"], "AsyncLetta"]


def _no_spawn(*args: Any) -> None:
    raise RuntimeError("no task group: the server's lifespan is not running")


class AppContext:
    """What lives as long as the server.

    Letta clients are made on first use, not at start-up: importing letta_client costs ~0.2 s, and a
    server must answer `initialize` as fast as a bare one. They never retry by themselves (a retried
    write could talk to an agent twice); `registry.wrap` retries whole read-only tools instead.
    """

    def __init__(self, settings: Settings, factory: LettaFactory, injected: AsyncLetta | None = None) -> None:
        self.settings = settings
        self._factory = factory
        self._client = injected
        self._owned = injected is None
        self.pool = ClientPool(lambda key: factory(settings, key), size=settings.pool_size)
        self.subscriptions = Subscriptions()
        self.spawn: Callable[..., Any] = _no_spawn
        self.background_streams: bool | None = None
        """Whether Letta runs background streams (needs Redis); None until the first try."""
        self._ask: AskTools | None = None

    @property
    def ask(self) -> AskTools:
        if self._ask is None:
            from letta_mcp.toolsets.ask import AskTools

            self._ask = AskTools(self.settings)
        return self._ask

    @property
    def letta(self) -> AsyncLetta:
        """The client with the server's own credentials (LETTA_API_KEY)."""
        if self._client is None:
            self._client = self._factory(self.settings, None)
        return self._client

    def client_for(self, caller: Caller) -> AsyncLetta:
        if caller.letta_api_key is None:
            return self.letta
        client = self.pool.get(caller)
        if self.pool.has_evicted():
            self.spawn(self.pool.close_evicted)
        return client

    async def aclose(self) -> None:
        await self.pool.aclose()
        if self._owned and self._client is not None:
            await self._client.close()

    def secrets(self) -> list[str]:
        key = self.settings.api_key
        return [key.get_secret_value()] if key is not None else []


class RequestState:
    """One request's view: the caller, and a Letta client with the caller's credentials."""

    def __init__(self, shared: AppContext, caller: Caller = LOCAL) -> None:
        self.shared = shared
        self.caller = caller
        self.settings = shared.settings
        self.ask = shared.ask
        self.spawn = shared.spawn

    @property
    def letta(self) -> AsyncLetta:
        return self.shared.client_for(self.caller)

    @property
    def scope_tag(self) -> str | None:
        """When set, only agents with this tag exist for this caller."""
        return self.caller.agent_tag

    @property
    def cache_key(self) -> str:
        return self.caller.cache_key

    @property
    def background_streams(self) -> bool | None:
        return self.shared.background_streams

    @background_streams.setter
    def background_streams(self, value: bool) -> None:
        self.shared.background_streams = value

    def secrets(self) -> list[str]:
        own = [self.caller.letta_api_key] if self.caller.letta_api_key else []
        return [*self.shared.secrets(), *own]


def request_state(request_context: Any) -> RequestState:
    shared: AppContext = request_context.lifespan_context
    return RequestState(shared, caller_of(request_context, shared.settings))


Ctx = Context[AppContext, Any]


def app(ctx: Ctx) -> RequestState:
    return request_state(ctx.request_context)
