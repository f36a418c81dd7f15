"""Clients per credential (pass-through and per-token keys): one per key, reused, at most `size`, and an
idle one closed."""

from __future__ import annotations

import pytest

from letta_mcp import callers
from letta_mcp.backends.rest import RestBackend
from letta_mcp.callers import Caller, ClientPool
from letta_mcp.config import Settings
from letta_mcp.state import AppContext, RequestState

pytestmark = pytest.mark.anyio


class Made:
    def __init__(self, key: str | None) -> None:
        self.key = key
        self.closed = False


async def _close(client: Made) -> None:
    client.closed = True


def caller(key: str) -> Caller:
    return Caller(name=key, letta_api_key=key)


async def test_one_client_per_key_reused_bounded_and_closed_when_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    now = {"t": 1000.0}
    monkeypatch.setattr(callers.time, "monotonic", lambda: now["t"])
    pool: ClientPool[Made] = ClientPool(Made, _close, size=2, idle_seconds=600)
    a = pool.get(caller("key-a"))
    assert pool.get(caller("key-a")) is a, "the same key gets the same client"
    b = pool.get(caller("key-b"))
    assert b is not a
    assert b.key == "key-b", "each client carries its own key"
    c = pool.get(caller("key-c"))  # over the size: the least recently used goes
    assert len(pool) == 2
    assert pool.has_evicted()
    await pool.close_evicted()
    assert a.closed
    assert not b.closed
    assert not c.closed
    now["t"] += 601  # b and c unused for longer than idle_seconds; a new key's arrival closes them
    d = pool.get(caller("key-d"))
    await pool.close_evicted()
    assert b.closed
    assert c.closed
    assert not d.closed
    await pool.aclose()
    assert d.closed


def test_the_rest_backend_keeps_one_client_per_callers_key() -> None:
    settings = Settings(base_url="http://letta.invalid", auth="passthrough", transport="http")
    backend = RestBackend(settings)
    shared = AppContext(settings, backend)
    clients = [backend.client_for(RequestState(shared, caller(key))) for key in ("key-1", "key-2", "key-1")]
    assert clients[0] is clients[2], "the same key: the same client"
    assert clients[0] is not clients[1]
    assert clients[0].api_key == "key-1"
    assert clients[1].api_key == "key-2", "a caller's key never serves another"
