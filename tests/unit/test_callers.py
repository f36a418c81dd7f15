"""Clients per credential (pass-through and per-token keys): one per key, reused, at most `size`, an idle one
closed, and none closed while a request holds it."""

from __future__ import annotations

import pytest

from letta_mcp.backends.rest import RestBackend
from letta_mcp.core import callers
from letta_mcp.core.callers import Caller, ClientPool
from letta_mcp.core.config import Settings
from letta_mcp.core.state import AppContext, RequestState

pytestmark = pytest.mark.anyio


class Made:
    def __init__(self, key: str | None) -> None:
        self.key = key
        self.closed = False


async def _close(client: Made) -> None:
    client.closed = True


def caller(key: str) -> Caller:
    return Caller(name=key, letta_api_key=key)


class Holder:
    """Stands for a request: a client is leased to it for as long as it lives."""


async def test_one_client_per_key_reused_bounded_and_closed_when_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    now = {"t": 1000.0}
    monkeypatch.setattr(callers.time, "monotonic", lambda: now["t"])
    pool: ClientPool[Made] = ClientPool(Made, _close, size=2, idle_seconds=600)
    a = pool.get(caller("key-a"), Holder())
    assert pool.get(caller("key-a"), Holder()) is a, "the same key gets the same client"
    b = pool.get(caller("key-b"), Holder())
    assert b is not a
    assert b.key == "key-b", "each client carries its own key"
    c = pool.get(caller("key-c"), Holder())  # over the size: the least recently used goes
    assert len(pool) == 2
    assert pool.has_evicted()
    await pool.close_evicted()
    assert a.closed
    assert not b.closed
    assert not c.closed
    now["t"] += 601  # b and c unused for longer than idle_seconds; a new key's arrival closes them
    d = pool.get(caller("key-d"), Holder())
    await pool.close_evicted()
    assert b.closed
    assert c.closed
    assert not d.closed
    await pool.aclose()
    assert d.closed


async def test_a_client_in_use_is_not_closed_when_the_pool_drops_it() -> None:
    """#21: a flood of other keys pushed a caller's client out of the pool and closed it mid-request."""
    pool: ClientPool[Made] = ClientPool(Made, _close, size=1, idle_seconds=600)
    busy = Holder()
    mine = pool.get(caller("mine"), busy)
    for n in range(70):
        pool.get(caller(f"flood-{n}"), Holder())
    await pool.close_evicted()
    assert not mine.closed, "a request still holds it"
    del busy
    assert pool.has_evicted(), "its last holder let go"
    await pool.close_evicted()
    assert mine.closed


async def test_a_client_for_an_unchecked_key_serves_its_request_only() -> None:
    pool: ClientPool[Made] = ClientPool(Made, _close, size=4, idle_seconds=600)
    kept = pool.get(caller("kept"), Holder())
    request = Holder()
    unchecked = Caller(name="x", letta_api_key="unchecked", pooled=False)
    once = pool.get(unchecked, request)
    assert len(pool) == 1, "not pooled: it pushes nobody out"
    assert pool.get(unchecked, Holder()) is not once
    del request
    await pool.close_evicted()
    assert once.closed
    assert not kept.closed


def test_the_rest_backend_keeps_one_client_per_callers_key() -> None:
    settings = Settings(base_url="http://letta.invalid", auth="passthrough", transport="http")
    backend = RestBackend(settings)
    shared = AppContext(settings, backend)
    requests = [RequestState(shared, caller(key)) for key in ("key-1", "key-2", "key-1")]
    clients = [backend.client_for(request) for request in requests]
    assert clients[0] is clients[2], "the same key: the same client"
    assert clients[0] is not clients[1]
    assert clients[0].api_key == "key-1"
    assert clients[1].api_key == "key-2", "a caller's key never serves another"
