"""stdio on the event loop (`letta_mcp.transports.stdio`): the protocol stream stays clean, long lines pass, and
anything that is not a pipe gets the SDK's own transport."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from letta_mcp.transports.stdio import _Lines

pytestmark = pytest.mark.anyio

SERVER = """
import os, sys
import anyio
from mcp.server.mcpserver import MCPServer
from letta_mcp.transports import stdio

server = MCPServer("probe")

@server.tool()
async def noisy(text: str) -> str:
    '''Print to stdout, write to fd 1, then answer.'''
    print("stray print", flush=True)
    os.write(1, b"stray write\\n")
    return text

ON_THE_LOOP = stdio.usable()

@server.tool()
async def transport() -> str:
    '''Which transport serves.'''
    return "loop" if ON_THE_LOOP else "sdk"

anyio.run(stdio.serve, server)
"""

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}


ROOT = str(Path(__file__).parents[2])


async def test_stray_output_never_reaches_the_protocol_stream_and_long_lines_pass() -> None:
    long_text = "x" * 300_000  # beyond asyncio's default 64 KiB line limit
    async with Client(StdioServerParameters(command=sys.executable, args=["-c", SERVER], cwd=ROOT)) as client:
        served = await client.call_tool("transport", {})
        assert served.structured_content == {"result": "loop"}
        result = await client.call_tool("noisy", {"text": long_text})
        assert not result.is_error
        assert result.structured_content == {"result": long_text}
        again = await client.call_tool("noisy", {"text": "still speaking"})
        assert again.structured_content == {"result": "still speaking"}


def test_stray_output_goes_to_stderr() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "noisy", "arguments": {"text": "hi"}}}
    answers = []
    for message in (INIT, {"jsonrpc": "2.0", "method": "notifications/initialized"}, call):
        proc.stdin.write(json.dumps(message) + "\n")
        proc.stdin.flush()
        if "id" in message:
            answers.append(proc.stdout.readline())
    rest, err = proc.communicate(timeout=30)  # closes stdin: the server ends
    assert [json.loads(a)["id"] for a in answers] == [1, 2], answers
    assert json.loads(answers[1])["result"]["structuredContent"] == {"result": "hi"}
    assert not rest.strip(), "nothing else on stdout"
    assert "stray print" in err
    assert "stray write" in err


def test_a_terminal_as_stdin_gets_the_sdk_transport() -> None:
    """stdin that is neither a pipe nor a socket (here a terminal) is served by the SDK's own transport."""
    import os
    import pty

    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    os.close(terminal)
    assert proc.stdout is not None
    try:
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "transport", "arguments": {}}}
        for message in (INIT, {"jsonrpc": "2.0", "method": "notifications/initialized"}, call):
            os.write(controller, (json.dumps(message) + "\n").encode())
        answers = {}
        while 2 not in answers:
            line = proc.stdout.readline()
            assert line, "the server ended without answering"
            answer = json.loads(line)
            answers[answer.get("id")] = answer
        assert answers[2]["result"]["structuredContent"] == {"result": "sdk"}
    finally:
        os.close(controller)
        proc.kill()
        proc.wait(timeout=10)


class Written:
    def __init__(self) -> None:
        self.lines: list[dict[str, object]] = []

    async def write(self, text: str) -> None:
        self.lines.append(json.loads(text))

    async def flush(self) -> None:
        pass


async def test_lines_that_are_no_json_rpc_message_are_answered_and_reading_goes_on() -> None:
    reader = asyncio.StreamReader(limit=1024)
    ping = '{"jsonrpc":"2.0","id":9,"method":"ping"}\n'
    for line in ["y" * 5000, "garbage", "", '{"jsonrpc":"2.0","id":2}', "[]", '{"id":"x","method":"ping"}']:
        reader.feed_data(line.encode() + b"\n")
    reader.feed_data(ping.encode())
    reader.feed_data(b"{" * 3000)  # too long, and cut by EOF
    reader.feed_eof()
    out = Written()
    passed = [line async for line in _Lines(reader, out)]  # type: ignore[arg-type]
    assert passed == [ping], "only JSON-RPC messages reach the SDK"
    assert [(e["id"], e["error"]["code"]) for e in out.lines] == [  # type: ignore[index]
        (None, -32700),
        (None, -32700),
        (2, -32600),
        (None, -32600),
        ("x", -32600),
        (None, -32700),
    ]
