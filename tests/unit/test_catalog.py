"""The tool catalog is pinned: a change to any name, schema or annotation shows up in review, and the
prebuilt catalog a process lists from is what building the tools gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import Tool as MCPTool

from letta_mcp.cli.generate import generate, readme_table, settings_table
from letta_mcp.core.config import DEFAULT_TOOLSETS, TOOLSETS, Settings
from letta_mcp.server import create_server, tasks
from letta_mcp.server.catalog import CATALOG_FILE, snapshot

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
CATALOG = {
    "agents": ["list_agents", "get_agent", "create_agent", "update_agent", "delete_agent", "list_models"],
    "messages": ["send_message", "get_run", "cancel_run", "respond_to_approval", "list_messages", "search_messages"],
    "memory": [
        "list_blocks",
        "get_block",
        "update_block",
        "edit_block",
        "create_block",
        "attach_block",
        "detach_block",
        "memory_history",
        "restore_block",
        "delete_block",
    ],
    "archival": ["insert_archival", "search_archival", "delete_archival"],
    "tools": ["list_tools", "create_tool", "attach_tool", "detach_tool"],
    "ask": [],
    "conversations": [
        "list_conversations",
        "create_conversation",
        "fork_conversation",
        "update_conversation",
        "compact_conversation",
    ],
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
    "schedules": ["schedule_message", "list_schedules", "delete_schedule"],
    "reflection": ["get_reflection", "set_reflection", "reflect_now"],
}


APP_ONLY = {
    "memory_history",
    "restore_block",
    "delete_block",
    "schedule_message",
    "list_schedules",
    "delete_schedule",
    "get_reflection",
    "set_reflection",
    "reflect_now",
}
"""Tools only the App Server backend serves (these tests run the REST one)."""


def test_the_shipped_catalog_is_current() -> None:
    """catalog.json is what tools/list answers with: it must be what the contract says today."""
    assert generate() == json.loads(CATALOG_FILE.read_text()), (
        "letta_mcp/catalog.json is stale: run `python -m letta_mcp.cli.generate`, review the diff, commit"
    )


SETTINGS_MATRIX = {
    "default": Settings(),
    "all": Settings(toolsets="all"),
    "all, read-only": Settings(toolsets="all", read_only=True),
    "without tools (gated arguments dropped)": Settings(toolsets="agents,memory,messages"),
    "all over http": Settings(toolsets="all", transport="http"),
    "App Server, all": Settings(toolsets="all", base_url="ws://127.0.0.1:9"),
}


@pytest.mark.parametrize("settings", SETTINGS_MATRIX.values(), ids=SETTINGS_MATRIX.keys())
async def test_listing_from_the_catalog_is_what_building_the_tools_gives(settings: Settings) -> None:
    server = create_server(settings)
    listed = [t.model_dump(by_alias=True, exclude_none=True) for t in await server.list_tools()]
    assert not server.tools._tools, "listing builds nothing"
    built = [
        tasks.marked(
            MCPTool(
                name=t.name,
                title=t.title,
                description=t.description,
                input_schema=t.parameters,
                output_schema=t.output_schema,
                annotations=t.annotations,
                _meta=t.meta,
            )
        ).model_dump(by_alias=True, exclude_none=True)
        for t in server.tools.list_tools()
    ]
    assert listed == built
    assert listed
    marked = {t["name"] for t in listed if t.get("execution") == {"taskSupport": "optional"}}
    assert marked == ({"send_message"} & {t["name"] for t in listed}), "only turns of an agent run as tasks"


def test_every_tool_has_a_search_hint() -> None:
    for name, tool in snapshot().items():
        hint = tool["meta"]["anthropic/searchHint"]
        assert 10 <= len(hint) <= 80, f"{name}: {hint!r}"
        assert hint.startswith("letta "), f"{name}: {hint!r}"
    remembering = {n for n, t in snapshot().items() if "remember" in t["meta"]["anthropic/searchHint"].split()}
    assert remembering == {"insert_archival", "update_block", "edit_block"}


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
    assert readme_table() in readme, "README's tool table is stale: run `python -m letta_mcp.cli.generate`"
    assert settings_table() in readme, "README's settings table is stale: run `python -m letta_mcp.cli.generate`"


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


DEFINITIONS_BUDGET = 10_500
"""Bytes of tool definitions (name, description, input schema, compact JSON) for the default toolsets: 10,000
for the 21 tools of #17, and room for respond_to_approval (a person's answer to a waiting tool call)."""


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
