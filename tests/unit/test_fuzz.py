"""Property-based tests over every tool's arguments: nothing crashes, every rejection is a clear error
that echoes none of the values, and most calls get past validation into the tool.

Arguments come from each tool's full input schema (bounds included: three calls in four) or are junk
(one in four). At least 10,000 generated calls across the default toolsets and `tools`
(LETTA_MCP_FUZZ_EXAMPLES per tool, default 430), in process, against a Letta that knows nothing; a share
over a real stdio subprocess against the real Letta is in tests/integration/test_fuzz_stdio.py.
A longer run: LETTA_MCP_FUZZ_EXAMPLES=5000 bash tests/run.sh tests/unit/test_fuzz.py
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.from_thread
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from letta_client import AsyncLetta
from mcp import Client

from letta_mcp.core.config import Settings
from letta_mcp.server import create_server
from tests.conftest import IN_CI
from tests.fuzzing import REJECTED, agent_names, arguments_for, echoed, full_schema, junk_arguments
from tests.unit.test_catalog import APP_ONLY, CATALOG

EXAMPLES = int(os.environ.get("LETTA_MCP_FUZZ_EXAMPLES", "430"))
CALLS: dict[str, Counter[str]] = defaultdict(Counter)
"""tool → {"calls", "reached" (got past validation), "ok"}."""


def fake_letta(request: httpx.Request) -> httpx.Response:
    """A Letta that knows nothing: lists are empty, everything else is not found."""
    if request.method == "GET" and request.url.path.rstrip("/").endswith(("/agents", "/blocks", "/tools")):
        return httpx.Response(200, json=[])
    return httpx.Response(404, json={"detail": "Not found"})


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Any, Client, dict[str, Any], Any]]:
    sdk = AsyncLetta(
        base_url="http://letta.test",
        max_retries=0,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(fake_letta)),
    )
    server = create_server(
        Settings(base_url="http://letta.test", toolsets="agents,messages,memory,archival,tools", read_retries=0),
        letta=sdk,
    )
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(Client(server)) as client,
    ):
        tools = {t.name: t.input_schema for t in portal.call(client.list_tools).tools}
        yield portal, client, tools, server


TOOLS = [
    name
    for toolset in ("agents", "messages", "memory", "archival", "tools")
    for name in CATALOG[toolset]
    if name not in APP_ONLY
]


HINTS = {
    "create_agent": {"name": agent_names},
    "update_agent": {"name": st.none() | agent_names},
}
"""Valid arguments a schema cannot describe: Letta's rule for agent names is a validator, not a pattern."""


@pytest.mark.parametrize("name", TOOLS)
def test_fuzz_tool(served: tuple[Any, Client, dict[str, Any], Any], name: str) -> None:
    portal, client, tools, server = served
    schema = full_schema(server, name)
    valid = arguments_for(schema, hints=HINTS.get(name))
    arguments = st.one_of(valid, valid, valid, junk_arguments(tools[name]))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=IN_CI,  # the same calls on every CI run; new ones on every local run
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(arguments=arguments)
    def check(arguments: dict[str, Any]) -> None:
        counts = CALLS[name]
        counts["calls"] += 1
        result = portal.call(client.call_tool, name, arguments)  # an invalid answer would raise here
        message = " ".join(getattr(c, "text", "") for c in result.content)
        if not message.startswith(REJECTED) and REJECTED not in message[:60]:
            counts["reached"] += 1
        if not result.is_error:
            counts["ok"] += 1
            assert result.structured_content is not None
            return
        assert message.strip(), "an error says something"
        assert "Traceback" not in message
        assert "Internal error in letta-mcp" not in message, (arguments, message)
        assert len(message) < 4_000, "errors stay short"
        if REJECTED in message:
            assert echoed(arguments, message, schema=schema) == [], "a rejection never echoes the values it rejects"
        assert echoed(arguments, message, at_least=301) == [], "no long value is ever echoed"

    check()


def test_enough_calls_reached_the_tools(served: tuple[Any, Client, dict[str, Any], Any]) -> None:
    total = sum(c["calls"] for c in CALLS.values())
    assert total >= len(TOOLS) * EXAMPLES * 0.95, total
    rows = [
        f"{name:18} {c['calls']:5} calls, {c['reached']:5} past validation, {c['ok']:5} ok" for name, c in CALLS.items()
    ]
    print(f"\n[fuzz] {total} generated calls across {len(TOOLS)} tools\n" + "\n".join(rows))
    for name in TOOLS:
        counts = CALLS[name]
        assert counts["reached"] >= counts["calls"] * 0.3, (
            f"{name}: only {counts['reached']} of {counts['calls']} got past validation"
        )


@pytest.mark.parametrize("name", ["get_run", "cancel_run"])
def test_a_run_id_that_names_another_route_is_no_run(
    served: tuple[Any, Client, dict[str, Any], Any], name: str
) -> None:
    """Found by the fuzz: run_id 'tools' fetched a list (another route's answer), and cancel_run failed inside."""
    portal, client, _, _ = served
    result = portal.call(client.call_tool, name, {"run_id": "tools"})
    message = " ".join(getattr(c, "text", "") for c in result.content)
    assert result.is_error, message
    assert "Internal error" not in message, message
