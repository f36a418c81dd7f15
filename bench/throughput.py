"""Throughput of the team endpoint: N concurrent clients calling get_block over HTTP, against the same
load made directly with the SDK, for a fixed time each."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from mcp import Client

from tests.stack.letta_stack import Stack
from tests.subprocess_server import http_server


async def _load(workers: list[Callable[[], Awaitable[bool]]], seconds: float) -> tuple[float, int]:
    done = 0
    errors = 0
    deadline = time.monotonic() + seconds

    async def loop(call: Callable[[], Awaitable[bool]]) -> None:
        nonlocal done, errors
        while time.monotonic() < deadline:
            try:
                ok = await call()
            except Exception:  # noqa: BLE001 — counted, not raised: the figure is how many failed
                ok = False
            done += 1
            errors += 0 if ok else 1

    t0 = time.monotonic()
    async with anyio.create_task_group() as tg:
        for call in workers:
            tg.start_soon(loop, call)
    return done / (time.monotonic() - t0), errors


async def measure(stack: Stack, letta: Any, agent_id: str, levels: tuple[int, ...], seconds: float) -> dict[str, Any]:
    async def direct() -> bool:
        await letta.agents.blocks.retrieve("human", agent_id=agent_id)
        return True

    out: dict[str, Any] = {"levels": [], "seconds": seconds}
    with http_server(stack) as base:
        for n in levels:
            direct_rps, direct_errors = await _load([direct] * n, seconds)
            clients = [Client(base + "/mcp") for _ in range(n)]
            for c in clients:
                await c.__aenter__()
            try:

                def caller(c: Client) -> Callable[[], Awaitable[bool]]:
                    async def call() -> bool:
                        result = await c.call_tool("get_block", {"agent": agent_id, "label": "human"})
                        return not result.is_error

                    return call

                mcp_rps, mcp_errors = await _load([caller(c) for c in clients], seconds)
            finally:
                for c in reversed(clients):
                    await c.__aexit__(None, None, None)
            out["levels"].append(
                {
                    "clients": n,
                    "direct_rps": direct_rps,
                    "mcp_rps": mcp_rps,
                    "ratio": mcp_rps / direct_rps,
                    "errors": mcp_errors + direct_errors,
                }
            )
    return out
