"""The team endpoint: each auth mode, scopes, credentials that reach Letta, probes, several processes."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import start_stack
from tests.helpers import call, call_error, until
from tests.stack.letta_stack import Stack, free_port
from tests.subprocess_server import ROOT, http_server, server_env

pytestmark = pytest.mark.anyio

ADMIN = "admin-token-0123456789abcdef"
READER = "reader-token-0123456789abcdef"


def connect(url: str, token: str | None = None, **kw: Any) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers, timeout=60)), **kw)


MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def status_of(url: str, token: str | None = None) -> tuple[int, dict[str, str]]:
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
    }
    r = httpx2.post(url, json=body, headers=headers, timeout=30)
    return r.status_code, dict(r.headers)


def tool_call_status(url: str, token: str) -> tuple[int, dict[str, str]]:
    """A bare tools/call (stateless HTTP needs no session): what a flood of callers sends."""
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}", "MCP-Protocol-Version": "2025-06-18"}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_agents", "arguments": {}}}
    r = httpx2.post(url, json=body, headers=headers, timeout=30)
    return r.status_code, dict(r.headers)


def tokens(uid: str) -> str:
    return json.dumps(
        [
            {"name": "admin", "token": ADMIN},
            {"name": "reader", "token": READER, "read_only": True, "toolsets": ["agents", "memory"]},
            {"name": "team-a", "token": f"team-a-token-{uid}", "agent_tag": f"team:{uid}"},
        ]
    )


async def test_token_mode(stack: Stack, letta: Any, uid: str) -> None:
    mine = await letta.agents.create(
        name=f"{uid}-mine",
        model=stack.model,
        embedding=stack.embedding,
        tags=[f"team:{uid}"],
        memory_blocks=[{"label": "human", "value": "ours"}],
    )
    other = await letta.agents.create(
        name=f"{uid}-other",
        model=stack.model,
        embedding=stack.embedding,
        memory_blocks=[{"label": "human", "value": "theirs"}],
    )
    with http_server(stack, LETTA_MCP_AUTH="token", LETTA_MCP_TOKENS=tokens(uid)) as base:
        url = base + "/mcp"
        code, headers = status_of(url)
        assert code == 401
        assert headers["www-authenticate"].startswith("Bearer")
        assert status_of(url, "wrong-token-0123456789")[0] == 401
        assert status_of(url, ADMIN)[0] == 200
        assert httpx2.get(base + "/healthz").status_code == 200, "probes need no token"

        async with connect(url, ADMIN) as admin:
            assert (await call(admin, "get_agent", agent=other.id))["name"] == f"{uid}-other"

        async with connect(url, READER) as reader:
            names = {t.name for t in (await reader.list_tools()).tools}
            assert "get_agent" in names
            assert "get_block" in names
            assert "update_block" not in names, "read-only token: no write tool listed"
            assert "send_message" not in names, "messages toolset not granted"
            refused = await call_error(reader, "update_block", agent=other.id, label="human", value="x")
            assert "Unknown tool" in refused
        assert (await letta.agents.blocks.retrieve("human", agent_id=other.id)).value == "theirs"

        async with connect(url, f"team-a-token-{uid}") as scoped:
            listed = await call(scoped, "list_agents", limit=100)
            assert [a["id"] for a in listed["agents"]] == [mine.id], "a scoped token sees only its agents"
            for tool, args in (
                ("get_agent", {"agent": other.id}),
                ("get_agent", {"agent": other.name}),
                ("send_message", {"agent": other.id, "message": "hi"}),
                ("delete_agent", {"agent": other.id}),
                ("get_block", {"agent": other.id, "label": "human"}),
                ("search_archival", {"agent": other.id, "query": "x"}),
            ):
                message = await call_error(scoped, tool, **args)
                assert "not found" in message.lower() or "no agent named" in message.lower(), (tool, message)
                assert "theirs" not in message
            assert (await call(scoped, "get_block", agent=mine.id, label="human"))["value"] == "ours"
            made = await call(scoped, "create_agent", name=f"{uid}-made-by-team")
            assert f"team:{uid}" in made["tags"], "what a scoped token creates stays in its scope"
            with pytest.raises(Exception, match=r"(?i)not found|unknown|no agent"):
                await scoped.read_resource(f"letta://agents/{other.id}")
        assert (await letta.agents.retrieve(other.id)).name == f"{uid}-other", "nothing happened to it"


@pytest.fixture(scope="module")
def secure_stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    yield from start_stack(request, password="letta-secret-password-42", redis=False)


async def test_passthrough_uses_the_callers_own_key(secure_stack: Stack, uid: str) -> None:
    env = {"LETTA_MCP_AUTH": "passthrough", "LETTA_API_KEY": ""}
    with http_server(secure_stack, **env) as base:
        url = base + "/mcp"
        assert status_of(url)[0] == 401
        async with connect(url, "letta-secret-password-42") as right:
            made = await call(right, "create_agent", name=f"{uid}-pt")
            assert made["name"] == f"{uid}-pt"
        code, headers = status_of(url, "not-the-password")
        assert code == 401, "Letta refused the key: so does the endpoint, before any tool runs"
        assert headers["www-authenticate"].startswith("Bearer")
        assert httpx2.get(base + "/readyz").status_code == 200


async def test_passthrough_random_bearers_cannot_disturb_a_callers_write(secure_stack: Stack, uid: str) -> None:
    """#21: 70 requests with random bearers pushed a real caller's client out of the pool and closed it in the
    middle of its request. Now Letta judges each new key once, at a bounded rate, and only keys it accepted
    get a pooled client; the caller's turn, under way meanwhile, reaches the agent once and completes."""
    env = {"LETTA_MCP_AUTH": "passthrough", "LETTA_API_KEY": "", "LETTA_MCP_POOL_SIZE": "1"}
    with http_server(secure_stack, **env) as base:
        url = base + "/mcp"
        async with connect(url, "letta-secret-password-42") as right:
            agent = await call(right, "create_agent", name=f"{uid}-busy")
            out: dict[str, Any] = {}

            async def turn() -> None:
                out.update(
                    await call(right, "send_message", agent=agent["id"], message="busy [[sleep:3]]", wait_seconds=60)
                )

            statuses: list[tuple[int, dict[str, str]]] = []
            async with anyio.create_task_group() as tg:
                tg.start_soon(turn)
                await anyio.sleep(0.5)
                flood_began = time.monotonic()
                for n in range(70):
                    statuses.append(await anyio.to_thread.run_sync(tool_call_status, url, f"random-{uid}-{n}"))
                flood_seconds = time.monotonic() - flood_began
            assert out["status"] == "completed"
            assert out["reply"] == "echo: busy"
            codes = [code for code, _ in statuses]
            assert set(codes) <= {401, 429}, codes
            # 60 new keys a minute by default: a burst of 10, then one a second.
            assert codes.count(401) <= 10 + flood_seconds, "past the burst, new keys wait instead of reaching Letta"
            assert codes.count(429) >= 70 - 10 - flood_seconds
            assert all(int(h["retry-after"]) >= 1 for code, h in statuses if code == 429)
            listed = await call(right, "list_messages", agent=agent["id"], roles=["user"], limit=50)
            assert [m["text"] for m in listed["messages"]] == ["busy [[sleep:3]]"], "it reached the agent once"


