"""Which handshake-era clients subscribed to which resources, and which log level each asked for.

2026-07-28 clients listen on `subscriptions/listen`, which the SDK serves itself. Earlier clients use
`resources/subscribe` and `logging/setLevel`, which the high-level server does not handle: these
handlers record them per connection (weakly held: a gone client drops out) for `notify` to use.
"""

from __future__ import annotations

import weakref
from typing import Any

from mcp.types import EmptyResult, SetLevelRequestParams, SubscribeRequestParams, UnsubscribeRequestParams

from letta_mcp.server.sdk import connection_of

LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")


class Subscriptions:
    """Per connection: the resource URIs it subscribed to, and the least severe log level it wants."""

    def __init__(self) -> None:
        self._by_session: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
        self.log_levels: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()

    def add(self, session: Any, uri: str) -> None:
        self._by_session.setdefault(session, set()).add(uri)

    def remove(self, session: Any, uri: str) -> None:
        self._by_session.get(session, set()).discard(uri)

    def sessions_for(self, uri: str) -> list[Any]:
        return [session for session, uris in list(self._by_session.items()) if uri in uris]

    def sessions(self) -> list[Any]:
        return list(self._by_session.keys())

    def wants_log(self, session: Any, level: str) -> bool:
        """Whether this client asked for log messages of `level` (default: all, as the spec allows)."""
        chosen = self.log_levels.get(connection_of(session), "debug")
        return LEVELS.index(level) >= LEVELS.index(chosen) if chosen in LEVELS else True


def _of(ctx: Any) -> Subscriptions:
    subscriptions: Subscriptions = ctx.lifespan_context.subscriptions
    return subscriptions


async def on_subscribe(ctx: Any, params: SubscribeRequestParams) -> EmptyResult:
    """The `resources/subscribe` handler (handshake era)."""
    _of(ctx).add(connection_of(ctx.session), str(params.uri))
    return EmptyResult()


async def on_unsubscribe(ctx: Any, params: UnsubscribeRequestParams) -> EmptyResult:
    """The `resources/unsubscribe` handler (handshake era)."""
    _of(ctx).remove(connection_of(ctx.session), str(params.uri))
    return EmptyResult()


async def on_set_level(ctx: Any, params: SetLevelRequestParams) -> EmptyResult:
    """The `logging/setLevel` handler (handshake era): the least severe log message this client wants."""
    _of(ctx).log_levels[connection_of(ctx.session)] = str(params.level)
    return EmptyResult()


__all__ = ["LEVELS", "Subscriptions", "on_set_level", "on_subscribe", "on_unsubscribe"]
