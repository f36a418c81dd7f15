"""Concurrent writes to one memory block never lose an edit silently: within one server they are
serialised; across replicas each edit is checked after it is written and applied again when another
writer's older value replaced it, or reported."""

from __future__ import annotations

import re
from typing import Any

import anyio
import httpx
import pytest
from letta_client import AsyncLetta
from mcp import Client

from letta_mcp.server import create_server
from tests.conftest import settings_for
from tests.helpers import call, call_error
from tests.stack.letta_stack import Stack
from tests.subprocess_server import http_server

pytestmark = pytest.mark.anyio

EDITS = 20


async def _block(letta: Any, uid: str) -> str:
    value = "\n".join(f"line {i:02d}: todo" for i in range(EDITS))
    block = await letta.blocks.create(label=f"shared-{uid}", value=value, limit=10_000)
    return str(block.id)


async def _edit_all(urls: list[str], block_id: str) -> list[tuple[int, str | None]]:
    """Every line edited at once, each by its own client, spread over `urls`; (line, error or None)."""
    outcomes: list[tuple[int, str | None]] = []

    async def edit(i: int) -> None:
        async with Client(urls[i % len(urls)]) as client:
            edit = {"block_id": block_id, "old_text": f"line {i:02d}: todo", "new_text": f"line {i:02d}: done"}
            result = await client.call_tool("edit_block", edit)
        text = " ".join(getattr(c, "text", "") for c in result.content)
        outcomes.append((i, text if result.is_error else None))

    async with anyio.create_task_group() as tg:
        for i in range(EDITS):
            tg.start_soon(edit, i)
    return outcomes


def _landed(value: str) -> set[int]:
    return {int(n) for n in re.findall(r"line (\d\d): done", value)}


async def test_concurrent_edits_through_one_server_all_land(stack: Stack, letta: Any, uid: str) -> None:
    block_id = await _block(letta, uid)
    with http_server(stack) as base:
        outcomes = await _edit_all([base + "/mcp"], block_id)
    errors = [(i, e) for i, e in outcomes if e is not None]
    assert errors == [], errors
    value = (await letta.blocks.retrieve(block_id)).value
    assert _landed(value) == set(range(EDITS)), value
    print(f"\n[edits] one server: {EDITS} attempted, {len(_landed(value))} landed")


async def test_concurrent_edits_through_two_replicas_are_never_lost_silently(
    stack: Stack, letta: Any, uid: str
) -> None:
    block_id = await _block(letta, uid)
    with http_server(stack) as first, http_server(stack) as second:
        outcomes = await _edit_all([first + "/mcp", second + "/mcp"], block_id)
    value = (await letta.blocks.retrieve(block_id)).value
    landed = _landed(value)
    reported = {i for i, e in outcomes if e is not None}
    said_done = {i for i, e in outcomes if e is None}
    assert said_done <= landed, f"edits reported done but missing: {sorted(said_done - landed)}"
    for _, error in outcomes:
        if error is not None:
            assert "another writer" in error or "other writers" in error, error
    assert landed | reported == set(range(EDITS))
    print(f"\n[edits] two replicas: {EDITS} attempted, {len(landed)} landed, {len(reported)} reported")


class StaleWriter:
    """Stands in for another replica: right after letta-mcp's first write of the block, it stores a value
    made before that write (`stale`, or the value as it was), as a slower replica's write would."""

    def __init__(self, base_url: str, block_id: str, stale: str | None = None) -> None:
        self.base_url = base_url
        self.block_id = block_id
        self.stale = stale
        self.before: str | None = None
        self.fired = False

    async def __call__(self, response: httpx.Response) -> None:
        request = response.request
        if self.fired or request.method != "PATCH" or not request.url.path.endswith(f"/blocks/{self.block_id}"):
            return
        self.fired = True
        async with httpx.AsyncClient(base_url=self.base_url) as other:
            value = self.stale if self.stale is not None else self.before
            await other.patch(f"/v1/blocks/{self.block_id}", json={"value": value})


async def _with_stale_writer(stack: Stack, uid: str, letta: Any, stale: str | None) -> tuple[Any, str, StaleWriter]:
    block_id = await _block(letta, uid)
    writer = StaleWriter(stack.base_url, block_id, stale)
    writer.before = (await letta.blocks.retrieve(block_id)).value
    hooked = AsyncLetta(
        base_url=stack.base_url,
        max_retries=0,
        http_client=httpx.AsyncClient(event_hooks={"response": [writer]}, timeout=60),
    )
    return create_server(settings_for(stack), letta=hooked), block_id, writer


async def test_an_edit_overwritten_by_another_replica_is_applied_again(stack: Stack, letta: Any, uid: str) -> None:
    server, block_id, writer = await _with_stale_writer(stack, uid, letta, stale=None)
    async with Client(server) as client:
        done = await call(client, "edit_block", block_id=block_id, old_text="line 03: todo", new_text="line 03: done")
    assert writer.fired, "the other writer's older value replaced the edit once"
    assert done["chars"] == len(writer.before or "")
    value = (await letta.blocks.retrieve(block_id)).value
    assert "line 03: done" in value, "the edit was applied again on what the other writer left"


async def test_an_edit_the_other_writer_made_impossible_is_reported(stack: Stack, letta: Any, uid: str) -> None:
    stale = "line 03: todo\nline 03: todo"  # the edit's old_text is no longer unique
    server, block_id, writer = await _with_stale_writer(stack, uid, letta, stale=stale)
    async with Client(server) as client:
        said = await call_error(client, "edit_block", block_id=block_id, old_text="line 03: todo", new_text="x")
    assert writer.fired
    assert "changed by another writer while this edit was being made" in said, said
    assert "occurs 2 times" in said, said
    assert (await letta.blocks.retrieve(block_id)).value == stale, "nothing written over the other writer's value"
