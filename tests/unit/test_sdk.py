"""What `letta_mcp.server.sdk` relies on inside the `mcp` SDK: an upgrade that moves any of it fails here, by
name, instead of leaving a server that quietly lists no tools or sends no notification."""

from __future__ import annotations

import inspect

from mcp.server.lowlevel.server import Server
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import ToolManager
from mcp.server.session import ServerSession

from letta_mcp.core.config import Settings
from letta_mcp.server import create_server, sdk
from letta_mcp.server.registry import LazyTools


def test_the_private_attributes_letta_mcp_uses_are_where_it_expects() -> None:
    bare = MCPServer("probe")
    assert isinstance(bare._lowlevel_server, Server), "MCPServer._lowlevel_server"
    assert callable(getattr(bare._subscriptions, "publish", None)), "MCPServer._subscriptions is the event bus"
    assert isinstance(bare._tool_manager, ToolManager), "MCPServer._tool_manager"
    source = inspect.getsource(MCPServer)
    assert "self._tool_manager.call_tool" in source or "self._tool_manager.get_tool" in source, (
        "MCPServer no longer calls tools through _tool_manager: LazyTools would be bypassed"
    )
    assert "self._connection = connection" in inspect.getsource(ServerSession.__init__), "ServerSession._connection"
    parameters = list(inspect.signature(Server.create_initialization_options).parameters)
    assert parameters == ["self", "notification_options", "experimental_capabilities", "extensions"]


def test_our_server_goes_through_them() -> None:
    server = create_server(Settings(base_url="http://127.0.0.1:9"))
    assert isinstance(server._tool_manager, LazyTools), "the lazily built tools serve tools/call"
    assert sdk.bus(server) is server._subscriptions
    made = sdk.lowlevel(server).create_initialization_options()
    assert made.capabilities.tools is not None
    assert made.capabilities.tools.list_changed is True
    assert made.capabilities.tasks is not None, "the 2025-11-25 tasks capability at initialize"
    assert "io.modelcontextprotocol/tasks" not in (made.capabilities.extensions or {}), "the extension is later"
    assert "io.modelcontextprotocol/tasks" in sdk.lowlevel(server).extensions, "server/discover advertises it"
