"""Change notifications: resource updates and list changes, in both protocol eras.

2026-07-28 clients listen on `subscriptions/listen`; the SDK's bus delivers what `ctx.notify_*`
publishes. Earlier clients subscribe with `resources/subscribe`, which the high-level server does not
handle: `Subscriptions` records those per session, and the notify functions send to them directly.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mcp.types import EmptyResult, SetLevelRequestParams, SubscribeRequestParams, UnsubscribeRequestParams

if TYPE_CHECKING:
    from letta_mcp.state import Ctx

logger = logging.getLogger(__name__)


def connection_of(session: Any) -> Any:
    """The client's connection behind a request's session.

    The SDK makes a new `ServerSession` per request; what lives as long as the client is the
    `Connection` it wraps (not public on the session), which also has the connection-scoped channel
    that notifications outside a request must use.
    """
    return getattr(session, "_connection", session)


class Subscriptions:
    """Which handshake-era connections subscribed to which resource URIs (weakly held: a gone client drops out)."""

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


async def on_subscribe(ctx: Any, params: SubscribeRequestParams) -> EmptyResult:
    """The `resources/subscribe` handler (handshake era)."""
    ctx.lifespan_context.subscriptions.add(connection_of(ctx.session), str(params.uri))
    return EmptyResult()


async def on_unsubscribe(ctx: Any, params: UnsubscribeRequestParams) -> EmptyResult:
    """The `resources/unsubscribe` handler (handshake era)."""
    ctx.lifespan_context.subscriptions.remove(connection_of(ctx.session), str(params.uri))
    return EmptyResult()


_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")


async def on_set_level(ctx: Any, params: SetLevelRequestParams) -> EmptyResult:
    """The `logging/setLevel` handler (handshake era): the least severe log message this client wants."""
    ctx.lifespan_context.subscriptions.log_levels[connection_of(ctx.session)] = str(params.level)
    return EmptyResult()


def wants_log(ctx: Ctx, level: str) -> bool:
    """Whether this request's client asked for log messages of `level` (default: all, as the spec allows)."""
    subscriptions: Subscriptions = ctx.request_context.lifespan_context.subscriptions
    chosen = subscriptions.log_levels.get(connection_of(ctx.request_context.session), "debug")
    return _LEVELS.index(level) >= _LEVELS.index(chosen) if chosen in _LEVELS else True


async def _send(session: Any, method: str, *args: Any) -> None:
    try:
        await getattr(session, method)(*args)
    except Exception:
        logger.debug("could not deliver %s", method, exc_info=True)


def _legacy(ctx: Ctx) -> bool:
    from mcp_types.version import MODERN_PROTOCOL_VERSIONS

    return ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS


async def resources_updated(ctx: Ctx, uris: Iterable[str]) -> None:
    """Tell subscribers that these resources changed."""
    subscriptions: Subscriptions = ctx.request_context.lifespan_context.subscriptions
    for uri in uris:
        await ctx.notify_resource_updated(uri)
        for session in subscriptions.sessions_for(uri):
            await _send(session, "send_resource_updated", uri)


async def resource_list_changed(ctx: Ctx) -> None:
    """Tell clients that the set of resources changed (an agent was created, renamed or deleted)."""
    await _list_changed(ctx, "notify_resources_changed", "send_resource_list_changed")


async def tool_list_changed(ctx: Ctx) -> None:
    """Tell clients that the set of tools changed (an exposed agent came or went)."""
    await _list_changed(ctx, "notify_tools_changed", "send_tool_list_changed")


async def _list_changed(ctx: Ctx, bus_method: str, session_method: str) -> None:
    await getattr(ctx, bus_method)()
    subscriptions: Subscriptions = ctx.request_context.lifespan_context.subscriptions
    sessions = subscriptions.sessions()
    current = connection_of(ctx.request_context.session)
    if _legacy(ctx) and current not in sessions:
        sessions.append(current)
    for session in sessions:
        await _send(session, session_method)
