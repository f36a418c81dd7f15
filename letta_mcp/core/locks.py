"""One lock per key (a memory block), held for a read-modify-write, and kept only while it is in use.

A server serialises its own writes to each block with these: two callers editing different parts of
one block at the same moment would otherwise each write back the value they read, and one edit would
be lost. Writes from other processes (replicas, workers) are checked against Letta instead (see the
backends' block writes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio


class KeyedLocks:
    def __init__(self) -> None:
        self._held: dict[str, tuple[anyio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[bool]:
        """Hold `key`'s lock; yields whether another holder had it first (what was read before may be stale)."""
        lock, users = self._held.get(key) or (anyio.Lock(), 0)
        self._held[key] = (lock, users + 1)
        waited = lock.locked()
        try:
            async with lock:
                yield waited
        finally:
            lock, users = self._held[key]
            if users == 1:
                del self._held[key]
            else:
                self._held[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._held)


__all__ = ["KeyedLocks"]
