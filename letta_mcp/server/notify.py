"""Change notifications: resource updates and list changes, in both protocol eras.

2026-07-28 clients listen on `subscriptions/listen`; the SDK's bus delivers what `ctx.notify_*`
publishes. Earlier clients subscribe with `resources/subscribe` (see `subscriptions`), and these
functions send to them directly.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from mcp.server.mcpserver import Context

from letta_mcp.core.approvals import Answer, Resumed
from letta_mcp.core.models import Approval
from letta_mcp.server.sdk import connection_of
from letta_mcp.server.subscriptions import Subscriptions

logger = logging.getLogger(__name__)

AnyCtx = Context[Any, Any]


def _subscriptions(ctx: AnyCtx) -> Subscriptions:
    subscriptions: Subscriptions = ctx.request_context.lifespan_context.subscriptions
    return subscriptions


async def _send(session: Any, method: str, *args: Any) -> None:
    try:
        await getattr(session, method)(*args)
    except Exception:
        logger.debug("could not deliver %s", method, exc_info=True)


def _legacy(ctx: AnyCtx) -> bool:
    from mcp_types.version import MODERN_PROTOCOL_VERSIONS

    return ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS


async def resources_updated(ctx: AnyCtx, uris: Iterable[str]) -> None:
    """Tell subscribers that these resources changed."""
    subscriptions = _subscriptions(ctx)
    for uri in uris:
        await ctx.notify_resource_updated(uri)
        for session in subscriptions.sessions_for(uri):
            await _send(session, "send_resource_updated", uri)


async def resources_changed_elsewhere(bus: Any, subscriptions: Subscriptions, uris: Iterable[str]) -> None:
    """Tell subscribers that resources changed outside any request (the backend pushed the change)."""
    from mcp.shared.subscriptions import ResourceUpdated

    for uri in uris:
        await bus.publish(ResourceUpdated(uri=uri))
        for session in subscriptions.sessions_for(uri):
            await _send(session, "send_resource_updated", uri)


async def resource_list_changed(ctx: AnyCtx) -> None:
    """Tell clients that the set of resources changed (an agent was created, renamed or deleted)."""
    await _list_changed(ctx, "notify_resources_changed", "send_resource_list_changed")


async def tool_list_changed(ctx: AnyCtx) -> None:
    """Tell clients that the set of tools changed (an exposed agent came or went)."""
    await _list_changed(ctx, "notify_tools_changed", "send_tool_list_changed")


async def _list_changed(ctx: AnyCtx, bus_method: str, session_method: str) -> None:
    await getattr(ctx, bus_method)()
    sessions = _subscriptions(ctx).sessions()
    current = connection_of(ctx.request_context.session)
    if _legacy(ctx) and current not in sessions:
        sessions.append(current)
    for session in sessions:
        await _send(session, session_method)


class ServerSurface:
    """What a request of this server tells clients (`state.Surface`): the backends know no SDK."""

    async def resources_updated(self, ctx: Any, uris: Iterable[str]) -> None:
        await resources_updated(ctx, uris)

    async def resource_list_changed(self, ctx: Any) -> None:
        await resource_list_changed(ctx)

    async def client_root(self, ctx: Any) -> str | None:
        from letta_mcp.server.roots import client_root

        return await client_root(ctx)

    async def ask_approval(self, ctx: Any, agent: str, approval: Approval, run_id: str) -> Answer | None:
        from letta_mcp.server.approvals import ask_approval

        return await ask_approval(ctx, agent, approval, run_id)

    def resumed_approval(self, ctx: Any) -> Resumed | None:
        from letta_mcp.server.approvals import resumed_approval

        return resumed_approval(ctx)


__all__ = [
    "ServerSurface",
    "resource_list_changed",
    "resources_changed_elsewhere",
    "resources_updated",
    "tool_list_changed",
]