async def test_passthrough_refuses_to_start_in_front_of_a_letta_without_a_password(stack: Stack) -> None:
    """The tests' main Letta has no password: it takes any key, so passthrough would let any bearer in."""
    with (
        pytest.raises(RuntimeError, match="accepted a made-up key"),
        http_server(stack, LETTA_MCP_AUTH="passthrough", LETTA_API_KEY=""),
    ):
        pass


async def test_none_mode_refuses_beyond_loopback(stack: Stack) -> None:
    with pytest.raises(RuntimeError, match="refusing"), http_server(stack, LETTA_MCP_HOST="0.0.0.0"):
        pass


class _Jwks(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


def _jwk(key: Any, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return jwk


@contextlib.contextmanager
def oauth_endpoint(stack: Stack, **extra: str) -> Iterator[tuple[str, str, Any]]:
    """letta-mcp as an OAuth resource server, with a local issuer's JWKS: (base URL, issuer, token maker)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _Jwks.body = json.dumps({"keys": [_jwk(key, "k1")]}).encode()
    port = free_port()
    jwks = ThreadingHTTPServer(("127.0.0.1", port), _Jwks)
    threading.Thread(target=jwks.serve_forever, daemon=True).start()
    issuer = f"http://127.0.0.1:{port}"
    mcp_port = free_port()
    public = f"http://127.0.0.1:{mcp_port}/mcp"

    def token(signer: Any = key, kid: str = "k1", **claims: Any) -> str:
        base = {"iss": issuer, "aud": public, "sub": "user-1", "client_id": "ide", "exp": int(time.time()) + 300}
        return jwt.encode({**base, **claims}, signer, algorithm="RS256", headers={"kid": kid})

    env = {
        "LETTA_MCP_AUTH": "oauth",
        "LETTA_MCP_OAUTH_ISSUER": issuer,
        "LETTA_MCP_PUBLIC_URL": public,
        "LETTA_MCP_PORT": str(mcp_port),
        "LETTA_MCP_TOOLSETS": "agents,memory,messages",
        **extra,
    }
    try:
        with http_server(stack, port=mcp_port, **env) as base:
            yield base, issuer, token
    finally:
        jwks.shutdown()


ALL = "letta:read letta:agents:*"


async def test_oauth_refuses_a_key_the_issuer_rotated_out(stack: Stack) -> None:
    """After the issuer publishes k2 only, a k1-signed token is refused once the key set is fetched again
    (LETTA_MCP_OAUTH_JWKS_SECONDS, 2 s here), and a k2-signed one is accepted."""
    with oauth_endpoint(stack, LETTA_MCP_OAUTH_JWKS_SECONDS="2") as (base, _, token):
        url = base + "/mcp"
        assert status_of(url, token(scope=ALL))[0] == 200, "k1 is the issuer's key"
        k2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _Jwks.body = json.dumps({"keys": [_jwk(k2, "k2")]}).encode()
        await until(lambda: status_of(url, token(scope=ALL))[0] == 401, "k1 refused after the rotation", within=30)
        assert status_of(url, token(signer=k2, kid="k2", scope=ALL))[0] == 200, "k2 is accepted"


async def test_oauth_resource_server(stack: Stack, uid: str) -> None:
    with oauth_endpoint(stack) as (base, issuer, token):
        url = base + "/mcp"
        code, headers = status_of(url)
        assert code == 401
        assert "resource_metadata" in headers["www-authenticate"]
        meta = httpx2.get(base + "/.well-known/oauth-protected-resource/mcp").json()
        assert meta["authorization_servers"] == [issuer + "/"] or meta["authorization_servers"] == [issuer]
        assert "letta:read" in meta["scopes_supported"]
        assert status_of(url, token(exp=int(time.time()) - 10, scope=ALL))[0] == 401, "expired"
        assert status_of(url, token(aud="https://elsewhere", scope=ALL))[0] == 401, "not for this server"
        async with connect(url, token(scope=ALL)) as client:
            assert "agents" in await call(client, "list_agents")


async def test_oauth_scopes_limit_callers_as_configured_tokens_do(stack: Stack, letta: Any, uid: str) -> None:
    tag = f"team:{uid}"
    mine = await letta.agents.create(name=f"{uid}-mine", model=stack.model, embedding=stack.embedding, tags=[tag])
    other = await letta.agents.create(name=f"{uid}-other", model=stack.model, embedding=stack.embedding)
    with oauth_endpoint(stack) as (base, _, token):
        url = base + "/mcp"
        for scope in ("", "letta:read", "letta:write", f"letta:read letta:agents:{tag} letta:agents:*", "read all"):
            code, headers = status_of(url, token(scope=scope))
            assert code == 403, f"{scope!r} grants nothing"
            assert 'error="insufficient_scope"' in headers["www-authenticate"]

        async with connect(url, token(scope=ALL)) as reader:
            names = {t.name for t in (await reader.list_tools()).tools}
            assert "get_block" in names
            assert "edit_block" not in names, "letta:read lists no write tool"
            seen = {a["id"] for a in (await call(reader, "list_agents", limit=100))["agents"]}
            assert {mine.id, other.id} <= seen, "letta:agents:* reaches every agent"

        async with connect(url, token(scp=["letta:write", f"letta:agents:{tag}"])) as team:
            seen = {a["id"] for a in (await call(team, "list_agents", limit=100))["agents"]}
            assert mine.id in seen
            assert other.id not in seen, "letta:agents:<tag> reaches only that tag's agents"
            assert "Not found" in await call_error(team, "get_agent", agent=other.id)
            made = await call(team, "create_agent", name=f"{uid}-made")
            assert tag in (await letta.agents.retrieve(made["id"], include=["agent.tags"])).tags

        async with connect(url, token(scope="letta:write letta:agents:* letta:toolsets:memory")) as narrow:
            names = {t.name for t in (await narrow.list_tools()).tools}
            memory = {"list_blocks", "get_block", "update_block", "edit_block", "create_block", "attach_block"}
            assert names == memory | {"detach_block"}, "letta:toolsets:memory: the memory tools only"


async def test_two_processes_serve_one_client_and_share_runs(stack: Stack, letta: Any, uid: str) -> None:
    agent = await letta.agents.create(name=f"{uid}-two", model=stack.model, embedding=stack.embedding)
    with http_server(stack) as first, http_server(stack) as second:
        async with connect(first + "/mcp") as a:
            started = await call(a, "send_message", agent=agent.id, message="relay [[sleep:4]]", wait_seconds=1)
        assert started["status"] == "running"
        async with connect(second + "/mcp") as b:
            done = await call(b, "get_run", run_id=started["run_id"], wait_seconds=20)
        assert done["reply"] == "echo: relay"


async def test_workers(stack: Stack, letta: Any, uid: str) -> None:
    agent = await letta.agents.create(name=f"{uid}-w", model=stack.model, embedding=stack.embedding)
    with http_server(stack, LETTA_MCP_WORKERS="2") as base:
        for _ in range(4):
            async with connect(base + "/mcp") as client:
                assert (await call(client, "get_agent", agent=agent.id))["id"] == agent.id


def _start_http(stack: Stack, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "letta_mcp", "--transport", "http", "--port", str(port), "--workers", str(workers)],
        env=server_env(stack),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        with contextlib.suppress(httpx2.HTTPError):
            if httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("letta-mcp did not start")


def _alive(pids: list[int]) -> list[int]:
    return [p for p in pids if Path(f"/proc/{p}").exists()]


def _worker_pids(pid: int) -> list[int]:
    """The worker processes (spawned by multiprocessing) of the supervisor `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid and "spawn_main" in (entry / "cmdline").read_text():
                found.append(int(entry.name))
    return found


@pytest.mark.parametrize("workers", [1, 2])
async def test_graceful_shutdown_lets_in_flight_calls_finish(stack: Stack, letta: Any, uid: str, workers: int) -> None:
    agent = await letta.agents.create(name=f"{uid}-grace", model=stack.model, embedding=stack.embedding)
    port = free_port()
    proc = _start_http(stack, port, workers)
    pids = _worker_pids(proc.pid)
    assert len(pids) == (workers if workers > 1 else 0), "one supervisor, and a serving process per worker"
    call_body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "send_message", "arguments": {"agent": agent.id, "message": "finish me [[sleep:6]]"}},
    }
    headers = {**{k: v for k, v in MCP_HEADERS.items()}, "MCP-Protocol-Version": "2025-06-18"}

    def in_flight_call() -> httpx2.Response:
        return httpx2.post(f"http://127.0.0.1:{port}/mcp", json=call_body, headers=headers, timeout=60)

    try:
        async with anyio.create_task_group() as tg:
            answers: list[httpx2.Response] = []

            async def run_call() -> None:
                answers.append(await anyio.to_thread.run_sync(in_flight_call))

            tg.start_soon(run_call)

            async def in_flight() -> bool:
                return bool((await letta.runs.list(agent_id=agent.id, limit=1)).items)

            await until(in_flight, "the call is in flight: its run is in Letta (the fake model takes 6 s)")
            proc.send_signal(signal.SIGTERM)
            await until(lambda: httpx2.get(f"http://127.0.0.1:{port}/readyz").status_code == 503, "draining")
            refused = await anyio.to_thread.run_sync(in_flight_call)
            assert refused.status_code == 503, "a draining replica turns new calls away"
        assert answers[0].status_code == 200
        assert "echo: finish me" in answers[0].text, "the in-flight call finished after SIGTERM"
        assert await anyio.to_thread.run_sync(lambda: proc.wait(timeout=30)) in (0, -signal.SIGTERM)
        assert not _alive(pids), "no worker left behind"
    finally:
        if proc.poll() is None:
            proc.kill()


async def test_per_token_letta_keys_from_a_tokens_file_and_no_secret_in_the_log(
    secure_stack: Stack, uid: str, tmp_path: Path
) -> None:
    right, wrong = f"right-token-{uid}-0123456789", f"wrong-token-{uid}-0123456789"
    bad_key = f"not-the-password-{uid}"
    entries = [
        {"name": "right", "token": right, "letta_api_key": "letta-secret-password-42"},
        {"name": "wrong", "token": wrong, "letta_api_key": bad_key},
    ]
    tokens_file = tmp_path / "tokens.json"
    tokens_file.write_text(json.dumps(entries))
    env = {
        "LETTA_MCP_AUTH": "token",
        "LETTA_MCP_TOKENS_FILE": str(tokens_file),
        "LETTA_API_KEY": "",
        "LETTA_MCP_LOG_LEVEL": "DEBUG",
    }
    with http_server(secure_stack, **env) as base:
        url = base + "/mcp"
        async with connect(url, right) as client:
            made = await call(client, "create_agent", name=f"{uid}-per-token")
            assert made["name"] == f"{uid}-per-token", "this token's own Letta key reached Letta"
        async with connect(url, wrong) as client:
            refused = await call_error(client, "list_agents")
            assert "rejected the credentials (401)" in refused, "and this one's, which Letta refuses"
            assert bad_key not in refused
        assert status_of(url, "no-such-token-0123456789")[0] == 401
        port = base.rsplit(":", 1)[1]
    log = await anyio.Path(secure_stack.run_dir, f"letta-mcp-http-{port}.log").read_text()
    assert "tools/call" in log or "create_agent" in log or "HTTP" in log, "the log was written (at DEBUG)"
    for secret in (right, wrong, bad_key, "letta-secret-password-42", "no-such-token-0123456789"):
        assert secret not in log, "no token or key is ever logged"


async def test_oauth_refuses_a_forged_signature_and_another_issuer(stack: Stack) -> None:
    with oauth_endpoint(stack) as (base, issuer, token):
        url = base + "/mcp"
        assert status_of(url, token(scope=ALL))[0] == 200
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        claims = {"iss": issuer, "aud": url, "sub": "u", "exp": int(time.time()) + 300, "scope": ALL}
        forged = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "k1"})
        assert status_of(url, forged)[0] == 401, "signed with a key the issuer never published"
        assert status_of(url, token(iss="http://127.0.0.1:9/other", scope=ALL))[0] == 401, "another issuer"


def test_allowed_hosts_admit_their_names_and_no_other(stack: Stack) -> None:
    with http_server(stack, LETTA_MCP_ALLOWED_HOSTS="mcp.example.com") as base:
        url = base + "/mcp"
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        }

        def with_host(host: str) -> int:
            return httpx2.post(url, json=body, headers={**MCP_HEADERS, "Host": host}, timeout=30).status_code

        assert with_host("mcp.example.com") == 200, "a listed name"
        assert with_host("127.0.0.1:" + base.rsplit(":", 1)[1]) == 200, "loopback stays allowed"
        assert with_host("evil.example.net") == 421, "any other name"
