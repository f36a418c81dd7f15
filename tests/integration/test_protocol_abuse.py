"""Malformed protocol traffic: garbage and truncated JSON on stdio, invalid JSON-RPC, unknown methods,
oversized HTTP bodies, a client that disconnects mid-call. The server answers each with its JSON-RPC
error (-32700, -32600, -32601, -32602, 413) and keeps serving."""

from __future__ import annotations

import json
import socket
import subprocess
import tempfile
import time
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx2
import pytest
from mcp import Client

from tests.helpers import call
from tests.stack.letta_stack import Stack
from tests.subprocess_server import http_server, stdio_params

pytestmark = pytest.mark.anyio

INIT = {
    "jsonrpc": "2.0",
    "id": "init",
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "abuse", "version": "0"}},
}
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def test_stdio_survives_garbage(stack: Stack) -> None:
    params = stdio_params(stack)
    lines = [
        "garbage",
        '{"jsonrpc": "2.0", "id": 1, "method": "initialize"',
        '{"jsonrpc":"2.0","id":2}',
        "[]",
        '{"id":4,"method":"ping"}',
        "\x00\x01\x02",
        "{" * 10_000,
        json.dumps(INIT),
        json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        '{"jsonrpc":"2.0","id":5,"method":"no/such/method"}',
        '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":42}}',
        "not json again",
        json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tools/list"}),
        json.dumps({"jsonrpc": "2.0", "id": 8, "method": "ping"}),
    ]
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(
            [params.command, *params.args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=params.env,
            cwd=params.cwd,
            bufsize=1,
        )
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write("\n".join(lines) + "\n")
        proc.stdin.flush()
        answers: dict[Any, Any] = {}
        unnamed: list[Any] = []
        deadline = time.monotonic() + 60
        while not {7, 8} <= set(answers) and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            message = json.loads(line)
            if message.get("id") is None:
                unnamed.append(message)
            answers[message.get("id")] = message
        proc.stdin.close()
        proc.wait(timeout=30)
        log.seek(0)
        tail = "".join(line for line in log.readlines() if not line.startswith("{{{"))[-3000:]
    assert {"init", 2, 4, 5, 6, 7, 8} <= set(answers), (list(answers), tail)
    assert "result" in answers["init"]
    parse_errors = [m for m in unnamed if m["error"]["code"] == -32700]
    assert len(parse_errors) == 5, "garbage, truncated JSON, control bytes, '{'×10,000, 'not json again'"
    assert [m["error"]["code"] for m in unnamed if m not in parse_errors] == [-32600], "[]"
    assert answers[2]["error"]["code"] == -32600, "an object that is neither request nor response"
    assert answers[4]["error"]["code"] == -32600, "no jsonrpc member"
    assert answers[5]["error"]["code"] == -32601
    assert answers[6]["error"]["code"] == -32602
    assert answers[7]["result"]["tools"], "still serving after the garbage"
    assert answers[8]["result"] == {}
    for message in answers.values():
        assert message["jsonrpc"] == "2.0"


def test_http_rejects_bad_requests_and_keeps_serving(stack: Stack) -> None:
    with http_server(stack, LETTA_MCP_MAX_REQUEST_BYTES="100000") as base:
        url = base + "/mcp"
        big = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "insert_archival", "arguments": {"agent": "x", "text": "a" * 200_000}},
        }
        assert httpx2.post(url, json=big, headers=MCP_HEADERS, timeout=30).status_code == 413
        bad_json = httpx2.post(url, content=b'{"jsonrpc": "2.0", "id": 1, "met', headers=MCP_HEADERS, timeout=30)
        assert bad_json.status_code == 400
        assert bad_json.json()["error"]["code"] == -32700
        not_rpc = httpx2.post(url, json={"hello": "world"}, headers=MCP_HEADERS, timeout=30)
        assert not_rpc.status_code == 400
        unknown = httpx2.post(
            url,
            json={"jsonrpc": "2.0", "id": 2, "method": "no/such", "params": {}},
            headers={**MCP_HEADERS, "Mcp-Protocol-Version": "2025-06-18"},
            timeout=30,
        )
        body = unknown.text
        assert '"code":-32601' in body.replace(" ", ""), (unknown.status_code, body)
        assert httpx2.get(base + "/healthz").status_code == 200


