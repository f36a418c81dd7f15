"""Who is calling: the caller's identity, credentials and limits, whatever the transport.

A `Caller` is what every tool sees of the request's origin: the local user (stdio), or a caller that
HTTP authentication (`auth`) identified and attached to the request. `caller_of` reads it back;
`ClientPool` keeps one backend client per credential, so one caller's key never serves another's request.
"""

from __future__ import annotations

import hashlib
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from letta_mcp.core.config import Settings

CALLER_KEY = "letta_mcp_caller"
"""Where HTTP authentication puts the `Caller` in the ASGI scope's state."""


@dataclass(frozen=True)
class Caller:
    """One caller's view of Letta: its name (for logs), credentials and limits."""

    name: str
    letta_api_key: str | None = None
    """None: the server's own LETTA_API_KEY."""
    toolsets: tuple[str, ...] | None = None
    """None: every toolset the server serves; else only these (and only those the server serves)."""
    read_only: bool | None = None
    agent_tag: str | None = None
    """When set, the caller sees and touches only agents carrying this tag."""
    other_scopes: frozenset[str] = frozenset()
    """The scope tags of the other configured tokens: an agent carrying one is not this caller's, and this
    caller may not put one on an agent (see `scope.foreign`)."""
    pooled: bool = True
    """False: Letta could not be asked whether it takes this caller's key (`keycheck`), so its client serves
    the request and is closed, never kept for others."""

    def __repr__(self) -> str:
        return f"Caller({self.name!r}, scope={self.agent_tag!r})"

    @property
    def pool_key(self) -> str:
        return hashlib.sha256((self.letta_api_key or "").encode()).hexdigest()

    @property
    def cache_key(self) -> str:
        """What per-caller caches are keyed by: the credential and the scope."""
        return f"{self.pool_key[:16]}:{self.agent_tag or ''}"


LOCAL = Caller("local")
"""The user of a stdio server, or of an HTTP server without authentication (loopback only)."""


class NoCaller(RuntimeError):
    """Authentication is on but the request carries no caller: refused, never served as LOCAL."""


def caller_of(request_context: Any, settings: Settings) -> Caller:
    """The caller of a request: attached by HTTP authentication, or the local user.

    With authentication on, a request that reaches a tool without a caller fails closed.
    """
    request = getattr(request_context, "request", None)
    state = getattr(request, "scope", {}).get("state", {}) if request is not None else {}
    caller = state.get(CALLER_KEY) if isinstance(state, dict) else None
    if isinstance(caller, Caller):
        return caller
    if settings.auth == "oauth" and request is not None:
        from mcp.server.auth.middleware.auth_context import get_access_token

        found = getattr(get_access_token(), "caller", None)
        if isinstance(found, Caller):
            return found
    if settings.auth != "none" and settings.transport == "http":
        raise NoCaller("no authenticated caller on this request")
    return LOCAL


C = TypeVar("C")


@dataclass(eq=False)
class _Entry(Generic[C]):
    client: C
    used: float
    users: int = 0
    """Requests (and their background work) holding the client: it is closed only when none is left."""
    retired: bool = False


class ClientPool(Generic[C]):
    """One client per credential, at most `size`, dropped after `idle_seconds` unused.

    A client is leased to whatever asked for it (`get`'s holder: the request) until that holder is gone, so
    dropping a client from the pool never closes it under a request still using it: it is closed once its
    last holder lets go. Clients are closed at the next `close_evicted` (the backend runs it in the
    background whenever `has_evicted`), and all of them at `aclose`.
    """

    def __init__(
        self,
        factory: Callable[[str | None], C],
        close: Callable[[C], Awaitable[None]],
        size: int = 32,
        idle_seconds: float = 600,
    ) -> None:
        self._factory = factory
        self._close = close
        self._size = size
        self._idle = idle_seconds
        self._clients: OrderedDict[str, _Entry[C]] = OrderedDict()
        self._closing: list[C] = []

    def get(self, caller: Caller, holder: object) -> C:
        """The caller's client, leased to `holder` for as long as `holder` lives."""
        now = time.monotonic()
        key = caller.pool_key
        if caller.pooled:
            entry = self._clients.pop(key, None) or _Entry(self._factory(caller.letta_api_key), now)
            entry.used = now
            self._clients[key] = entry
        else:
            entry = _Entry(self._factory(caller.letta_api_key), now, retired=True)
        entry.users += 1
        weakref.finalize(holder, self._release, entry)
        for stale_key, stale in list(self._clients.items()):
            if (len(self._clients) > self._size or now - stale.used > self._idle) and stale_key != key:
                del self._clients[stale_key]
                self._retire(stale)
        return entry.client

    def _retire(self, entry: _Entry[C]) -> None:
        entry.retired = True
        if entry.users == 0:
            self._closing.append(entry.client)

    def _release(self, entry: _Entry[C]) -> None:
        entry.users -= 1
        if entry.retired and entry.users == 0:
            self._closing.append(entry.client)

    def has_evicted(self) -> bool:
        return bool(self._closing)

    def __len__(self) -> int:
        return len(self._clients)

    async def close_evicted(self) -> None:
        closing, self._closing = self._closing, []
        for client in closing:
            await self._close(client)

    async def aclose(self) -> None:
        await self.close_evicted()
        for entry in self._clients.values():
            await self._close(entry.client)
        self._clients.clear()


__all__ = ["CALLER_KEY", "LOCAL", "Caller", "ClientPool", "NoCaller", "caller_of"]
