"""The REST backend: Letta Cloud and self-hosted Letta REST servers, through `letta-client`.

Only this package imports `letta_client`, and never at start-up: importing it costs ~0.2 s, and a
server must answer its first listing as fast as a bare one. Clients are made on first use, one per
credential (a caller's own key never serves another's request), and never retry by themselves: a
retried write could talk to an agent twice, so `registry` retries whole read-only tools instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from letta_mcp.backends.rest.batches import Batches
from letta_mcp.backends.rest.client import Reader, make_letta
from letta_mcp.backends.shared import Cached, Handles, Implementations
from letta_mcp.core.callers import Caller, ClientPool
from letta_mcp.core.config import Settings, shown_url
from letta_mcp.core.errors import LettaMCPError
from letta_mcp.core.locks import KeyedLocks

if TYPE_CHECKING:
    from letta_client import AsyncLetta as AsyncLetta

    from letta_mcp.core.state import RequestState
    from letta_mcp.toolsets.memory import Edit, Edited

HANDLES_SECONDS = 60.0
NOT_SERVED = frozenset(
    {
        "memory_history",
        "restore_block",
        "delete_block",
        "schedule_message",
        "list_schedules",
        "delete_schedule",
        "get_reflection",
        "set_reflection",
        "reflect_now",
    }
)
"""Tools of the contract this backend has no API for: REST memory blocks keep no history (an agent's
block is let go with detach_block), self-hosted Letta (0.16.8) has no schedules, and its sleep-time agent
has only its on/off switch (update_agent's `sleeptime`)."""

T = TypeVar("T")

_TOOLSETS = (
    "agents",
    "messages",
    "memory",
    "archival",
    "tools",
    "ask",
    "conversations",
    "files",
    "agent_files",
    "mcp_servers",
    "archives",
)
"""The toolsets this backend implements, each by a module of its name here."""


async def _close(client: AsyncLetta) -> None:
    await client.close()


class RestBackend:
    """Letta's REST API. Serves every tool of every toolset."""

    name = "rest"

    def __init__(self, settings: Settings, injected: AsyncLetta | None = None) -> None:
        self.settings = settings
        self.url = shown_url(settings.base_url)
        self._client = injected
        self._owned = injected is None
        self.pool: ClientPool[AsyncLetta] = ClientPool(
            lambda key: make_letta(settings, key), _close, size=settings.pool_size
        )
        self.reader = Reader(settings)
        self.block_locks = KeyedLocks()
        self.block_edits: Batches[Edit, tuple[str, Edited]] = Batches(self.block_locks)
        self.background_streams: bool | None = None
        """Whether Letta runs background streams (needs Redis); None until the first try."""
        self._handles: Cached[tuple[Handles, Handles]] = Cached(HANDLES_SECONDS)
        self.implementations = Implementations(__name__, "Rest", _TOOLSETS)

    def serves(self, tool: str) -> bool:
        return tool not in NOT_SERVED

    def implementation(self, contract: type[T], request: RequestState) -> T:
        return self.implementations.of(contract, request)

    @property
    def letta(self) -> AsyncLetta:
        """The client with the server's own credentials (LETTA_API_KEY)."""
        if self._client is None:
            self._client = make_letta(self.settings)
        return self._client

    def client_for(self, request: RequestState) -> AsyncLetta:
        caller = request.caller
        if caller.letta_api_key is None:
            return self.letta
        client = self.pool.get(caller, holder=request)
        if self.pool.has_evicted():
            request.spawn(self.pool.close_evicted)
        return client

    async def handles(self, letta: AsyncLetta) -> tuple[Handles, Handles]:
        """The model and embedding handles Letta offers (read again after HANDLES_SECONDS)."""

        async def fetch() -> tuple[Handles, Handles]:
            llms: Handles = [(m.handle, m.context_window) for m in await letta.models.list() if m.handle]
            embeddings: Handles = [
                (m.handle, m.embedding_dim) for m in await letta.models.embeddings.list() if m.handle
            ]
            return llms, embeddings

        return await self._handles.get(fetch)

    def describe(self, exc: BaseException, *, tool: str, write: bool, secrets: list[str]) -> LettaMCPError | None:
        from letta_mcp.backends.rest.errors import describe

        return describe(exc, url=self.url, tool=tool, write=write, secrets=secrets)

    def retry_delay(self, exc: BaseException, attempt: int) -> float | None:
        from letta_mcp.backends.rest.errors import retry_delay

        return retry_delay(exc, attempt)

    def secrets(self, caller: Caller) -> list[str]:
        key = self.settings.api_key
        own = [key.get_secret_value()] if key is not None else []
        return [*own, *([caller.letta_api_key] if caller.letta_api_key else [])]

    def start(self, spawn: Any) -> None:
        """Nothing runs in the background: every call is one HTTP request."""

    def watch(self, changed: Any) -> None:
        """Letta's REST API pushes nothing."""

    def warm(self) -> None:
        """Nothing: letta-client (10 MB, ~0.2 s) and each toolset's implementation come with the first call
        that needs them, so that a process nobody calls holds no more than a bare server (the exposed agents
        are looked up without it: `client.Reader`)."""

    async def accepts_key(self, api_key: str) -> bool | None:
        """Whether Letta takes a caller's key (None: Letta could not be asked); see `keycheck`."""
        return await self.reader.accepts(api_key)

    async def ready(self) -> None:
        """Raise unless Letta answers, with the server's own credentials when it has any (passthrough has none)."""
        if self.settings.auth == "passthrough" or self.settings.api_key is None:
            import httpx

            async with httpx.AsyncClient(timeout=self.settings.connect_timeout + 2) as http:
                response = await http.get(self.settings.base_url + "/v1/health/")
                response.raise_for_status()
            return
        client = make_letta(self.settings)
        try:
            await client.agents.list(limit=1)
        finally:
            await client.close()

    async def diagnose(self) -> list[tuple[bool, str]]:
        from letta_mcp.backends.rest.doctor import diagnose

        return await diagnose(self.settings, self.url)

    async def read_json(self, request: RequestState, path: str, params: dict[str, Any]) -> Any:
        """GET `path` as this caller, and Letta's JSON as it is (see `client.Reader`)."""
        if not self._owned and self._client is not None:  # a client of the caller's own (tests inject faults)
            return await self._client.get(path, cast_to=object, options={"params": params})
        return await self.reader.get(path, params, request.caller.letta_api_key)

    async def aclose(self) -> None:
        """Close every client; the backend makes new ones if it is used again (a server can start twice)."""
        await self.pool.aclose()
        await self.reader.aclose()
        if self._owned and self._client is not None:
            await self._client.close()
            self._client = None


__all__ = ["AsyncLetta", "RestBackend", "make_letta"]
