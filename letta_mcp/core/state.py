"""What a request reaches: the server's lifetime state, the request's caller, and the backend.

`AppContext` lives as long as the server (settings, the backend, subscriptions, a task group).
`RequestState` is one request's view of it: who is calling, and the backend's implementation of a
toolset bound to this request (`use(Memory)` is a `Memory`, so mypy checks every call across the seam).
Tools never see a transport: the caller comes from
`callers`, whatever authenticated it.

`Backend` is the seam between the tool contract and a Letta: the REST API (`backends.rest`) or the
App Server (`backends.app`), chosen once from the scheme of ``LETTA_BASE_URL``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol, TypeVar

from letta_mcp.core import approvals
from letta_mcp.core.approvals import Answer, Resumed
from letta_mcp.core.callers import LOCAL, Caller, caller_of
from letta_mcp.core.config import Settings
from letta_mcp.core.errors import LettaMCPError
from letta_mcp.core.models import Approval

T = TypeVar("T")


class Backend(Protocol):
    """How letta-mcp reaches a Letta. Each backend carries out the toolsets' contracts its own way."""

    name: str
    """'rest' or 'app' (the column of the README's tool table)."""

    def serves(self, tool: str) -> bool:
        """Whether this backend carries out `tool` (a tool it cannot serve is never listed)."""
        ...

    def implementation(self, contract: type[T], request: RequestState) -> T:
        """The implementation of a toolset's contract for one request: an instance of a subclass of it."""
        ...

    def describe(self, exc: BaseException, *, tool: str, write: bool, secrets: list[str]) -> LettaMCPError | None:
        """The error a model reads for a failure of this backend's client (`NotFound` when something does not
        exist), or None when `exc` is not one of its client's failures."""
        ...

    def retry_delay(self, exc: BaseException, attempt: int) -> float | None:
        """How long to wait before retrying a read that failed with `exc`; None: do not retry."""
        ...

    def secrets(self, caller: Caller) -> list[str]:
        """Credentials that must never appear in a message or a log line."""
        ...

    def warm(self) -> None:
        """Import the client library the first call needs (run after the first listing has been answered)."""
        ...

    def start(self, spawn: Callable[..., Any]) -> None:
        """The server's lifespan began: long-lived tasks (a socket's reader) run with `spawn`."""
        ...

    def watch(self, changed: Callable[[list[str]], Awaitable[None]]) -> None:
        """Be told the resource URIs a change the backend pushes touched (not every backend pushes)."""
        ...

    async def ready(self) -> None:
        """Raise unless Letta answers (`/readyz`)."""
        ...

    async def accepts_key(self, api_key: str) -> bool | None:
        """Whether Letta takes a caller's own key (pass-through, `keycheck`); None: it cannot be asked."""
        ...

    async def diagnose(self) -> list[tuple[bool, str]]:
        """`letta-mcp doctor`'s checks of this backend, as (passed, line); a failed line says what to do."""
        ...

    async def aclose(self) -> None: ...


def _no_spawn(*args: Any) -> None:
    raise RuntimeError("no task group: the server's lifespan is not running")


AgentsChanged = Callable[["RequestState"], Awaitable[None]]


class Surface(Protocol):
    """What the MCP surface does for a request that the backends cannot (they know no SDK): tell clients what
    changed, and ask the client for its project folder. `letta_mcp.server` gives the real one."""

    async def resources_updated(self, ctx: Any, uris: Iterable[str]) -> None: ...

    async def resource_list_changed(self, ctx: Any) -> None: ...

    async def client_root(self, ctx: Any) -> str | None: ...

    async def ask_approval(self, ctx: Any, agent: str, approval: Approval, run_id: str) -> Answer | None:
        """Ask the person whether the waiting tool call may run; None when they cannot be asked here or
        did not answer (the call stays waiting). Raises `AskOnRetry` where the client asks between two rounds
        of the call."""
        ...

    def resumed_approval(self, ctx: Any) -> Resumed | None:
        """The person's answer this retried call brings to what its first round asked, if it is one."""
        ...


