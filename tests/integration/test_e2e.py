"""End to end: letta-mcp as a real subprocess, over stdio and over HTTP, in both protocol eras."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from mcp import Client

from tests.stack.letta_stack import Stack
from tests.subprocess_server import http_server, stdio_params

pytestmark = pytest.mark.anyio

MODES = ["legacy", "auto"]


async def _check_against_sdk(client: Client, letta: Any, agent: Any) -> None:
    tools = {t.name for t in (await client.list_tools()).tools}
    assert {"list_agents", "get_agent", "send_message", "get_block"} <= tools
    listed = await client.call_tool("list_agents", {"name": agent.name})
    assert not listed.is_error
    assert listed.structured_content is not None
    assert [a["id"] for a in listed.structured_content["agents"]] == [agent.id]
    got = await client.call_tool("get_agent", {"agent": agent.name})
    assert not got.is_error
    out = got.structured_content
    assert out is not None
    direct = await letta.agents.retrieve(agent.id, include=["agent.blocks", "agent.tools", "agent.tags"])
    assert out["id"] == direct.id
    assert out["model"] == direct.llm_config.handle
    assert sorted(out["tags"]) == sorted(direct.tags)
    assert sorted(out["tools"]) == sorted(t.name for t in direct.tools)
    assert {b["label"]: b["chars"] for b in out["blocks"]} == {b.label: len(b.value) for b in direct.blocks}
    # The text content carries the same JSON, for clients that ignore structured content.
    assert json.loads(got.content[0].text)["id"] == agent.id


async def _agent(letta: Any, stack: Stack, uid: str) -> Any:
    return await letta.agents.create(
        name=f"{uid}-e2e",
        model=stack.model,
        embedding=stack.embedding,
        tags=[uid],
        memory_blocks=[{"label": "persona", "value": "e2e agent", "description": "who"}],
    )


@pytest.mark.parametrize("mode", MODES)
async def test_stdio_subprocess(stack: Stack, letta: Any, uid: str, mode: Any) -> None:
    agent = await _agent(letta, stack, uid)
    async with Client(stdio_params(stack), mode=mode) as client:
        await _check_against_sdk(client, letta, agent)


@pytest.mark.parametrize("mode", MODES)
async def test_http_subprocess(stack: Stack, letta: Any, uid: str, mode: Any) -> None:
    agent = await _agent(letta, stack, uid)
    with http_server(stack) as base:
        async with Client(base + "/mcp", mode=mode) as client:
            await _check_against_sdk(client, letta, agent)


def _request(url: str, headers: dict[str, str] | None = None, body: bytes | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_http_probes_and_origin_checks(stack: Stack) -> None:
    with http_server(stack) as base:
        assert _request(base + "/healthz")[0] == 200
        status, body = _request(base + "/readyz")
        assert status == 200, body
        assert json.loads(body)["status"] == "ready"
        ping = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode()
        mcp_headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        assert _request(base + "/mcp", {**mcp_headers, "Host": "evil.example:80"}, ping)[0] == 421
        assert _request(base + "/mcp", {**mcp_headers, "Origin": "http://evil.example"}, ping)[0] == 403
    # Letta down: alive, but not ready.
    with http_server(stack, LETTA_BASE_URL="http://127.0.0.1:9") as base:
        assert _request(base + "/healthz")[0] == 200
        assert _request(base + "/readyz")[0] == 503


def test_stdout_carries_only_protocol(stack: Stack) -> None:
    """Every line on stdout, for a whole session of calls that log, fail and succeed, is a JSON-RPC message."""
    import subprocess

    params = stdio_params(stack)
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
    }
    session = [
        init,
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "logging/setLevel", "params": {"level": "debug"}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "list_agents", "arguments": {}}},
        {
            "jsonrpc": "2.0",
            "id": 5,
            "method": "tools/call",
            "params": {"name": "get_agent", "arguments": {"agent": "agent-00000000-0000-4000-8000-000000000000"}},
        },
        {"jsonrpc": "2.0", "id": 6, "method": "resources/list"},
        {"jsonrpc": "2.0", "id": 7, "method": "ping"},
    ]
    proc = subprocess.Popen(
        [params.command, *params.args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=params.env,
        cwd=params.cwd,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    lines = []
    for message in session:
        proc.stdin.write(json.dumps(message) + "\n")
        proc.stdin.flush()
        while "id" in message:
            line = proc.stdout.readline()
            assert line, "stdout closed"
            lines.append(line)
            if json.loads(line).get("id") == message["id"]:
                break
    _, err = proc.communicate(timeout=30)
    answered = set()
    for line in lines:
        message = json.loads(line)
        assert message["jsonrpc"] == "2.0", line
        answered.add(message.get("id"))
    assert {1, 2, 3, 4, 5, 6, 7} <= answered
    assert "letta-mcp" in err, "logs go to stderr"
