"""The few places letta-mcp reaches into the `mcp` SDK's insides, each because no public API does it yet.

Everything else uses the SDK's public surface (`MCPServer(extensions=..., middleware=...)`,
`Server.add_request_handler`, `ListenHandler`). `tests/unit/test_sdk.py` fails loudly when an SDK
upgrade moves any of these, instead of letting the server misbehave quietly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp.server.lowlevel.server import NotificationOptions, Server
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import ToolManager
from mcp.server.models import InitializationOptions
from mcp.server.subscriptions import SubscriptionBus


def lowlevel(server: MCPServer[Any]) -> Server[Any]:
    """The low-level server under `server`: where protocol handlers are added and stdio is run on our own
    loop. MCPServer keeps it private and has no accessor."""
    low: Server[Any] = server._lowlevel_server
    return low


def bus(server: MCPServer[Any]) -> SubscriptionBus:
    """The bus `ctx.notify_*` publishes on: a push from the backend (outside any request) must publish there
    too, and a `Context` made outside a tools/call needs it. MCPServer keeps it private."""
    found: SubscriptionBus = server._subscriptions
    return found


def use_tool_manager(server: MCPServer[Any], tools: ToolManager) -> None:
    """Serve `tools` (built on first use) in place of MCPServer's eager ToolManager: building every tool's
    schema at start-up would cost a cold start what the prebuilt catalog saves. MCPServer(tools=...) only
    takes tools already built."""
    server._tool_manager = tools


def adjust_initialization(
    server: MCPServer[Any], notifications: NotificationOptions, adjust: Callable[[InitializationOptions], None]
) -> None:
    """What `initialize` (the handshake era) advertises: `notifications` unless a transport says otherwise,
    then `adjust`ed. The SDK advertises listChanged there only when the transport passes options (stdio and
    HTTP pass none), and has no hook for a capability of our own (2025-11-25 tasks); so the low-level
    server's method is wrapped."""
    low = lowlevel(server)
    base = low.create_initialization_options

    def made(
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        options = base(notification_options or notifications, experimental_capabilities, extensions)
        adjust(options)
        return options

    low.create_initialization_options = made  # type: ignore[method-assign]


def connection_of(session: Any) -> Any:
    """The client's connection behind a request's session. The SDK makes a new `ServerSession` per request;
    what lives as long as the client is the `Connection` it wraps (not public on the session), which also
    has the connection-scoped channel that notifications outside a request must use."""
    return getattr(session, "_connection", session)


__all__ = ["adjust_initialization", "bus", "connection_of", "lowlevel", "use_tool_manager"]
