"""Pass-through keys: Letta judges each new key once, at a bounded rate, before any request uses it.

With ``LETTA_MCP_AUTH=passthrough`` every bearer is a would-be Letta key, and each key gets a Letta client
of its own (`callers.ClientPool`). Left unchecked, anyone could send random bearers and fill that pool,
pushing real callers' clients out. So a key is asked about once (`Reader.accepts`):

- Letta accepts it: the key is remembered, and its caller's client is pooled.
- Letta refuses it: 401 here, remembered for `REFUSED_SECONDS`, so repeating it costs Letta nothing.
- Letta cannot be asked (down, slow): the request goes on with a client of its own, never pooled, so the
  tool call reports what is wrong with Letta as it would for anyone.

New keys are asked about at most `per_minute` a minute (a bucket of `BURST`); beyond that a new key is
answered 429 with Retry-After, while keys already accepted go on being served.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from letta_mcp.core.callers import Caller
from letta_mcp.core.locks import KeyedLocks

REMEMBERED = 4096
"""Most keys remembered as accepted (and, separately, as refused); the least recently seen go first."""
REFUSED_SECONDS = 60.0
BURST = 10


@dataclass(frozen=True)
class Limited:
    """Too many new keys at once: retry after this many seconds."""

    retry_after: float


def passthrough_caller(token: str, *, pooled: bool = True) -> Caller:
    return Caller(name="key:" + hashlib.sha256(token.encode()).hexdigest()[:8], letta_api_key=token, pooled=pooled)


class KeyCheck:
    """Bearer → caller for pass-through: accepted keys, refused ones, and the rate at which new ones are asked."""

    def __init__(
        self,
        accepts: Callable[[str], Awaitable[bool | None]],
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._accepts = accepts
        self._rate = per_minute / 60.0
        self._clock = clock
        self._tokens = float(BURST)
        self._filled = clock()
        self._accepted: OrderedDict[bytes, None] = OrderedDict()
        self._refused: OrderedDict[bytes, float] = OrderedDict()
        self._asking = KeyedLocks()

    async def caller(self, token: str) -> Caller | Limited | None:
        digest = hashlib.sha256(token.encode()).digest()
        if self._known(digest) is not None:
            return self._verdict(token, digest)
        # One question per key, however many requests bring it at once.
        async with self._asking.hold(digest.hex()):
            if self._known(digest) is not None:
                return self._verdict(token, digest)
            wait = self._take()
            if wait is not None:
                return Limited(wait)
            accepted = await self._accepts(token)
        if accepted is None:
            return passthrough_caller(token, pooled=False)
        self._remember(digest, accepted)
        return self._verdict(token, digest)

    def _known(self, digest: bytes) -> bool | None:
        if digest in self._accepted:
            self._accepted.move_to_end(digest)
            return True
        refused_at = self._refused.get(digest)
        if refused_at is not None and self._clock() - refused_at < REFUSED_SECONDS:
            return False
        self._refused.pop(digest, None)
        return None

    def _verdict(self, token: str, digest: bytes) -> Caller | None:
        return passthrough_caller(token) if digest in self._accepted else None

    def _remember(self, digest: bytes, accepted: bool) -> None:
        if accepted:
            self._accepted[digest] = None
            if len(self._accepted) > REMEMBERED:
                self._accepted.popitem(last=False)
        else:
            self._refused[digest] = self._clock()
            if len(self._refused) > REMEMBERED:
                self._refused.popitem(last=False)

    def _take(self) -> float | None:
        """Take one question from the bucket; None if there was one, else the seconds until there is."""
        now = self._clock()
        self._tokens = min(float(BURST), self._tokens + (now - self._filled) * self._rate)
        self._filled = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        return (1 - self._tokens) / self._rate


__all__ = ["BURST", "KeyCheck", "Limited", "passthrough_caller"]
