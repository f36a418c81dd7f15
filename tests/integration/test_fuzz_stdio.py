"""A share of the fuzzing over a real stdio subprocess against the real Letta: arguments from each tool's
full schema, with ids of things that exist, so that writes succeed; every line the server writes is a
JSON-RPC answer to the call just made (nothing else on stdout), and no error echoes a rejected value."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from letta_client import Letta

from letta_mcp.core.config import Settings
from letta_mcp.server import create_server
from tests.fuzzing import REJECTED, arguments_for, echoed, full_schema, junk_arguments
from tests.stack.letta_stack import Stack
from tests.subprocess_server import stdio_params
from tests.unit.test_catalog import APP_ONLY, CATALOG

EXAMPLES = int(os.environ.get("LETTA_MCP_FUZZ_STDIO_EXAMPLES", "16"))
TOOLSETS = ("agents", "messages", "memory", "archival", "tools")
TOOLS = [name for toolset in TOOLSETS for name in CATALOG[toolset] if name not in APP_ONLY]
DESTRUCTIVE = {"delete_agent", "delete_archival", "detach_block", "detach_tool", "cancel_run"}
"""Given random ids only, so that the things the others use stay."""
MUST_SUCCEED = {"list_agents", "get_agent", "create_agent", "send_message", "get_block", "update_block"}
MUST_SUCCEED |= {"insert_archival", "search_archival", "list_messages", "create_block", "list_tools"}
CALLS: dict[str, Counter[str]] = defaultdict(Counter)


class Wire:
    """letta-mcp over stdio, spoken to line by line: each answer must be the next line, with our id."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.next_id = 0

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            assert line, "the server closed stdout"
            answer: dict[str, Any] = json.loads(line)  # anything else on stdout fails here
            assert answer.get("jsonrpc") == "2.0", answer
            if "method" in answer and "id" not in answer:
                continue  # a notification (a tools/list_changed, a log message)
            assert answer.get("id") == self.next_id, answer
            return answer


@pytest.fixture(scope="module")
def wire(stack: Stack) -> Iterator[Wire]:
    params = stdio_params(stack)
    proc = subprocess.Popen(
        [params.command, *params.args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**(params.env or {}), "LETTA_MCP_TOOLSETS": ",".join(TOOLSETS)},
        cwd=params.cwd,
    )
    w = Wire(proc)
    init = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "0"}}
    assert "result" in w.request("initialize", init)
    assert proc.stdin is not None
    proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
    yield w
    proc.stdin.close()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def existing(stack: Stack) -> dict[str, st.SearchStrategy[Any]]:
    """Ids and names of things that exist, as hints for the properties that name them."""
    letta = Letta(base_url=stack.base_url)
    agent = letta.agents.create(
        name="fuzz-target",
        model=stack.model,
        embedding=stack.embedding,
        memory_blocks=[{"label": "human", "value": "likes tea"}, {"label": "persona", "value": "helpful"}],
    )
    block = letta.blocks.create(label="fuzz-shared", value="shared text", limit=100_000)
    passage = letta.agents.passages.create(agent.id, text="a fact")[0]
    tool = letta.tools.list(limit=1).items[0]

    def some(*values: Any) -> st.SearchStrategy[Any]:
        return st.sampled_from(values)

    return {
        "agent": some(agent.id, agent.name),
        "label": some("human", "persona"),
        "passage_id": some(passage.id),
        "tool": some(tool.name, tool.id),
        "conversation": st.none(),
        "archive": st.none(),  # the archives toolset is not served here: a gated argument
        "block_id": st.none(),  # agent and label name the block (block_id as well would be refused)
        "cursor": st.none(),  # a made-up cursor is "not found"
        "shared_block": some(block.id),
        "wait_seconds": st.integers(min_value=0, max_value=2),
        "attach_to": st.just([]),
    }


@pytest.mark.parametrize("name", TOOLS)
def test_fuzz_over_stdio(wire: Wire, existing: dict[str, st.SearchStrategy[Any]], name: str) -> None:
    server = create_server(Settings(toolsets=",".join(TOOLSETS)))
    schema = full_schema(server, name)
    hints = {} if name in DESTRUCTIVE else {k: v for k, v in existing.items() if k in schema.get("properties", {})}
    if name == "update_agent":
        hints["name"] = st.none()  # the others find the agent by this name
    if name == "attach_block":
        hints["block_id"] = existing["shared_block"]
    valid = arguments_for(schema, hints=hints)

    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(arguments=st.one_of(valid, valid, valid, valid, valid, junk_arguments(schema)))
    def check(arguments: dict[str, Any]) -> None:
        counts = CALLS[name]
        counts["calls"] += 1
        answer = wire.request("tools/call", {"name": name, "arguments": arguments})
        if "error" in answer:
            assert answer["error"]["code"] in (-32602,), answer  # the protocol's own invalid params
            return
        result = answer["result"]
        message = " ".join(c.get("text", "") for c in result["content"])
        if REJECTED not in message[:60]:
            counts["reached"] += 1
        if not result.get("isError"):
            counts["ok"] += 1
            assert "structuredContent" in result
            return
        assert "Internal error in letta-mcp" not in message, (arguments, message)
        if REJECTED in message:
            assert echoed(arguments, message, schema=schema) == [], "a rejection never echoes the values it rejects"
        assert echoed(arguments, message, at_least=301) == [], "no long value is ever echoed"

    check()


def test_writes_succeeded_over_stdio(wire: Wire) -> None:
    rows = [f"{n:18} {c['calls']:3} calls, {c['reached']:3} past validation, {c['ok']:3} ok" for n, c in CALLS.items()]
    print("\n[fuzz over stdio]\n" + "\n".join(rows))
    failed_everywhere = {name for name in MUST_SUCCEED if CALLS[name]["ok"] == 0}
    assert failed_everywhere == set(), "these tools never succeeded with generated arguments"
