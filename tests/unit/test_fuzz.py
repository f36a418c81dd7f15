"""Property-based tests over every tool's arguments: nothing crashes, every rejection is a clear error.

At least 10,000 generated calls across the catalog (LETTA_MCP_FUZZ_EXAMPLES per tool, default 430 ×
24 tools). A longer run: LETTA_MCP_FUZZ_EXAMPLES=5000 bash tests/run.sh tests/unit/test_fuzz.py
"""

from __future__ import annotations

import os
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

from letta_mcp.config import Settings
from letta_mcp.server import create_server
from tests.unit.test_catalog import APP_ONLY, CATALOG

EXAMPLES = int(os.environ.get("LETTA_MCP_FUZZ_EXAMPLES", "430"))
CALLS = {"n": 0}


def fake_letta(request: httpx.Request) -> httpx.Response:
    """A Letta that knows nothing: lists are empty, everything else is not found."""
    if request.method == "GET" and request.url.path.rstrip("/").endswith(("/agents", "/blocks", "/tools")):
        return httpx.Response(200, json=[])
    return httpx.Response(404, json={"detail": "Not found"})


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Any, Client, dict[str, Any]]]:
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
        yield portal, client, tools


text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\u202e",
            "a" * 200_000,
            "agent-00000000-0000-4000-8000-000000000000",
            "block-1",
            "run-x",
            "passage-1",
            "human",
            "-1",
            "null",
            "{}",
            "'; DROP TABLE agents; --",
        ]
    ),
)
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
)
value = st.recursive(
    scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=3), max_leaves=6
)


def arguments_for(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    names = list(schema.get("properties", {}))
    keys = st.sampled_from(names) if names else st.nothing()
    return st.dictionaries(keys | text, value, max_size=len(names) + 2)


TOOLS = [
    name
    for toolset in ("agents", "messages", "memory", "archival", "tools")
    for name in CATALOG[toolset]
    if name not in APP_ONLY
]


@pytest.mark.parametrize("name", TOOLS)
def test_fuzz_tool(served: tuple[Any, Client, dict[str, Any]], name: str) -> None:
    portal, client, tools = served

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(arguments=arguments_for(tools[name]))
    def check(arguments: dict[str, Any]) -> None:
        CALLS["n"] += 1
        result = portal.call(client.call_tool, name, arguments)  # a protocol violation would raise here
        if not result.is_error:
            assert result.structured_content is not None
            return
        message = " ".join(getattr(c, "text", "") for c in result.content)
        assert message.strip(), "an error says something"
        assert "Traceback" not in message
        assert "Internal error in letta-mcp" not in message, (arguments, message)
        assert len(message) < 4_000, "errors stay short"
        if message.startswith("Error executing tool") and "Invalid arguments" in message:
            assert "input_value" not in message, "rejected values are never echoed"

    check()


def test_enough_calls_were_generated(served: tuple[Any, Client, dict[str, Any]]) -> None:
    assert CALLS["n"] >= len(TOOLS) * EXAMPLES * 0.95, CALLS["n"]
    print(f"\n[fuzz] {CALLS['n']} generated calls across {len(TOOLS)} tools")
