"""A small MCP server the tests own, for Letta to call: over stdio, or streamable HTTP with JSON answers.

Tools: ``add(a, b)`` returns the sum, ``shout(text)`` returns it upper-cased. Every tools/call is
appended as one JSON line to the log given with ``--log``, so a test can show the agent really
called it through Letta. Headers of each request are logged too (to check what Letta sends).

Run: ``python fake_mcp.py --stdio --log FILE`` (what Letta launches) or ``--port PORT --log FILE``.
Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOOLS = [
    {
        "name": "add",
        "description": "Add two integers.",
        "inputSchema": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
    },
    {
        "name": "shout",
        "description": "Upper-case a text.",
        "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
    },
]
_lock = threading.Lock()


def _call(name: str, arguments: dict[str, Any]) -> str:
    if name == "add":
        return str(int(arguments["a"]) + int(arguments["b"]))
    if name == "shout":
        return str(arguments["text"]).upper()
    raise KeyError(name)


def answer(body: dict[str, Any], log_path: str) -> dict[str, Any] | None:
    """The JSON-RPC answer to one message (None for a notification)."""
    method, ident, params = body.get("method"), body.get("id"), body.get("params") or {}
    if ident is None:
        return None
    if method == "initialize":
        result: dict[str, Any] = {
            "protocolVersion": params.get("protocolVersion", "2025-06-18"),
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": {"name": "fake-mcp", "version": "1.0"},
        }
    elif method == "tools/list":
        result = {"tools": TOOLS}
    elif method == "tools/call":
        name, arguments = params.get("name"), params.get("arguments") or {}
        with _lock, open(log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"t": time.time(), "tool": name, "arguments": arguments}) + "\n")
        try:
            result = {"content": [{"type": "text", "text": _call(str(name), arguments)}], "isError": False}
        except (KeyError, ValueError) as exc:
            result = {"content": [{"type": "text", "text": f"bad call: {exc}"}], "isError": True}
    elif method == "ping":
        result = {}
    else:
        return {"jsonrpc": "2.0", "id": ident, "error": {"code": -32601, "message": "no such method"}}
    return {"jsonrpc": "2.0", "id": ident, "result": result}


class Handler(BaseHTTPRequestHandler):
    server: FakeMCP
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, payload: Any = None) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Mcp-Session-Id", "fake-session")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._send(405, {"error": "no server-to-client stream here"})

    def do_DELETE(self) -> None:
        self._send(200, {})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        reply = answer(body, self.server.log_path)
        if reply is None:
            self._send(202)
        else:
            self._send(200, reply)


class FakeMCP(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, log_path: str) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.log_path = log_path


def serve_stdio(log_path: str) -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        reply = answer(json.loads(line), log_path)
        if reply is not None:
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int)
    parser.add_argument("--stdio", action="store_true")
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    if args.stdio:
        serve_stdio(args.log)
    else:
        FakeMCP(args.port, args.log).serve_forever()


if __name__ == "__main__":
    main()
