"""Resident memory of a stdio server: idle (after initialize and tools/list), then while it serves
1,000 get_block calls, sampled every quarter to show any growth trend; and a bare `mcp` server idle."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.stack.letta_stack import Stack
from tests.subprocess_server import stdio_params

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
def initialized(cmd: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> Iterator[StdioServer]:
    """Start `cmd`, initialize it and list its tools; stop it on exit."""
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
        server.request("tools/list")
        time.sleep(2)  # a first listing may look exposed agents up in the background: let it settle
        yield server
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


def bare_idle_mb() -> float:
    """The floor: a bare `mcp` server with one tool, idle after initialize and tools/list."""
    with initialized([sys.executable, str(Path(__file__).parent / "bare_server.py")]) as server:
        return server.rss_mb()


def measure(stack: Stack, agent_id: str, calls: int) -> dict[str, Any]:
    params = stdio_params(stack)
    with initialized([params.command, *params.args], env=params.env, cwd=str(params.cwd)) as server:
        idle = server.rss_mb()
        samples = []
        quarter = max(1, calls // 4)
        for i in range(calls):
            answer = server.request(
                "tools/call", {"name": "get_block", "arguments": {"agent": agent_id, "label": "human"}}
            )
            assert not answer["result"].get("isError"), answer
            if (i + 1) % quarter == 0:
                samples.append(server.rss_mb())
    return {
        "idle_mb": idle,
        "bare_idle_mb": bare_idle_mb(),
        "after_mb": samples[-1],
        "samples_mb": samples,
        "calls": calls,
        "growth_pct": (samples[-1] - samples[0]) / samples[0] * 100,
    }
