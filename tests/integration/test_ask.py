"""Agents as tools (`ask_<slug>`) against the real Letta server: naming many and odd agents, the listing cache,
and an idle process. Exposing, calling and read-only mode are tested on every backend in `contract/test_ask.py`."""

from __future__ import annotations

import re
import time
from typing import Any

import anyio
import pytest
from mcp import Client

from letta_mcp.server import create_server
from letta_mcp.server.exposed import ExposedTools
from tests.conftest import settings_for
from tests.stack.letta_stack import Stack

pytestmark = pytest.mark.anyio
VALID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


async def ask_names(client: Client, expect: str | None = None, absent: str | None = None) -> list[str]:
    """The ask_* tools listed; the first listing of a process looks agents up in the background, so poll."""
    names: list[str] = []
    for _ in range(50):
        names = [t.name for t in (await client.list_tools()).tools if t.name.startswith("ask_")]
        if (expect is None or expect in names) and (absent is None or absent not in names):
            return names
        await anyio.sleep(0.1)
    return names


def _settings(stack: Stack, uid: str, **extra: Any) -> Any:
    return settings_for(stack, expose_tag=f"{uid}:expose", ask_cache_seconds=0, **extra)


async def test_look_alike_and_odd_names(stack: Stack, letta: Any, uid: str) -> None:
    tag = f"{uid}:expose"
    for name in (f"Data Bot {uid}", f"data-bot-{uid}", f"Zoë's café-{uid} bot"):
        await letta.agents.create(name=name, model=stack.model, embedding=stack.embedding, tags=[tag])
    async with Client(create_server(_settings(stack, uid))) as client:
        names = await ask_names(client, expect=f"ask_zoe_s_cafe_{uid}_bot")
        assert len(names) == 3
        assert len(set(names)) == 3
        assert all(VALID.match(n) and len(n) <= 48 for n in names), names
        slug_alike = [n for n in names if n.startswith(f"ask_data_bot_{uid}")]
        assert len(slug_alike) == 2


async def test_many_exposed_agents_list_from_the_cache(
    stack: Stack, letta: Any, uid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = f"{uid}:expose"
    async with anyio.create_task_group() as tg:
        for i in range(50):
            tg.start_soon(
                lambda i=i: letta.agents.create(
                    name=f"{uid} helper {i:02d}", model=stack.model, embedding=stack.embedding, tags=[tag]
                )
            )
    settings = settings_for(stack, expose_tag=tag, ask_cache_seconds=30)
    lookups = {"n": 0}
    refresh = ExposedTools.refresh

    async def counted(self: ExposedTools, request: Any) -> Any:
        lookups["n"] += 1
        return await refresh(self, request)

    monkeypatch.setattr(ExposedTools, "refresh", counted)
    async with Client(create_server(settings)) as client:
        names = await ask_names(client, expect=f"ask_{uid}_helper_49")
        assert len(names) == 50
        lookups["n"] = 0
        t0 = time.perf_counter()
        for _ in range(20):
            assert len([t for t in (await client.list_tools()).tools if t.name.startswith("ask_")]) == 50
        cached = (time.perf_counter() - t0) / 20
        assert lookups["n"] == 0, "within LETTA_MCP_ASK_CACHE_SECONDS a listing does not ask Letta"
    uncached_settings = settings.model_copy(update={"ask_cache_seconds": 0})
    async with Client(create_server(uncached_settings)) as client:
        await ask_names(client, expect=f"ask_{uid}_helper_49")
        lookups["n"] = 0
        t0 = time.perf_counter()
        for _ in range(5):
            await client.list_tools()
        uncached = (time.perf_counter() - t0) / 5
        assert lookups["n"] == 5, "without the cache, every listing asks Letta"
    print(
        f"\n[ask] tools/list with 50 exposed agents: {cached * 1000:.1f} ms cached, {uncached * 1000:.1f} ms "
        "when it asks Letta"
    )


IDLE_SCRIPT = """
import json, sys
import anyio
from mcp import Client
from letta_mcp.core.config import Settings
from letta_mcp.server.exposed import ExposedTools
from letta_mcp.server import create_server

async def main() -> None:
    wanted = sys.argv[1]
    async with Client(create_server(Settings()), mode="legacy") as client:
        names: list[str] = []
        for _ in range(100):
            names = [t.name for t in (await client.list_tools()).tools]
            if wanted in names:
                break
            await anyio.sleep(0.1)
        idle = "letta_client" in sys.modules
        await client.call_tool("get_block", {"agent": "agent-00000000-0000-4000-8000-000000000000", "label": "x"})
        print(json.dumps({"listed": wanted in names, "idle": idle, "after_a_call": "letta_client" in sys.modules}))

anyio.run(main)
"""


def test_an_idle_process_finds_exposed_agents_without_letta_client(stack: Stack, uid: str) -> None:
    """The lookup after the first listing reads Letta's JSON directly: letta-client (10 MB) is imported by the
    first tool call, never by a process that only listed its tools."""
    import json
    import subprocess
    import sys

    from letta_client import Letta

    tag = f"{uid}:expose"
    Letta(base_url=stack.base_url).agents.create(
        name=f"Idle {uid}", description="Idles.", model=stack.model, embedding=stack.embedding, tags=[tag]
    )
    env = {**stack.env(), "LETTA_MCP_EXPOSE_TAG": tag, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", IDLE_SCRIPT, f"ask_idle_{uid}"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"listed": True, "idle": False, "after_a_call": True}, seen
