"""The typed `Context` this server's tools and resources get (the SDK injects it by this annotation)."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context

from letta_mcp.core.state import AppContext

Ctx = Context[AppContext, Any]

__all__ = ["Ctx"]
