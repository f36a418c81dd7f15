"""Every toolset, in catalog order: the one list the settings, the registry, the snapshot and the README use.

Each module holds one toolset's contract (`contract.toolset` record named TOOLSET); backends implement
them under `letta_mcp.backends`.
"""

from __future__ import annotations

from typing import Any

from letta_mcp.core.contract import Toolset, ToolSpec
from letta_mcp.toolsets import (
    agent_files,
    agents,
    archival,
    archives,
    ask,
    conversations,
    files,
    mcp_servers,
    memory,
    messages,
    reflection,
    schedules,
    tools,
)

TOOLSETS: tuple[Toolset, ...] = (
    agents.TOOLSET,
    messages.TOOLSET,
    memory.TOOLSET,
    archival.TOOLSET,
    tools.TOOLSET,
    ask.TOOLSET,
    conversations.TOOLSET,
    files.TOOLSET,
    agent_files.TOOLSET,
    mcp_servers.TOOLSET,
    archives.TOOLSET,
    schedules.TOOLSET,
    reflection.TOOLSET,
)
"""Every toolset, in catalog order."""

NAMES: tuple[str, ...] = tuple(t.name for t in TOOLSETS)
DEFAULT: tuple[str, ...] = tuple(t.name for t in TOOLSETS if t.default)
BY_NAME: dict[str, Toolset] = {t.name: t for t in TOOLSETS}
TOOLS: tuple[ToolSpec, ...] = tuple(spec for t in TOOLSETS for spec in t.tools)
"""Every fixed tool of every toolset, in catalog order (the ask tools are made at run time)."""
TOOLS_BY_NAME: dict[str, ToolSpec] = {spec.name: spec for spec in TOOLS}
TOOLSET_OF: dict[type[Any], str] = {t.contract: t.name for t in TOOLSETS if t.contract is not None} | {ask.Ask: "ask"}
"""Which toolset a contract class is (the ask toolset's tools are made at run time: its backends implement
`ask.Ask`, which finds the exposed agents). A backend is asked for a toolset by its contract class."""

__all__ = ["BY_NAME", "DEFAULT", "NAMES", "TOOLS", "TOOLSETS", "TOOLSET_OF", "TOOLS_BY_NAME"]
