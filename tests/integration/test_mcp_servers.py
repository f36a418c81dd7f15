"""Letta-side MCP servers against the real Letta server: register one the tests own, give an agent its
tools, and see the agent call one through it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import call, call_error

pytestmark = pytest.mark.anyio

FAKE_MCP = Path(__file__).resolve().parents[1] / "stack" / "fake_mcp.py"


async def test_register_attach_and_the_agent_calls_a_tool(client: Any, letta: Any, uid: str, tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    added = await call(
        client,
        "add_mcp_server",
        name=f"{uid}-fake",
        transport="stdio",
        command=sys.executable,
        args=[str(FAKE_MCP), "--stdio", "--log", str(log)],
    )
    assert added["type"] == "stdio"
    listed = await call(client, "list_mcp_servers")
    assert added["id"] in [s["id"] for s in listed["servers"]]
    tools = await call(client, "list_mcp_server_tools", server=f"{uid}-fake")
    assert sorted(t["name"] for t in tools["tools"]) == ["add", "shout"]
    agent = await call(client, "create_agent", name=f"{uid}-mcp-user")
    only_add = await call(client, "attach_mcp_tools", agent=agent["id"], server=added["id"], tools=["add"])
    assert "add" in only_add["attached"]
    assert "shout" not in only_add["attached"]
    everything = await call(client, "attach_mcp_tools", agent=agent["id"], server=added["id"])
    assert {"add", "shout"} <= set(everything["attached"])
    wrong = await call_error(client, "attach_mcp_tools", agent=agent["id"], server=added["id"], tools=["nope"])
    assert "add, shout" in wrong
    reply = await call(client, "send_message", agent=agent["id"], message='[[tool:add {"a": 2, "b": 40}]]')
    assert "42" in reply["reply"]
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls == [{"t": calls[0]["t"], "tool": "add", "arguments": {"a": 2, "b": 40}}]
    remaining = await call(client, "remove_mcp_server", server=f"{uid}-fake")
    assert added["id"] not in [s["id"] for s in remaining["servers"]]
    assert added["id"] not in [s.id for s in await letta.mcp_servers.list()]


async def test_http_servers_carry_headers_that_never_come_back(client: Any, uid: str) -> None:
    # Letta itself refuses MCP servers on private addresses: its reason comes through, and the secret does not.
    message = await call_error(
        client,
        "add_mcp_server",
        name=f"{uid}-private",
        url="http://127.0.0.1:9/mcp",
        headers={"Authorization": "Bearer very-secret-header"},
    )
    assert "Non-public IP" in message
    assert "very-secret-header" not in message
    both = await call_error(client, "add_mcp_server", name=f"{uid}-x", url="http://example.com/mcp", command="x")
    assert "needs url" in both
