"""The tool catalog as data: every tool as a client lists it, prebuilt into ``letta_mcp/catalog.json``.

A process answers tools/list from that file instead of building every tool at start-up (pydantic
makes an arguments model and two JSON schemas per tool: most of what a cold start would add to a
bare `mcp` server). A tool is built from its contract when it is first called (`registry.LazyTools`).
The file is generated from the contract by ``python -m letta_mcp.cli.generate``; a unit test fails while
it is stale.

Each entry also carries the `_meta` Claude Code reads: a search hint on every tool, and on the
ask_<agent> tools ``anthropic/alwaysLoad`` so that an exposed agent is never hidden behind its tool search.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from functools import cache
from pathlib import Path
from typing import Any

from mcp.types import Tool as MCPTool

CATALOG_FILE = Path(__file__).parents[1] / "catalog.json"
SEARCH_HINT = "anthropic/searchHint"
ALWAYS_LOAD = "anthropic/alwaysLoad"


@cache
def load() -> dict[str, Any]:
    """The prebuilt catalog (read once per process)."""
    data: dict[str, Any] = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    return data


def snapshot() -> dict[str, Any]:
    """Every fixed tool, by name, as the shipped catalog holds it."""
    tools: dict[str, Any] = load()["tools"]
    return tools


def listed(name: str, toolsets: Collection[str]) -> MCPTool:
    """Fixed tool `name` as tools/list shows it where `toolsets` are served."""
    e = load()["tools"][name]
    schema = e["input_schema"]
    dropped = {arg for arg, owner in e["gates"].items() if owner not in toolsets}
    if dropped:
        schema = {**schema, "properties": {k: v for k, v in schema["properties"].items() if k not in dropped}}
    return MCPTool(
        name=name,
        title=e["title"],
        description=e["description"],
        input_schema=schema,
        output_schema=e["output_schema"],
        annotations=e["annotations"],
        _meta=e["meta"],
    )


def ask_tool(name: str, title: str, description: str, agent_name: str) -> MCPTool:
    """An ask_<agent> tool as tools/list shows it: always in view, found by its agent's name."""
    e = load()["ask"]
    meta = {ALWAYS_LOAD: True, SEARCH_HINT: f"ask agent {agent_name} letta"}
    return MCPTool(
        name=name,
        title=title,
        description=description,
        input_schema=e["input_schema"],
        output_schema=e["output_schema"],
        annotations=e["annotations"],
        _meta=meta,
    )


__all__ = ["ALWAYS_LOAD", "CATALOG_FILE", "SEARCH_HINT", "ask_tool", "listed", "load", "snapshot"]
