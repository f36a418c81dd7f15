"""The App Server backend: cold start against a bare mcp server (as for REST); get_block's per-call
overhead against a raw WebSocket client and against the bare echo floors REST is held to; a turn's time
to first progress against a raw WebSocket client doing the same turn. Each interleaved in the same run.

Usage: ``python -m bench.app`` (starts its own App Server with the tests' harness).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from bench import cold_start
from bench.overhead import _mcp, _timed, bare_http, percentiles
from tests.app_client import Direct, direct
from tests.stack.app_stack import AppStack
from tests.subprocess_server import http_server, stdio_params


async def overhead(app: AppStack, agent_id: str, calls: int) -> dict[str, Any]:
    """get_block through letta-mcp (stdio, HTTP) against read_memory_file on a socket of our own, and the
    bare mcp echo over stdio and HTTP (the floors REST is held to), interleaved call by call as there."""
    samples: dict[str, list[float]] = {"direct": [], "stdio": [], "http": []}
    bare: dict[str, list[float]] = {"stdio": [], "http": []}
    args = {"agent": agent_id, "label": "human"}
    bare_params = StdioServerParameters(command=sys.executable, args=[str(Path(__file__).parent / "bare_server.py")])
    with http_server(app) as base, bare_http() as bare_url:
        async with (
            direct(app.url) as d,
            Client(stdio_params(app)) as stdio,
            Client(base + "/mcp") as http,
            Client(bare_params) as bare_stdio,
            Client(bare_url) as bare_over_http,
        ):

            async def raw() -> None:
                await d.request("read_memory_file", agent_id=agent_id, path="human.md")

            paths = {"direct": raw, "stdio": _mcp(stdio, "get_block", args), "http": _mcp(http, "get_block", args)}
            echo = {
                "stdio": _mcp(bare_stdio, "echo", {"text": "hi"}),
                "http": _mcp(bare_over_http, "echo", {"text": "hi"}),
            }
            for fn in (*paths.values(), *echo.values()):
                await _timed(fn, 5, [])
            for _ in range(calls):
                for path, fn in paths.items():
                    await _timed(fn, 1, samples[path])
                for transport, fn in echo.items():
                    await _timed(fn, 1, bare[transport])
    out: dict[str, Any] = {"direct": percentiles(samples["direct"])}
    for transport in ("stdio", "http"):
        p = percentiles(samples[transport])
        p["added_p50"] = p["p50"] - out["direct"]["p50"]
        p["ratio_p50"] = p["p50"] / out["direct"]["p50"]
        p["bare_echo_p50"] = statistics.median(bare[transport]) * 1000
        p["added_vs_floor"] = p["added_p50"] / p["bare_echo_p50"]
        out[transport] = p
    return out


async def _raw_first_delta(d: Direct, agent_id: str) -> float:
    """A turn by hand: runtime_start, input, and the time to the first stream_delta (then to its end)."""
    t0 = time.perf_counter()
    runtime = (
        await d.request(
            "runtime_start",
            agent_id=agent_id,
            conversation_id="default",
            cwd="/tmp",
            mode="standard",
            client_info={"name": "bench"},
            wait_for_replay=True,
        )
    )["runtime"]
    await d.request(
        "input", runtime=runtime, payload={"kind": "create_message", "messages": [{"role": "user", "content": "hi"}]}
    )
    first = 0.0
    with anyio.fail_after(60):
        while True:
            frame = json.loads(await d.ws.recv())
            if frame.get("type") == "stream_delta" and not first:
                first = time.perf_counter() - t0
            if frame.get("type") == "turn_finished":
                return first


async def _mcp_first_progress(client: Client, agent_id: str) -> float:
    first: list[float] = []
    t0 = time.perf_counter()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        if not first:
            first.append(time.perf_counter() - t0)

    result = await client.call_tool("send_message", {"agent": agent_id, "message": "hi"}, progress_callback=on_progress)
    assert not result.is_error, result.content
    return first[0]


async def first_progress(app: AppStack, runs: int) -> dict[str, Any]:
    ours: list[float] = []
    raw: list[float] = []
    async with direct(app.url) as d, Client(stdio_params(app)) as client:
        agent = (await d.request("agent_create", body={"name": f"bench-turn-{time.time_ns()}", "model": app.model}))[
            "agent"
        ]
        await _mcp_first_progress(client, agent["id"])
        await anyio.sleep(0.5)  # the App Server turns input away for a moment after a turn
        await _raw_first_delta(d, agent["id"])
        for _ in range(runs):
            await anyio.sleep(0.5)
            raw.append(await _raw_first_delta(d, agent["id"]))
            await anyio.sleep(0.5)
            ours.append(await _mcp_first_progress(client, agent["id"]))
    return {
        "raw_first_delta_ms": statistics.median(raw) * 1000,
        "mcp_first_progress_ms": statistics.median(ours) * 1000,
        "ratio": statistics.median(ours) / statistics.median(raw),
        "runs": runs,
    }


async def measure(app: AppStack, quick: bool) -> dict[str, Any]:
    async with direct(app.url) as d:
        agent = (
            await d.request(
                "agent_create",
                body={
                    "name": f"bench-{time.time_ns()}",
                    "model": app.model,
                    "memory_blocks": [{"label": "human", "value": "The user likes short answers. " * 20}],
                },
            )
        )["agent"]
    return {
        "cold_start": await anyio.to_thread.run_sync(cold_start.measure, 5 if quick else 15, app.url),
        "overhead": await overhead(app, agent["id"], 100 if quick else 400),
        "first_progress": await first_progress(app, 5 if quick else 20),
    }


if __name__ == "__main__":
    from tests.stack.app_stack import running_app

    with running_app() as running:
        print(json.dumps(anyio.run(measure, running, True), indent=2))
