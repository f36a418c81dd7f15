"""Every error class reaches the model as an actionable tool error; reads retry, writes never do.

Faults are injected under the real client stack: `AsyncLetta(http_client=httpx.AsyncClient(transport=
MockTransport(...)))`, so letta_client's own error mapping runs exactly as in production.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from letta_client import AsyncLetta
from mcp import Client

from letta_mcp.core.config import Settings
from letta_mcp.server import create_server
from tests.helpers import call, call_error

SECRET = "sk-very-secret-key-123"
AGENT_ID = "agent-00000000-0000-4000-8000-000000000000"
AGENT = {
    "id": AGENT_ID,
    "name": "a",
    "agent_type": "letta_v1_agent",
    "blocks": [],
    "tools": [],
    "tags": [],
    "llm_config": {"model": "m", "model_endpoint_type": "openai", "context_window": 1000},
    "embedding_config": {"embedding_model": "e", "embedding_endpoint_type": "openai", "embedding_dim": 8},
    "memory": {"blocks": []},
    "system": "",
    "sources": [],
}

pytestmark = pytest.mark.anyio


class Recorder:
    def __init__(self, respond: Callable[[httpx.Request], httpx.Response]) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)

    def count(self, method: str) -> int:
        return sum(1 for r in self.requests if r.method == method)


def server_with(recorder: Recorder, **overrides: Any) -> Any:
    # Without the ask toolset: its look-ups of exposed agents would add requests to the counts.
    overrides.setdefault("toolsets", "agents,messages,memory,archival,tools")
    settings = Settings(base_url="http://letta.test", api_key=SECRET, **overrides)
    sdk = AsyncLetta(
        base_url="http://letta.test",
        api_key=SECRET,
        max_retries=0,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(recorder)),
    )
    return create_server(settings, letta=sdk)


def status(
    code: int, body: Any = None, headers: dict[str, str] | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(
        code, json=body if body is not None else {"detail": f"boom {code}"}, headers=headers
    )


@pytest.mark.parametrize(
    ("code", "body", "headers", "expected"),
    [
        (401, {"detail": "Invalid API key"}, None, "LETTA_API_KEY"),
        (403, {"detail": "forbidden"}, None, "403"),
        (404, {"detail": "Agent agent-x not found"}, None, "list_agents"),
        (422, {"detail": [{"loc": ["body", "model"], "msg": "field required"}]}, None, "field required"),
        (400, {"detail": "Invalid model handle"}, None, "Invalid model handle"),
        (409, {"detail": "already exists"}, None, "Conflict"),
        (429, {"detail": "slow down"}, {"retry-after": "20"}, "retry in 20 s"),
        (500, {"detail": f"Traceback (most recent call last): ... {SECRET}"}, None, "HTTP 500"),
    ],
)
async def test_status_errors_are_actionable(code: int, body: Any, headers: Any, expected: str) -> None:
    recorder = Recorder(status(code, body, headers))
    async with Client(server_with(recorder)) as client:
        message = await call_error(client, "get_agent", agent=AGENT_ID)
    assert expected in message
    assert SECRET not in message
    assert "Traceback" not in message


async def test_unreachable_letta_names_the_url_and_keeps_serving() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(base_url=f"http://127.0.0.1:{port}", read_retries=1, connect_timeout=1)
    async with Client(create_server(settings)) as client:
        first = await call_error(client, "list_agents")
        second = await call_error(client, "get_agent", agent="anything")
        tools = await client.list_tools()
    assert f"unreachable at http://127.0.0.1:{port}" in first
    assert "LETTA_BASE_URL" in first
    assert "unreachable" in second
    assert tools.tools, "the server still answers after Letta failures"


async def test_timeout_says_so_and_warns_that_a_write_may_have_happened() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("too slow", request=request)

    recorder = Recorder(slow)
    async with Client(server_with(recorder)) as client:
        read = await call_error(client, "get_agent", agent=AGENT_ID)
        write = await call_error(client, "insert_archival", agent=AGENT_ID, text="x")
    assert "did not answer in time" in read
    assert "Retrying the call is safe" in read
    assert "may or may not have been applied" in write
    assert recorder.count("POST") == 1, "a timed-out write is never retried"


async def test_reads_retry_transient_failures_then_succeed() -> None:
    calls = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ConnectError("reset", request=request)
        if calls["n"] == 2:
            return httpx.Response(503, json={"detail": "unavailable"})
        return httpx.Response(200, json=AGENT)

    recorder = Recorder(flaky)
    async with Client(server_with(recorder)) as client:
        out = await call(client, "get_agent", agent=AGENT_ID)
    assert out["id"] == AGENT_ID
    assert recorder.count("GET") == 3


async def test_reads_give_up_after_the_configured_retries() -> None:
    recorder = Recorder(status(502))
    async with Client(server_with(recorder, read_retries=2)) as client:
        message = await call_error(client, "get_agent", agent=AGENT_ID)
    assert "HTTP 502" in message
    assert recorder.count("GET") == 3


@pytest.mark.parametrize("code", [500, 502, 503, 429])
async def test_writes_are_never_retried(code: int) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=AGENT)
        return httpx.Response(code, json={"detail": "no"}, headers={"retry-after": "0"})

    recorder = Recorder(respond)
    async with Client(server_with(recorder)) as client:
        await call_error(client, "send_message", agent=AGENT_ID, message="hi")
        await call_error(client, "insert_archival", agent=AGENT_ID, text="fact")
    assert recorder.count("POST") == 2, "each write reached Letta exactly once"


async def test_malformed_body_is_reported_without_internals() -> None:
    recorder = Recorder(lambda request: httpx.Response(200, content=b"<html>not json"))
    async with Client(server_with(recorder)) as client:
        message = await call_error(client, "get_agent", agent=AGENT_ID)
    assert "Traceback" not in message
    assert "letta-mcp" in message or "Letta" in message


async def test_an_unexpected_failure_is_logged_and_reported_briefly(caplog: pytest.LogCaptureFixture) -> None:
    # Letta answers 200 with a shape letta-mcp cannot use: a bug on our side, not the model's.
    recorder = Recorder(lambda request: httpx.Response(200, json={**AGENT, "tags": 5}))
    async with Client(server_with(recorder)) as client:
        message = await call_error(client, "get_agent", agent=AGENT_ID)
        again = await client.list_tools()
    assert "Internal error in letta-mcp (incident" in message
    assert "Traceback" not in message
    assert "TypeError" not in message
    assert again.tools
    assert any("Unexpected error in tool get_agent" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_search_messages_uses_letta_cloud_search_when_there() -> None:
    hit = {
        "message_type": "user_message",
        "content": "the zebra password",
        "created_at": "2026-01-01T00:00:00Z",
        "message_id": "message-1",
        "agent_id": AGENT_ID,
    }

    def cloud(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/messages/search":
            return httpx.Response(200, json=[hit])
        return httpx.Response(404, json={"detail": "unexpected"})

    recorder = Recorder(cloud)
    async with Client(server_with(recorder)) as client:
        out = await call(client, "search_messages", agent=AGENT_ID, query="zebra")
    assert out["source"] == "letta message search"
    assert out["hits"] == [{"role": "user", "date": "2026-01-01T00:00:00+00:00", "text": "the zebra password"}]
    assert not any("tools" in r.url.path for r in recorder.requests), "no fallback when Cloud search answers"


async def test_what_fuzzing_found_is_refused_with_its_reason_and_nothing_is_sent() -> None:
    """Inputs hypothesis found that once reached the model as "Internal error": a blank conversation id
    (letta-client refuses an empty path segment), an id that is a dot segment, and name: null on
    update_agent (the name rule ran on None)."""
    recorder = Recorder(lambda request: httpx.Response(200, json=AGENT))
    async with Client(server_with(recorder)) as client:
        blank = await call_error(client, "send_message", agent=AGENT_ID, message="hi", conversation=" ")
        dot = await call_error(client, "get_run", run_id=".")
        dots = await call_error(client, "cancel_run", run_id="..")
        renamed = await client.call_tool("update_agent", {"agent": AGENT_ID, "name": None, "description": "d"})
    assert "Invalid arguments for send_message" in blank
    assert "conversation" in blank
    for message in (dot, dots):
        assert "cannot name anything in Letta" in message, message
        assert "Internal error" not in message
    assert not recorder.requests or all(r.url.path.rstrip("/").endswith(AGENT_ID) for r in recorder.requests)
    assert not renamed.is_error, renamed.content
