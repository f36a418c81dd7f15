"""Every tool under every fault, between letta-mcp and the real Letta server.

A transport under `AsyncLetta(http_client=…)` forwards to the real server and injects the fault, so
the whole client stack runs as in production and Letta's state is real: a write that reached Letta
and lost its answer must not be repeated (one message, one passage, one edit), reads may be retried,
every failure is a tool error that says what happened, and once Letta is healthy again the same
server process works.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from letta_client import AsyncLetta
from mcp import Client

from letta_mcp.server import create_server
from tests.conftest import settings_for
from tests.helpers import call
from tests.stack.letta_stack import Stack

pytestmark = pytest.mark.anyio

FAULTS = ["refused", "reset_after_sending", "stream_cut", "500", "502", "503", "429", "timeout", "malformed"]
PHRASES = {
    "refused": "Letta is unreachable at",
    "reset_after_sending": "was reset before its answer arrived",
    "stream_cut": "Letta's answer was cut off",
    "500": "Letta failed with HTTP 500",
    "502": "Letta failed with HTTP 502",
    "503": "Letta failed with HTTP 503",
    "429": "Rate limited by Letta (429): retry in 30 s",
    "timeout": "did not answer in time",
    "malformed": "could not read",
}
"""What the model reads for each fault."""


class _CutStream(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream) -> None:
        self.stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.stream:
            yield chunk[: max(1, len(chunk) // 2)]
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    async def aclose(self) -> None:
        await self.stream.aclose()


class FaultTransport(httpx.AsyncBaseTransport):
    """Forwards to Letta; while `fault` is set, injects it (before or after the request reaches Letta)."""

    def __init__(self) -> None:
        self.real = httpx.AsyncHTTPTransport()
        self.fault: str | None = None
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.fault
        if fault == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if fault in ("500", "502", "503"):
            return httpx.Response(int(fault), json={"detail": f"injected {fault}"}, request=request)
        if fault == "429":
            return httpx.Response(429, json={"detail": "slow down"}, headers={"retry-after": "30"}, request=request)
        self.sent.append(request)
        response = await self.real.handle_async_request(request)
        if fault == "reset_after_sending":
            await response.aclose()
            raise httpx.ReadError("connection reset by peer", request=request)
        if fault == "timeout":
            await response.aclose()
            raise httpx.ReadTimeout("timed out", request=request)
        if fault == "malformed":
            await response.aclose()
            return httpx.Response(
                200, content=b'{"id": "agent-', headers={"content-type": "application/json"}, request=request
            )
        if fault == "stream_cut":
            return httpx.Response(
                response.status_code, headers=response.headers, stream=_CutStream(response.stream), request=request
            )  # type: ignore[arg-type]
        return response

    async def aclose(self) -> None:
        await self.real.aclose()


def faulty_letta(stack: Stack) -> tuple[FaultTransport, AsyncLetta]:
    """The Letta SDK as letta-mcp builds it, over a transport that injects faults on demand."""
    transport = FaultTransport()
    sdk = AsyncLetta(
        base_url=stack.base_url,
        max_retries=0,
        timeout=30,
        http_client=httpx.AsyncClient(transport=transport, timeout=30),
    )
    return transport, sdk


@pytest.fixture
async def world(stack: Stack, letta: Any, uid: str) -> dict[str, Any]:
    """An agent with a block, a passage, a shared block and a tool, for every tool's arguments."""
    agent = await letta.agents.create(
        name=f"{uid}-f",
        model=stack.model,
        embedding=stack.embedding,
        memory_blocks=[{"label": "notes", "value": "alpha beta", "limit": 5000}],
    )
    shared = await letta.blocks.create(label=f"shared{uid}", value="s")
    passage = (await letta.agents.passages.create(agent.id, text="a stored fact"))[0]
    source = (
        f"def tool_{uid}(x: int) -> int:\n"
        '    """Echo x.\n\n    Args:\n        x: a number\n\n    Returns:\n        int: x\n    """\n'
        "    return x\n"
    )
    tool = await letta.tools.upsert(source_code=source)
    return {"agent": agent, "shared": shared, "passage": passage, "tool": tool, "source": source}


def arguments(w: dict[str, Any], uid: str) -> dict[str, dict[str, Any]]:
    a = w["agent"].id
    return {
        "list_agents": {},
        "get_agent": {"agent": a},
        "create_agent": {"name": f"{uid}-created-{uuid.uuid4().hex[:6]}"},
        "update_agent": {"agent": a, "description": "changed"},
        "delete_agent": {"agent": "agent-00000000-0000-4000-8000-000000000000"},
        "list_models": {},
        "send_message": {"agent": a, "message": f"hello {uuid.uuid4().hex[:6]}"},
        "get_run": {"run_id": "run-00000000-0000-4000-8000-000000000000"},
        "cancel_run": {"run_id": "run-00000000-0000-4000-8000-000000000000"},
        "respond_to_approval": {"run_id": "run-00000000-0000-4000-8000-000000000000", "approve": False},
        "list_messages": {"agent": a},
        "search_messages": {"agent": a, "query": "hello"},
        "list_blocks": {"agent": a},
        "get_block": {"agent": a, "label": "notes"},
        "update_block": {"agent": a, "label": "notes", "value": "alpha beta"},
        "edit_block": {"agent": a, "label": "notes", "insert_text": "gamma", "line": -1},
        "create_block": {"label": f"b{uuid.uuid4().hex[:6]}", "value": "v"},
        "attach_block": {"agent": a, "block_id": w["shared"].id},
        "detach_block": {"agent": a, "block_id": w["shared"].id},
        "insert_archival": {"agent": a, "text": f"fact {uuid.uuid4().hex[:6]}"},
        "search_archival": {"agent": a, "query": "fact"},
        "delete_archival": {"agent": a, "passage_id": "passage-00000000-0000-4000-8000-000000000000"},
        "list_tools": {},
        "create_tool": {"source_code": w["source"]},
        "attach_tool": {"agent": a, "tool": w["tool"].id},
        "detach_tool": {"agent": a, "tool": w["tool"].id},
    }


