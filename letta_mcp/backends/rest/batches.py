"""Writes that queue for one key go together: a group commit, on top of the per-key locks (`locks`).

One write to a block holds the block's lock for a Letta round trip and the wait that checks it against
other processes' writes (see `backends.rest.memory`): about a second under load. Serialising edits one
by one then caps a shared block at about one edit a second, and everyone who edits it queues behind
that. Instead, whichever caller gets the lock next commits every edit that queued meanwhile in one
write, and each caller gets its own edit's outcome.

Only items of one `group` go together (the caller's credential and scope): a batch is written with its
leader's Letta client, which must never carry another caller's edit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import anyio

from letta_mcp.core.locks import KeyedLocks

T = TypeVar("T")
R = TypeVar("R")


class _Pending(Generic[T, R]):
    def __init__(self, item: T) -> None:
        self.item = item
        self.taken = False
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


Commit = Callable[[list[T], bool], Awaitable[list[R | Exception]]]
"""Write the items together; `stale` says whether what the leader read before queueing may be out of date.
Returns each item's outcome, in order: its result, or the exception its submitter raises."""


class Batches(Generic[T, R]):
    def __init__(self, locks: KeyedLocks) -> None:
        self._locks = locks
        self._queues: dict[tuple[str, str], list[_Pending[T, R]]] = {}

    async def submit(self, key: str, group: str, item: T, commit: Commit[T, R]) -> R:
        """`item`'s outcome, committed by this call or by the one that held `key`'s lock before it."""
        pending: _Pending[T, R] = _Pending(item)
        queue = self._queues.setdefault((key, group), [])
        queue.append(pending)
        try:
            async with self._locks.hold(key) as waited:
                if not pending.done:
                    await self._lead(key, group, commit, stale=waited)
        finally:
            if not pending.taken:  # cancelled while queued: never written
                queue.remove(pending)
                if not queue and self._queues.get((key, group)) is queue:
                    del self._queues[(key, group)]
        if pending.error is not None:
            raise pending.error
        return pending.result  # type: ignore[return-value]

    async def _lead(self, key: str, group: str, commit: Commit[T, R], *, stale: bool) -> None:
        batch = self._queues.pop((key, group), [])
        for p in batch:
            p.taken = True
        # Others' edits ride on this call: a cancelled leader must not cancel their write halfway.
        with anyio.CancelScope(shield=len(batch) > 1):
            try:
                outcomes = await commit([p.item for p in batch], stale or len(batch) > 1)
            except Exception as exc:  # noqa: BLE001 — every item of the batch fails the same way
                outcomes = [exc] * len(batch)
        for p, outcome in zip(batch, outcomes, strict=True):
            p.done = True
            if isinstance(outcome, Exception):
                p.error = outcome
            else:
                p.result = outcome

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues.values())


__all__ = ["Batches"]