class _Silent:
    """No client to tell anything (a context made outside a server, as unit tests do)."""

    async def resources_updated(self, ctx: Any, uris: Iterable[str]) -> None:
        return None

    async def resource_list_changed(self, ctx: Any) -> None:
        return None

    async def client_root(self, ctx: Any) -> str | None:
        return None

    async def ask_approval(self, ctx: Any, agent: str, approval: Approval, run_id: str) -> Answer | None:
        return None

    def resumed_approval(self, ctx: Any) -> Resumed | None:
        return None


class AppContext:
    """What lives as long as the server."""

    def __init__(self, settings: Settings, backend: Backend, surface: Surface | None = None) -> None:
        self.settings = settings
        self.backend = backend
        self.surface: Surface = surface or _Silent()
        self.subscriptions: Any = None
        """Handshake-era subscriptions and log levels (`letta_mcp.server.subscriptions`), set by the server."""
        self.spawn: Callable[..., Any] = _no_spawn
        self.on_agents_changed: list[AgentsChanged] = []
        """Called after a tool of this server created, renamed, retagged or deleted an agent."""
        self.session_threads: dict[str, str] = {}
        """LETTA_MCP_CONVERSATION=per-session: agent id → this session's conversation with it. A stdio server
        (and an in-memory one) serves one client session for as long as this context lives."""


class RequestState:
    """One request's view: its caller, and the backend's toolsets bound to it."""

    def __init__(self, shared: AppContext, caller: Caller = LOCAL, ctx: Any = None) -> None:
        self.shared = shared
        self.caller = caller
        self.ctx = ctx
        self.settings = shared.settings
        self.backend = shared.backend

    def use(self, contract: type[T]) -> T:
        """The backend's implementation of `contract` (a toolset's Protocol class), bound to this request."""
        return self.backend.implementation(contract, self)

    @property
    def scope_tag(self) -> str | None:
        """When set, only agents with this tag exist for this caller."""
        return self.caller.agent_tag

    @property
    def cache_key(self) -> str:
        return self.caller.cache_key

    def spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        self.shared.spawn(fn, *args)

    def secrets(self) -> list[str]:
        return self.backend.secrets(self.caller)

    def session_thread(self, agent_id: str) -> str | None:
        """This client session's conversation with the agent (LETTA_MCP_CONVERSATION=per-session), if any."""
        return self.shared.session_threads.get(agent_id)

    def remember_session_thread(self, agent_id: str, conversation_id: str) -> None:
        self.shared.session_threads[agent_id] = conversation_id

    async def client_root(self) -> str | None:
        """The client's project folder (its first MCP root), when it gives one."""
        return None if self.ctx is None else await self.shared.surface.client_root(self.ctx)

    async def ask_approval(self, agent: str, approval: Approval, run_id: str) -> Answer | None:
        """The person's answer to a waiting tool call, asked in their own client; None: not asked or not
        answered (never an answer made up for them)."""
        if self.ctx is None:
            return None
        return await self.shared.surface.ask_approval(self.ctx, agent, approval, run_id)

    def resumed_approval(self) -> Resumed | None:
        """The answer this call brings other than in its arguments: a task's input, or a retried call's
        (protocol 2026-07-28)."""
        given = approvals.given_answer()
        if given is not None:
            return given
        return None if self.ctx is None else self.shared.surface.resumed_approval(self.ctx)

    async def resources_updated(self, uris: Iterable[str]) -> None:
        if self.ctx is not None:
            await self.shared.surface.resources_updated(self.ctx, uris)

    async def agents_changed(self, *, listed: bool = True) -> None:
        """After this request created, renamed, retagged or deleted an agent: tell whoever follows that."""
        if self.ctx is None:
            return
        if listed:
            await self.shared.surface.resource_list_changed(self.ctx)
        for callback in self.shared.on_agents_changed:
            await callback(self)


def request_state(request_context: Any, ctx: Any = None) -> RequestState:
    shared: AppContext = request_context.lifespan_context
    return RequestState(shared, caller_of(request_context, shared.settings), ctx)


def app(ctx: Any) -> RequestState:
    """The request state of a tool's or a resource's `Context`."""
    return request_state(ctx.request_context, ctx)


__all__ = ["AppContext", "Backend", "RequestState", "Surface", "app", "request_state"]
