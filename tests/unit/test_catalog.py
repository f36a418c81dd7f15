"""The tool catalog is pinned: a change to any name, schema or annotation shows up in review."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from letta_mcp.catalog import readme_table, settings_table, snapshot
from letta_mcp.config import DEFAULT_TOOLSETS, TOOLSETS, Settings
from letta_mcp.server import create_server
from tests.conftest import IN_CI

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "tests" / "__toolsnaps__" / "catalog.json"
CATALOG = {
    "agents": ["list_agents", "get_agent", "create_agent", "update_agent", "delete_agent", "list_models"],
    "messages": ["send_message", "get_run", "cancel_run", "list_messages", "search_messages"],
    "memory": [
        "list_blocks",
        "get_block",
        "update_block",
        "edit_block",
        "create_block",
        "attach_block",
        "detach_block",
        "memory_history",
    ],
    "archival": ["insert_archival", "search_archival", "delete_archival"],
    "tools": ["list_tools", "create_tool", "attach_tool", "detach_tool"],
    "ask": [],
    "conversations": ["list_conversations", "create_conversation", "fork_conversation"],
    "files": [
        "list_folders",
        "create_folder",
        "upload_file",
        "list_files",
        "attach_folder",
        "detach_folder",
        "open_file",
        "close_file",
    ],
    "agent_files": ["export_agent", "import_agent"],
    "mcp_servers": [
        "list_mcp_servers",
        "add_mcp_server",
        "remove_mcp_server",
        "list_mcp_server_tools",
        "attach_mcp_tools",
    ],
    "archives": ["list_archives", "create_archive", "attach_archive", "detach_archive"],
}


APP_ONLY = {"memory_history"}
"""Tools only the App Server backend serves (these tests run the REST one)."""


def test_catalog_matches_the_snapshot() -> None:
    current = snapshot()
    if not SNAPSHOT.exists() and IN_CI:
        pytest.fail(f"{SNAPSHOT.name} is missing: CI never writes it (run the tests locally, review, commit)")
    if not IN_CI and (os.environ.get("UPDATE_SNAPSHOTS") == "1" or not SNAPSHOT.exists()):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    pinned = json.loads(SNAPSHOT.read_text())
    assert current == pinned, "the tool catalog changed: review it, then run with UPDATE_SNAPSHOTS=1"


def test_catalog_names_follow_the_design() -> None:
    current = snapshot()
    for toolset, names in CATALOG.items():
        assert [n for n, t in current.items() if t["toolset"] == toolset] == names


def test_every_tool_is_complete() -> None:
    for name, tool in snapshot().items():
        annotations = tool["annotations"]
        for hint in ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"):
            assert hint in annotations, f"{name} lacks {hint}"
        assert tool["output_schema"], f"{name} has no output schema"
        assert len(tool["description"]) >= 40, f"{name} needs a description written for the model"
        for arg, schema in tool["input_schema"].get("properties", {}).items():
            assert "description" in schema or "$ref" in schema, f"{name}.{arg} has no description"


def test_readme_tool_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text()
    assert readme_table() in readme, "README's tool table is stale: run `python -m letta_mcp.catalog`"
    assert settings_table() in readme, "README's settings table is stale: run `python -m letta_mcp.catalog`"


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_read_only_lists_no_write_tool(mode: Any) -> None:
    async with Client(create_server(Settings(toolsets="all", read_only=True)), mode=mode) as client:
        tools = (await client.list_tools()).tools
    assert tools
    assert all(t.annotations and t.annotations.read_only_hint for t in tools)
    assert {t.name for t in tools} == {
        "list_agents",
        "get_agent",
        "get_run",
        "list_messages",
        "search_messages",
        "list_blocks",
        "get_block",
        "search_archival",
        "list_tools",
        "list_models",
        "list_conversations",
        "list_folders",
        "list_files",
        "export_agent",
        "list_mcp_servers",
        "list_mcp_server_tools",
        "list_archives",
    }


async def test_toolsets_select_tools() -> None:
    async with Client(create_server(Settings(toolsets="memory,archival"))) as client:
        names = [t.name for t in (await client.list_tools()).tools]
    assert names == [n for n in CATALOG["memory"] + CATALOG["archival"] if n not in APP_ONLY]
    async with Client(create_server(Settings())) as client:
        default = [t.name for t in (await client.list_tools()).tools]
    assert default == [n for ts in DEFAULT_TOOLSETS for n in CATALOG[ts] if n not in APP_ONLY]
    assert set(TOOLSETS) == set(CATALOG)


def test_ci_never_writes_a_missing_snapshot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sys

    here = sys.modules[__name__]
    missing = tmp_path / "catalog.json"
    monkeypatch.setattr(here, "SNAPSHOT", missing)
    monkeypatch.setattr(here, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="missing"):
        test_catalog_matches_the_snapshot()
    assert not missing.exists()


DEFINITIONS_BUDGET = 10_000
"""Bytes of tool definitions (name, description, input schema, compact JSON) for the default toolsets."""


async def test_the_default_tool_definitions_fit_the_budget() -> None:
    import json

    async with Client(create_server(Settings(base_url="http://127.0.0.1:9"))) as client:
        tools = (await client.list_tools()).tools
    size = sum(
        len(
            json.dumps(
                {"name": t.name, "description": t.description, "inputSchema": t.input_schema}, separators=(",", ":")
            )
        )
        for t in tools
    )
    assert size <= DEFINITIONS_BUDGET, f"{size} bytes for {len(tools)} tools"
    for tool in tools:
        for name, schema in tool.input_schema.get("properties", {}).items():
            assert schema.get("description"), f"{tool.name}.{name} is described"
            assert not {"maxLength", "maxItems", "maximum"} & set(schema), "server-only bounds are not advertised"
