"""Per-call overhead: get_block and list_agents through letta-mcp (stdio and HTTP) against the same
calls made directly with AsyncLetta to the same server, interleaved in rounds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from mcp import Client

from tests.stack.letta_stack import Stack
from tests.subprocess_server import http_server, stdio_params

ROUNDS = 10


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return {"p50": statistics.median(ms), "p95": q[94], "p99": q[98], "n": len(ms)}


async def _timed(fn: Callable[[], Awaitable[Any]], n: int, into: list[float]) -> None:
    for _ in range(n):
        t0 = time.perf_counter()
        await fn()
        into.append(time.perf_counter() - t0)


def _mcp(client: Client, name: str, args: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
    async def run() -> None:
        result = await client.call_tool(name, args)
        assert not result.is_error, result.content

    return run


async def measure(stack: Stack, letta: Any, agent_id: str, calls: int) -> dict[str, Any]:
    direct_calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "get_block": lambda: letta.agents.blocks.retrieve("human", agent_id=agent_id),
        "list_agents": lambda: letta.agents.list(
            tags=["bench"], limit=21, match_all_tags=False, order="desc", include=["agent.tags"]
        ),
    }
    tool_args = {"get_block": {"agent": agent_id, "label": "human"}, "list_agents": {"tags": ["bench"]}}
    samples: dict[str, dict[str, list[float]]] = {t: {"direct": [], "stdio": [], "http": []} for t in tool_args}
    per_round = max(1, calls // ROUNDS)
    with http_server(stack) as base:
        async with Client(stdio_params(stack)) as stdio, Client(base + "/mcp") as http:
            for name, args in tool_args.items():  # warm every path
                await _timed(direct_calls[name], 5, [])
                await _timed(_mcp(stdio, name, args), 5, [])
                await _timed(_mcp(http, name, args), 5, [])
            for _ in range(ROUNDS):
                for name, args in tool_args.items():
                    await _timed(direct_calls[name], per_round, samples[name]["direct"])
                    await _timed(_mcp(stdio, name, args), per_round, samples[name]["stdio"])
                    await _timed(_mcp(http, name, args), per_round, samples[name]["http"])
    out: dict[str, Any] = {"tools": {}, "floors": await floors(per_round * ROUNDS)}
    for name, by_path in samples.items():
        direct = percentiles(by_path["direct"])
        entry: dict[str, Any] = {"direct": direct}
        for transport in ("stdio", "http"):
            p = percentiles(by_path[transport])
            p["added_p50"] = p["p50"] - direct["p50"]
            entry[transport] = p
        out["tools"][name] = entry
    return out


async def floors(calls: int) -> dict[str, float]:
    """What the transport costs by itself (a bare `mcp` server's echo tool over stdio), and what letta-mcp
    adds in-process (its tool over the in-memory transport, against the SDK call it makes, Letta faked)."""
    import sys

    import httpx
    from letta_client import AsyncLetta
    from mcp import StdioServerParameters

    from letta_mcp.config import Settings
    from letta_mcp.server import create_server

    bare: list[float] = []
    params = StdioServerParameters(command=sys.executable, args=[str(Path(__file__).parent / "bare_server.py")])
    async with Client(params) as client:
        echo = _mcp(client, "echo", {"text": "hi"})
        await _timed(echo, 20, [])
        await _timed(echo, calls, bare)
    block = {"id": "block-1", "label": "human", "value": "x" * 600, "limit": 5000, "description": "the user"}
    fake = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200, json=block)))
    sdk = AsyncLetta(base_url="http://letta.invalid", max_retries=0, http_client=fake)
    sdk_only: list[float] = []
    in_process: list[float] = []
    server = create_server(Settings(base_url="http://letta.invalid", toolsets="memory"), letta=sdk)
    async with Client(server) as client:
        tool = _mcp(client, "get_block", {"agent": "agent-00000000-0000-4000-8000-000000000000", "label": "human"})
        await _timed(tool, 20, [])
        await _timed(tool, calls, in_process)
        await _timed(lambda: sdk.agents.blocks.retrieve("human", agent_id="agent-1"), calls, sdk_only)
    return {
        "bare_stdio_echo_p50_ms": statistics.median(bare) * 1000,
        "in_process_added_p50_ms": (statistics.median(in_process) - statistics.median(sdk_only)) * 1000,
    }


def chart(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tools = list(result["tools"])
    paths = ["direct", "stdio", "http"]
    labels = {"direct": "AsyncLetta direct", "stdio": "letta-mcp stdio", "http": "letta-mcp HTTP"}
    fig, axes = plt.subplots(1, len(tools), figsize=(5 * len(tools), 4), sharey=False)
    for ax, tool in zip(axes, tools, strict=True):
        width = 0.25
        for i, p in enumerate(paths):
            values = [result["tools"][tool][p][q] for q in ("p50", "p95", "p99")]
            ax.bar([x + (i - 1) * width for x in range(3)], values, width, label=labels[p])
        ax.set_xticks(range(3), ["p50", "p95", "p99"])
        ax.set_title(tool)
        ax.set_ylabel("ms per call")
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend()
    fig.suptitle("Per-call latency: letta-mcp vs the Letta SDK directly (same server, same run)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