def test_the_default_body_limit_is_4_mib(stack: Stack) -> None:
    with http_server(stack) as base:
        body = {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": "a" * (4 * 1024 * 1024)}}
        over = httpx2.post(base + "/mcp", json=body, headers=MCP_HEADERS, timeout=60)
        assert over.status_code == 413
        body["params"] = {"pad": "a" * (3 * 1024 * 1024)}
        under = httpx2.post(base + "/mcp", json=body, headers={**MCP_HEADERS, "Mcp-Protocol-Version": "2025-06-18"})
        assert under.status_code == 200, "3 MiB is within the limit"


async def test_a_client_that_disconnects_mid_call_hurts_no_one(stack: Stack, letta: Any, uid: str) -> None:
    agent = await letta.agents.create(name=f"{uid}-dc", model=stack.model, embedding=stack.embedding)
    with http_server(stack) as base:
        parts = urlsplit(base)
        request = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": "send_message", "arguments": {"agent": agent.id, "message": "slow [[sleep:4]]"}},
            }
        ).encode()
        raw = (
            f"POST /mcp HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
            f"Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-06-18\r\n"
            f"Content-Length: {len(request)}\r\n\r\n"
        ).encode() + request
        with socket.create_connection((parts.hostname, parts.port)) as sock:
            sock.sendall(raw)
            run_id = None
            with anyio.fail_after(30):  # the call started: its run is in Letta
                while run_id is None:
                    runs = (await letta.runs.list(agent_id=agent.id, limit=5)).items
                    run_id = runs[0].id if runs else None
                    await anyio.sleep(0.1)
        # Gone mid-call. Others are served at once, and the server is still healthy. The turn ends in
        # Letta, once: cancelled when the server notices the client is gone (a write to it fails), else run to
        # its end (the MCP spec does not make a disconnection a cancellation) - never left running or resent.
        async with Client(base + "/mcp") as other:
            out = await call(other, "get_agent", agent=agent.id)
            assert out["id"] == agent.id
        assert httpx2.get(base + "/healthz").status_code == 200
        status = None
        for _ in range(300):  # up to 60 s
            status = (await letta.runs.retrieve(run_id)).status
            if status not in ("created", "running"):
                break
            await anyio.sleep(0.2)
        assert status in ("completed", "cancelled"), "the client went away: its turn ends"
        runs = (await letta.runs.list(agent_id=agent.id, limit=10)).items
        assert [r.id for r in runs] == [run_id], "and it ran once"


def test_a_connection_that_trickles_its_headers_is_closed(stack: Stack) -> None:
    """Slow clients: a connection must send its request headers within LETTA_MCP_HEADER_TIMEOUT, while a
    client that sends them in time is served."""
    with http_server(stack, LETTA_MCP_HEADER_TIMEOUT="1") as base:
        parts = urlsplit(base)
        assert parts.hostname is not None
        assert parts.port is not None
        slow = [socket.create_connection((parts.hostname, parts.port)) for _ in range(20)]
        try:
            for sock in slow:
                sock.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the rest
                sock.settimeout(15)
            start = time.monotonic()
            closed = [sock.recv(1024) == b"" for sock in slow]  # b"": the server closed the connection
            waited = time.monotonic() - start
            assert all(closed), "every trickling connection was closed"
            assert waited < 12, f"closed after {waited:.1f} s, the limit was 1 s"
            assert httpx2.get(base + "/healthz").status_code == 200, "a client that sends its headers is served"
        finally:
            for sock in slow:
                sock.close()
