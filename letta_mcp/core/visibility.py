"""The one rule for whether a caller sees, and may call, a tool.

A tool is visible when its toolset is served (the server's ``LETTA_MCP_TOOLSETS``, narrowed by the
caller's token), when it changes nothing or writes are allowed (``--read-only`` and read-only tokens
drop every write; ``LETTA_MCP_READ_ONLY_ASK`` keeps the ask_ tools), and when the backend serves it. A
caller scoped to agents gets the Letta-wide toolsets only by name.
The registry applies it once with the server's own view (what is registered at all), and every
listing and call applies it again with the request's caller.
"""

from __future__ import annotations

from typing import Protocol

from letta_mcp.core.callers import Caller
from letta_mcp.core.config import Settings
from letta_mcp.core.contract import ToolSpec
from letta_mcp.core.scope import LETTA_WIDE
from letta_mcp.toolsets import BY_NAME, TOOLS_BY_NAME


class Serves(Protocol):
    def serves(self, tool: str) -> bool: ...


def toolsets_of(settings: Settings, caller: Caller) -> tuple[str, ...]:
    """The server's toolsets, narrowed by the caller's token when it names some. A caller scoped to agents
    gets the Letta-wide toolsets (`scope.LETTA_WIDE`) only when its token names them: what they change is
    every scope's."""
    own = caller.toolsets
    served = settings.toolsets if own is None else tuple(t for t in settings.toolsets if t in own)
    if caller.agent_tag is None:
        return served
    return tuple(t for t in served if t not in LETTA_WIDE or (own is not None and t in own))


def read_only(settings: Settings, caller: Caller) -> bool:
    return settings.read_only or bool(caller.read_only)


def visible(spec: ToolSpec, settings: Settings, caller: Caller, backend: Serves) -> bool:
    if spec.toolset not in toolsets_of(settings, caller):
        return False
    kept = BY_NAME[spec.toolset].writes_under
    writes_allowed = not read_only(settings, caller) or (kept is not None and bool(getattr(settings, kept)))
    if not (spec.read_only or writes_allowed):
        return False
    return backend.serves(spec.name)


def allowed(name: str, settings: Settings, caller: Caller, backend: Serves) -> bool:
    """Whether the caller may call fixed tool `name`. Every way to reach a tool's effect asks this: tools/call,
    tasks/* (get_run, cancel_run), resources (get_agent, get_block), subscriptions and completions."""
    spec = TOOLS_BY_NAME.get(name)
    return spec is not None and visible(spec, settings, caller, backend)


__all__ = ["allowed", "read_only", "toolsets_of", "visible"]
