"""stdio on the event loop: the SDK's stdio transport reads stdin and writes stdout through worker threads,
three thread hand-offs per call. When both are pipes or sockets, as they are when an MCP client starts
letta-mcp, they are read and written on the event loop instead; anything else (a terminal, a file) gets
the SDK's transport.

As the SDK does, the descriptors are taken over for the time of serving: fd 0 reads the null device and
fd 1 goes to stderr, so that nothing else in the process (a library that prints, a child process) can
write into the protocol stream or swallow its input; both are put back on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import stat
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server

from letta_mcp.server.sdk import lowlevel

MAX_LINE = 1 << 30
"""The longest message read (a JSON-RPC line); the SDK's own transport has no limit either."""


def _is_stream(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def usable() -> bool:
    """Whether stdin and stdout are both pipes or sockets (what the loop can wait on)."""
    return sys.platform != "win32" and _is_stream(0) and _is_stream(1)


def rejection(line: str) -> dict[str, Any] | None:
    """The JSON-RPC error for a line that is not a JSON-RPC message (2.0, section 5.1), or None for one that is.

    The SDK's own transport drops such a line without a word; the sender would wait for an answer forever.
    """
    try:
        message = json.loads(line)
    except ValueError:
        return {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}
    is_request = isinstance(message, dict) and "method" in message
    is_response = isinstance(message, dict) and "id" in message and ("result" in message or "error" in message)
    if isinstance(message, dict) and message.get("jsonrpc") == "2.0" and (is_request or is_response):
        return None
    given = message.get("id") if isinstance(message, dict) else None
    error = {"code": -32600, "message": "Invalid Request: not a JSON-RPC 2.0 message (batches are not supported)"}
    return {"jsonrpc": "2.0", "id": given if isinstance(given, (str, int)) else None, "error": error}


class _Out:
    """stdout as the SDK's transport writes it: `write` then `flush`, which waits until the pipe took it."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer

    async def write(self, text: str) -> None:
        self.writer.write(text.encode("utf-8"))

    async def flush(self) -> None:
        await self.writer.drain()


class _Lines:
    """stdin as the SDK's transport iterates it: one decoded line at a time, ending at EOF. A line that is
    not a JSON-RPC message is answered here with its error (`rejection`) and not passed on."""

    def __init__(self, reader: asyncio.StreamReader, out: _Out | None = None) -> None:
        self.reader = reader
        self.out = out

    def __aiter__(self) -> _Lines:
        return self

    async def __anext__(self) -> str:
        dropping = False
        while True:
            try:
                line = await self.reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as exc:
                if not exc.partial and not dropping:
                    raise StopAsyncIteration from None
                line = exc.partial
            except asyncio.LimitOverrunError as exc:
                # A line beyond MAX_LINE: drop what was scanned and read on to its end.
                await self.reader.readexactly(exc.consumed)
                dropping = True
                continue
            text = "" if dropping else line.decode("utf-8", errors="replace")
            if not text.strip() and not dropping:
                continue  # a blank line is no message
            error = rejection(text)  # a line too long to read is a parse error too
            if error is None:
                return text
            dropping = False
            if self.out is not None:
                await self.out.write(json.dumps(error) + "\n")
                await self.out.flush()


def _take(fd: int, replacement: int) -> int:
    """Move the wire off `fd` onto a private descriptor (returned) and point `fd` at `replacement`."""
    private = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    os.dup2(replacement, fd)
    return private


@asynccontextmanager
async def loop_stdio() -> AsyncIterator[tuple[Any, Any]]:
    """(stdin, stdout) for `mcp.server.stdio.stdio_server`, served on the running asyncio loop."""
    loop = asyncio.get_running_loop()
    devnull = os.open(os.devnull, os.O_RDONLY)
    wire_in = _take(0, devnull)
    os.close(devnull)
    wire_out = _take(1, 2)
    transports: list[asyncio.BaseTransport] = []
    try:
        reader = asyncio.StreamReader(limit=MAX_LINE)
        read_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(wire_in, "rb", buffering=0, closefd=False)
        )
        transports.append(read_transport)
        write_transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(wire_out, "wb", buffering=0, closefd=False)
        )
        transports.append(write_transport)
        out = _Out(asyncio.StreamWriter(write_transport, protocol, None, loop))
        yield _Lines(reader, out), out
    finally:
        for transport in transports:
            transport.close()
        for fd, private in ((0, wire_in), (1, wire_out)):
            with contextlib.suppress(OSError):
                os.dup2(private, fd)
            os.close(private)


async def serve(server: MCPServer[Any]) -> None:
    """Serve `server` over stdio until stdin closes: on the loop when `usable`, else the SDK's way."""
    if not usable():
        await server.run_stdio_async()
        return
    low = lowlevel(server)
    async with loop_stdio() as (stdin, stdout), stdio_server(stdin, stdout) as (read, write):
        await low.run(read, write, low.create_initialization_options())


__all__ = ["MAX_LINE", "loop_stdio", "serve", "usable"]