async def test_every_tool_under_every_fault(stack: Stack, world: dict[str, Any], uid: str) -> None:
    transport, sdk = faulty_letta(stack)
    settings = settings_for(stack, read_retries=1, wait_seconds=20, toolsets="agents,messages,memory,archival,tools")
    tried = survived = 0
    async with Client(create_server(settings, letta=sdk)) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        args = arguments(world, uid)
        assert set(names) == set(args), set(names) ^ set(args)
        for fault in FAULTS:
            for name in names:
                transport.fault = fault
                result = await client.call_tool(name, args[name])
                text = " ".join(getattr(c, "text", "") for c in result.content)
                # Every fault is an error that names it, except a cut stream, which may cut nothing of a
                # small body. A 404 for the made-up ids some tools use is not what this is about: the fault
                # comes first, before any answer says "not found".
                if fault == "stream_cut" and not result.is_error:
                    survived += 1
                else:
                    assert result.is_error, (fault, name, "a fault must not look like a success")
                    assert "Traceback" not in text, (fault, name, text)
                    assert "Internal error" not in text, (fault, name, text)
                    assert PHRASES[fault] in text, (fault, name, text)
                tried += 1
                transport.fault = None
                healthy = await client.call_tool("get_agent", {"agent": world["agent"].id})
                assert not healthy.is_error, (fault, name, healthy.content)
    print(
        f"\n[faults] {len(FAULTS)} faults x {len(names)} tools = {tried} faulty calls, each followed by a healthy one; "
        f"{survived} survived a cut stream"
    )
    await sdk.close()


@pytest.mark.parametrize("fault", ["reset_after_sending", "timeout", "stream_cut"])
async def test_a_write_whose_answer_is_lost_is_not_repeated(
    stack: Stack, letta: Any, world: dict[str, Any], uid: str, fault: str
) -> None:
    transport, sdk = faulty_letta(stack)
    agent = world["agent"].id
    settings = settings_for(stack, read_retries=3, toolsets="agents,messages,memory,archival")
    message, fact = f"only once {uid}", f"fact once {uid}"
    async with Client(create_server(settings, letta=sdk)) as client:

        async def write(tool: str, arguments: dict[str, Any]) -> None:
            # Fail only the write itself (a POST/PATCH), after Letta has it.
            def is_write(request: httpx.Request) -> bool:
                return request.method in ("POST", "PATCH", "PUT")

            original = transport.handle_async_request

            async def faulty(request: httpx.Request) -> httpx.Response:
                transport.fault = fault if is_write(request) else None
                try:
                    return await original(request)
                finally:
                    transport.fault = None

            transport.handle_async_request = faulty  # type: ignore[method-assign]
            try:
                result = await client.call_tool(tool, arguments)
            finally:
                transport.handle_async_request = original  # type: ignore[method-assign]
            text = " ".join(getattr(c, "text", "") for c in result.content)
            if result.is_error:
                assert "may or may not have been applied" in text, (fault, tool, text)

        await write("send_message", {"agent": agent, "message": message})
        await write("insert_archival", {"agent": agent, "text": fact})
        await write("edit_block", {"agent": agent, "label": "notes", "insert_text": "once", "line": -1})
    users: list[Any] = []
    for _ in range(150):  # the turn may still be running in Letta: wait (up to 30 s) until it has the message
        users = [
            m
            for m in (await letta.agents.messages.list(agent, limit=100)).items
            if m.message_type == "user_message" and message in json.dumps(m.model_dump(mode="json"))
        ]
        runs = (await letta.runs.list(agent_id=agent, active=True, limit=5)).items
        if users and not runs:
            break
        await anyio.sleep(0.2)
    assert len(users) == 1, f"{fault}: the message reached the agent {len(users)} times"
    passages = [p for p in await letta.agents.passages.list(agent, limit=100) if p.text == fact]
    assert len(passages) == 1, f"{fault}: {len(passages)} passages"
    notes = (await letta.agents.blocks.retrieve("notes", agent_id=agent)).value
    assert notes.count("once") == 1, f"{fault}: block edited {notes.count('once')} times: {notes!r}"
    await sdk.close()


async def test_reads_retry_and_the_same_process_recovers(stack: Stack, world: dict[str, Any]) -> None:
    transport = FaultTransport()
    sdk = AsyncLetta(
        base_url=stack.base_url, max_retries=0, http_client=httpx.AsyncClient(transport=transport, timeout=30)
    )
    async with Client(create_server(settings_for(stack, read_retries=2), letta=sdk)) as client:
        calls = {"n": 0}
        original = transport.handle_async_request

        async def flaky(request: httpx.Request) -> httpx.Response:
            calls["n"] += 1
            transport.fault = "502" if calls["n"] <= 2 else None
            return await original(request)

        transport.handle_async_request = flaky  # type: ignore[method-assign]
        out = await call(client, "get_block", agent=world["agent"].id, label="notes")
        assert out["value"].startswith("alpha beta")
        assert calls["n"] == 3, "two transient failures, then the retry that worked"
        transport.handle_async_request = original  # type: ignore[method-assign]
        transport.fault = "refused"
        down = await client.call_tool("list_agents", {})
        assert down.is_error
        transport.fault = None
        assert not (await client.call_tool("list_agents", {})).is_error
    await sdk.close()
