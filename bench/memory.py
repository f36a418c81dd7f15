"""Resident memory of a stdio server: idle (after initialize and tools/list), then while it serves
1,000 get_block calls, sampled every quarter to show any growth trend; and a bare `mcp` server idle."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bench.stdio import initialized
from tests.stack.letta_stack import Stack
from tests.subprocess_server import stdio_params


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
