"""Resident memory of a stdio server: idle (after initialize and tools/list), then while it serves
1,000 get_block calls, sampled every quarter to show any growth trend."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

from tests.stack.letta_stack import Stack
from tests.subprocess_server import stdio_params


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def bare_idle_mb() -> float:
    """The floor: a bare `mcp` server with one tool, idle after initialize and tools/list."""
    import sys
    from pathlib import Path

    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "bare_server.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        bufsize=1,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        proc.stdin.write(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 0,
                    "method": "initialize",
                    "params": {
                        "protocolVersion": "2025-06-18",
                        "capabilities": {},
                        "clientInfo": {"name": "b", "version": "0"},
                    },
                }
            )
            + "\n"
        )
        proc.stdout.readline()
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}) + "\n")
        proc.stdout.readline()
        time.sleep(2)
        return rss_mb(proc.pid)
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


def measure(stack: Stack, agent_id: str, calls: int) -> dict[str, Any]:
    params = stdio_params(stack)
    proc = subprocess.Popen(
        [params.command, *params.args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=params.env,
        cwd=params.cwd,
        text=True,
        bufsize=1,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None

    def request(i: int, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params or {}}) + "\n")
        while True:
            message = json.loads(proc.stdout.readline())
            if message.get("id") == i:
                return message

    try:
        request(
            0,
            "initialize",
            {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
        )
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        request(1, "tools/list")
        time.sleep(2)  # the first listing looks exposed agents up in the background: let it settle
        idle = rss_mb(proc.pid)
        samples = []
        quarter = max(1, calls // 4)
        for i in range(calls):
            answer = request(
                10 + i, "tools/call", {"name": "get_block", "arguments": {"agent": agent_id, "label": "human"}}
            )
            assert not answer["result"].get("isError"), answer
            if (i + 1) % quarter == 0:
                samples.append(rss_mb(proc.pid))
        return {
            "idle_mb": idle,
            "bare_idle_mb": bare_idle_mb(),
            "after_mb": samples[-1],
            "samples_mb": samples,
            "calls": calls,
            "growth_pct": (samples[-1] - samples[0]) / samples[0] * 100,
        }
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
