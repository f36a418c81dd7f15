"""Pass-through keys (#21): Letta judges each new key once, a refused key is answered here, and new keys
come in at a bounded rate while accepted ones go on being served."""

from __future__ import annotations

import anyio
import httpx2
import pytest
from starlette.types import Receive, Scope, Send

from letta_mcp.core.callers import CALLER_KEY, Caller
from letta_mcp.transports.asgi import send_json
from letta_mcp.transports.auth import BearerAuth
from letta_mcp.transports.keycheck import BURST, KeyCheck, Limited

pytestmark = pytest.mark.anyio


class Letta:
    """Takes keys starting with "good", refuses the rest; `down` means it cannot be asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.down = False

    async def accepts(self, key: str) -> bool | None:
        self.asked.append(key)
        await anyio.sleep(0.01)
        return None if self.down else key.startswith("good")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_key_is_asked_about_once_and_the_answer_kept() -> None:
    letta, clock = Letta(), Clock()
    check = KeyCheck(letta.accepts, per_minute=60, clock=clock)
    accepted = await check.caller("good-1")
    assert isinstance(accepted, Caller)
    assert accepted.letta_api_key == "good-1"
    assert accepted.pooled
    assert await check.caller("bad-1") is None, "Letta refused it"
    assert isinstance(await check.caller("good-1"), Caller)
    assert await check.caller("bad-1") is None
    assert letta.asked == ["good-1", "bad-1"], "each key asked about once"
    clock.now += 61
    assert await check.caller("bad-1") is None
    assert letta.asked[-1] == "bad-1", "a refusal is remembered for a minute, then asked again"


async def test_requests_bringing_one_new_key_at_once_ask_once() -> None:
    letta = Letta()
    check = KeyCheck(letta.accepts, per_minute=60)
    got: list[object] = []

    async def one() -> None:
        got.append(await check.caller("good-same"))

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(one)
    assert all(isinstance(c, Caller) for c in got)
    assert letta.asked == ["good-same"]


async def test_when_letta_cannot_be_asked_the_request_goes_on_unpooled() -> None:
    letta = Letta()
    letta.down = True
    check = KeyCheck(letta.accepts, per_minute=60)
    caller = await check.caller("good-1")
    assert isinstance(caller, Caller)
    assert not caller.pooled, "its client serves this request only"
    letta.down = False
    again = await check.caller("good-1")
    assert isinstance(again, Caller)
    assert again.pooled, "nothing was remembered: asked again once Letta answers"


async def test_new_keys_come_in_at_a_bounded_rate_and_accepted_ones_go_on() -> None:
    """#21: 70 random bearers in a row made 70 clients; now past a burst of BURST they wait."""
    letta, clock = Letta(), Clock()
    check = KeyCheck(letta.accepts, per_minute=60, clock=clock)
    assert isinstance(await check.caller("good-mine"), Caller)
    answers = [await check.caller(f"random-{n}") for n in range(70)]
    limited = [a for a in answers if isinstance(a, Limited)]
    assert len(letta.asked) == BURST, "one for good-mine, the rest of the burst for random keys"
    assert len(limited) == 70 - (BURST - 1)
    assert 0 < limited[0].retry_after <= 1.0, "60 a minute: one more a second"
    assert isinstance(await check.caller("good-mine"), Caller), "an accepted key is served during the flood"
    clock.now += 1
    assert await check.caller("random-late") is None, "a second later, one more new key is asked about"
    assert isinstance(await check.caller("good-new"), Limited)


async def test_the_endpoint_answers_429_with_retry_after_and_401_for_a_refused_key() -> None:
    letta, clock = Letta(), Clock()
    check = KeyCheck(letta.accepts, per_minute=6, clock=clock)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        caller = scope["state"][CALLER_KEY]
        await send_json(send, 200, {"caller": caller.name})

    transport = httpx2.ASGITransport(app=BearerAuth(app, check.caller))
    async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:

        async def post(key: str) -> httpx2.Response:
            return await http.post("/mcp", headers={"Authorization": f"Bearer {key}"})

        assert (await post("good-1")).status_code == 200
        refused = await post("bad-1")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        for n in range(BURST):
            await post(f"bad-more-{n}")
        limited = await post("good-2")
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "10", "6 a minute: one every 10 s"
        assert limited.json()["error"] == "rate_limited"
        assert (await post("good-1")).status_code == 200
