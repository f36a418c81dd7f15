"""A letta-mcp (or bare mcp) server process spoken to with raw JSON-RPC lines over stdio, for benches
that need the process itself: its start-up time, its resident memory."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

INIT = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class StdioServer:
    """A server process spoken to line by line, with raw JSON-RPC."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.next_id = 0
        self.tools: list[dict[str, Any]] = []

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params or {}}
        self.proc.stdin.write(json.dumps(message) + "\n")
        while True:
            answer: dict[str, Any] = json.loads(self.proc.stdout.readline())
            if answer.get("id") == self.next_id:
                return answer

    def rss_mb(self) -> float:
        return rss_mb(self.proc.pid)


@contextmanager
def initialized(
    cmd: list[str], env: dict[str, str] | None = None, cwd: str | None = None, settle: float = 2.0
) -> Iterator[StdioServer]:
    """Start `cmd`, initialize it and list its tools (kept in `.tools`), wait `settle` s; stop it on exit."""
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
        text=True,
        bufsize=1,
    )
    assert proc.stdin is not None
    server = StdioServer(proc)
    try:
        server.request("initialize", INIT)
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        server.tools = server.request("tools/list")["result"]["tools"]
        time.sleep(settle)  # a first listing may look exposed agents up in the background: let it settle
        yield server
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
