"""Streaming: time to the first progress notification through letta-mcp (stdio) against the time to the
first streamed chunk from the Letta SDK directly, on the same agent, alternating, in the same run."""

from __future__ import annotations

import statistics
import time
from typing import Any

import anyio
from letta_client import AsyncLetta
from mcp import Client

from tests.stack.letta_stack import Stack
from tests.subprocess_server import stdio_params


async def _sdk_first_chunk(letta: AsyncLetta, agent_id: str) -> float:
    t0 = time.perf_counter()
    stream = await letta.agents.messages.create(
        agent_id, input="hi", streaming=True, background=True, include_pings=True
    )
    first = 0.0
    async for _ in stream:
        if not first:
            first = time.perf_counter() - t0
    return first


async def _mcp_first_progress(client: Client, agent_id: str) -> float:
    first: list[float] = []
    t0 = time.perf_counter()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        if not first:
            first.append(time.perf_counter() - t0)

    result = await client.call_tool("send_message", {"agent": agent_id, "message": "hi"}, progress_callback=on_progress)
    assert not result.is_error
    return first[0]


async def measure(stack: Stack, runs: int = 20) -> dict[str, Any]:
    letta = AsyncLetta(base_url=stack.base_url, api_key=stack.password, max_retries=0)
    agent = await letta.agents.create(
        name=f"bench-stream-{time.time_ns()}", model=stack.model, embedding=stack.embedding
    )
    sdk: list[float] = []
    ours: list[float] = []
    async with Client(stdio_params(stack)) as client:
        await _mcp_first_progress(client, agent.id)
        await _sdk_first_chunk(letta, agent.id)
        for _ in range(runs):
            sdk.append(await _sdk_first_chunk(letta, agent.id))
            ours.append(await _mcp_first_progress(client, agent.id))
    await letta.agents.delete(agent.id)
    await letta.close()
    return {
        "sdk_first_chunk_ms": statistics.median(sdk) * 1000,
        "mcp_first_progress_ms": statistics.median(ours) * 1000,
        "ratio": statistics.median(ours) / statistics.median(sdk),
        "runs": runs,
    }


if __name__ == "__main__":
    from tests.stack.letta_stack import running

    with running() as s:
        print(anyio.run(measure, s))
