"""The memory view: an MCP App (`io.modelcontextprotocol/ui`) that shows an agent's memory blocks and edits them.

It is bound to `list_blocks` only for clients that negotiated the extension (`client_supports_apps`): for
them tools/list carries `_meta.ui.resourceUri`, resources/list names the view, and a list_blocks result
says which of the view's tools this caller may call (so a read-only token's view offers no Save). Every
other client gets tools/list, resources/list and results byte for byte as before. The view itself is one
HTML document (`memory_view.html`) with its script and style inline, a CSP that forbids any network
access, and no secret: it reads and writes only through the host's bridge, with the ordinary tools, so
scope, read-only and concurrent-edit rules apply unchanged.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID, client_supports_apps
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.resources import TextResource
from mcp.types import CallToolResult
from mcp.types import Resource as MCPResource
from mcp.types import Tool as MCPTool

VIEW_URI = "ui://letta/memory.html"
BOUND_TOOL = "list_blocks"
VIEW_TOOLS = (
    "get_agent",
    "list_blocks",
    "get_block",
    "edit_block",
    "search_archival",
    "memory_history",
    "restore_block",
)
"""The tools the view may call, when this caller can; a list_blocks result names those it can."""
RESULT_META = "letta-mcp/view"
"""The `_meta` key of a list_blocks result (to an Apps client) that says what the view may do."""


@cache
def view_html() -> str:
    return (Path(__file__).parent / "memory_view.html").read_text(encoding="utf-8")


def negotiated(ctx: Any) -> bool:
    """Whether this request's client negotiated MCP Apps (with the mcp-app MIME type)."""
    try:
        return client_supports_apps(ctx)
    except (AttributeError, ValueError):  # a context outside a request, or without a session
        return False


def bound(tool: MCPTool) -> MCPTool:
    """`tool` as an Apps client sees it in tools/list: list_blocks names the view."""
    if tool.name != BOUND_TOOL:
        return tool
    meta = {**(tool.meta or {}), "ui": {"resourceUri": VIEW_URI}}
    return tool.model_copy(update={"meta": meta})


def with_view_tools(result: CallToolResult, tools: list[str]) -> CallToolResult:
    """A list_blocks result as an Apps client gets it: what the view may call (structured content unchanged)."""
    meta = {**(result.meta or {}), RESULT_META: {"tools": tools}}
    return result.model_copy(update={"meta": meta})


def listed_resources(resources: list[MCPResource], apps: bool) -> list[MCPResource]:
    """resources/list: the view is listed to Apps clients only."""
    return resources if apps else [r for r in resources if not str(r.uri).startswith("ui://")]


def register_view(server: MCPServer[Any]) -> None:
    """Serve the view at `VIEW_URI` (readable by anyone; listed to Apps clients only)."""
    server.add_resource(
        TextResource(
            uri=VIEW_URI,
            name="memory-view",
            title="Letta memory",
            description="An agent's memory blocks: read, edit and save them (an MCP App for list_blocks).",
            mime_type=APP_MIME_TYPE,
            meta={"ui": {"csp": {}, "prefersBorder": True}},
            text=view_html(),
        )
    )


__all__ = [
    "BOUND_TOOL",
    "EXTENSION_ID",
    "RESULT_META",
    "VIEW_TOOLS",
    "VIEW_URI",
    "bound",
    "listed_resources",
    "negotiated",
    "register_view",
    "view_html",
]
