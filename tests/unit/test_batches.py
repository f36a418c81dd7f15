"""Group commit of block edits: edits queued behind a write go together in the next one, each gets its own
outcome, one caller's edits never ride on another's write, and a cancelled edit that was not yet taken is
never written."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from letta_mcp.backends.rest.batches import Batches
from letta_mcp.core.locks import KeyedLocks

pytestmark = pytest.mark.anyio


class Store:
    """A block that takes a while to write, recording each write's batch."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, list[str]]] = []
        self.lines: list[str] = []

    def commit_as(self, group: str):  # type: ignore[no-untyped-def]
        async def commit(items: list[str], stale: bool) -> list[str | Exception]:
            await anyio.sleep(0.05)
            self.writes.append((group, items))
            out: list[str | Exception] = []
            for item in items:
                if item.startswith("bad"):
                    out.append(ValueError(f"{item} does not fit"))
                else:
                    self.lines.append(item)
                    out.append(f"{item} landed")
            return out

        return commit


async def test_queued_edits_go_together_and_each_gets_its_own_outcome() -> None:
    store, batches = Store(), Batches[str, str](KeyedLocks())
    results: dict[str, object] = {}

    async def edit(item: str) -> None:
        try:
            results[item] = await batches.submit("block-1", "caller-a", item, store.commit_as("caller-a"))
        except ValueError as exc:
            results[item] = exc

    async with anyio.create_task_group() as tg:
        for n in range(20):
            tg.start_soon(edit, "bad-7" if n == 7 else f"line-{n}")
            await anyio.lowlevel.checkpoint()
    assert len(store.writes) <= 3, f"20 edits in {len(store.writes)} writes, not 20"
    assert sorted(store.lines) == sorted(f"line-{n}" for n in range(20) if n != 7), "every edit landed once"
    assert results["line-3"] == "line-3 landed"
    assert isinstance(results["bad-7"], ValueError), "one edit's failure is its own"
    assert len(batches) == 0


async def test_one_callers_edits_never_ride_on_anothers_write() -> None:
    store, batches = Store(), Batches[str, str](KeyedLocks())

    async def edit(group: str, item: str) -> None:
        await batches.submit("block-1", group, item, store.commit_as(group))

    async with anyio.create_task_group() as tg:
        for n in range(10):
            tg.start_soon(edit, "caller-a" if n % 2 else "caller-b", f"{n}-{'a' if n % 2 else 'b'}")
            await anyio.lowlevel.checkpoint()
    for group, items in store.writes:
        assert all(item.endswith(group[-1]) for item in items), (group, items)
    assert len(store.lines) == 10


async def test_an_edit_cancelled_while_queued_is_never_written() -> None:
    store, batches = Store(), Batches[str, str](KeyedLocks())
    async with anyio.create_task_group() as tg:
        tg.start_soon(batches.submit, "block-1", "a", "first", store.commit_as("a"))
        await anyio.sleep(0.01)  # "first" is being written
        with anyio.move_on_after(0.01):
            await batches.submit("block-1", "a", "given-up", store.commit_as("a"))
    await batches.submit("block-1", "a", "later", store.commit_as("a"))
    assert store.lines == ["first", "later"]
    assert len(batches) == 0
