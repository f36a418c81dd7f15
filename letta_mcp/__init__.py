"""letta-mcp: an MCP server that gives coding assistants Letta's stateful agents as tools and memory.

The public surface: `Settings` (configuration), `create_server` (the MCP server) and `__version__`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from letta_mcp._version import __version__

if TYPE_CHECKING:
    from letta_mcp.core.config import Settings
    from letta_mcp.server import create_server

__all__ = ["Settings", "__version__", "create_server"]


def __getattr__(name: str) -> Any:
    # Lazy, so `letta-mcp --help` and the CLI's start-up do not import the whole server.
    if name == "Settings":
        from letta_mcp.core.config import Settings

        return Settings
    if name == "create_server":
        from letta_mcp.server import create_server

        return create_server
    raise AttributeError(name)
