"""Per-call overhead: get_block and list_agents through letta-mcp (stdio and HTTP) against the same
calls made directly with AsyncLetta to the same server, interleaved in rounds.

What letta-mcp adds (its p50 minus the direct call's) is set against the floors measured in the same
run: a bare `mcp` server's echo round trip over stdio, and over streamable HTTP set up as letta-mcp's
is. The goal: no more than twice the floor, i.e. letta-mcp's own work costs at most one more hop."""

from __future__ import annotations

import contextlib
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters

from tests.stack.letta_stack import Stack, free_port
from tests.subprocess_server import http_server, stdio_params


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
    """Every path, one call each in turn, `calls` times: the direct SDK call, letta-mcp over stdio and over
    HTTP, and the bare echo over stdio and over HTTP. Interleaved call by call so that every process waits
    the same between its calls: a process woken after Letta's 10-40 ms is slower than one called back to
    back (cold caches, CPU wake-up), and a floor measured back to back would hide that from it."""
    direct_calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "get_block": lambda: letta.agents.blocks.retrieve("human", agent_id=agent_id),
        "list_agents": lambda: letta.agents.list(
            tags=["bench"], limit=21, match_all_tags=False, order="desc", include=["agent.tags"]
        ),
    }
    tool_args = {"get_block": {"agent": agent_id, "label": "human"}, "list_agents": {"tags": ["bench"]}}
    samples: dict[str, dict[str, list[float]]] = {t: {"direct": [], "stdio": [], "http": []} for t in tool_args}
    bare: dict[str, list[float]] = {"stdio": [], "http": []}
    bare_params = StdioServerParameters(command=sys.executable, args=[str(Path(__file__).parent / "bare_server.py")])
    with http_server(stack) as base, bare_http() as bare_url:
        async with (
            Client(stdio_params(stack)) as stdio,
            Client(base + "/mcp") as http,
            Client(bare_params) as bare_stdio,
            Client(bare_url) as bare_over_http,
        ):
            echo = {
                "stdio": _mcp(bare_stdio, "echo", {"text": "hi"}),
                "http": _mcp(bare_over_http, "echo", {"text": "hi"}),
            }
            paths = {
                name: {
                    "direct": direct_calls[name],
                    "stdio": _mcp(stdio, name, args),
                    "http": _mcp(http, name, args),
                }
                for name, args in tool_args.items()
            }
            for _ in range(5):  # warm every path
                for by_path in paths.values():
                    for call in by_path.values():
                        await call()
                for call in echo.values():
                    await call()
            for _ in range(calls):
                for name, by_path in paths.items():
                    for path, call in by_path.items():
                        await _timed(call, 1, samples[name][path])
                    for transport, call in echo.items():
                        await _timed(call, 1, bare[transport])
    out: dict[str, Any] = {"tools": {}, "floors": await floors(calls)}
    floor = {transport: statistics.median(values) * 1000 for transport, values in bare.items()}
    out["floors"]["bare_stdio_echo_p50_ms"] = floor["stdio"]
    out["floors"]["bare_http_echo_p50_ms"] = floor["http"]
    for name, by_path in samples.items():
        direct = percentiles(by_path["direct"])
        entry: dict[str, Any] = {"direct": direct}
        for transport in ("stdio", "http"):
            p = percentiles(by_path[transport])
            p["added_p50"] = p["p50"] - direct["p50"]
            p["added_vs_floor"] = p["added_p50"] / floor[transport]
            entry[transport] = p
        out["tools"][name] = entry
    return out


@contextlib.contextmanager
def bare_http() -> Iterator[str]:
    """The bare server over streamable HTTP on a free port; yields its /mcp URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "bare_server.py"), "--http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the bare HTTP server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def floors(calls: int) -> dict[str, float]:
    """For context: the bare echo over stdio called back to back (no wait between calls: the transport's
    best case), and what letta-mcp adds in-process (its tool over the in-memory transport, against the
    SDK call it makes, Letta faked)."""
    import httpx
    from letta_client import AsyncLetta

    from letta_mcp.core.config import Settings
    from letta_mcp.server import create_server

    hot: list[float] = []
    params = StdioServerParameters(command=sys.executable, args=[str(Path(__file__).parent / "bare_server.py")])
    async with Client(params) as client:
        echo = _mcp(client, "echo", {"text": "hi"})
        await _timed(echo, 20, [])
        await _timed(echo, calls, hot)
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
        "bare_stdio_echo_back_to_back_p50_ms": statistics.median(hot) * 1000,
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
