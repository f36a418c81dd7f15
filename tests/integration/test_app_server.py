"""The App Server backend against a real App Server (Letta Code, pinned) and the tests' fake model.

Every tool the backend serves goes through MCP; what it changed is read back from the App Server
directly (`tests.app_client`), as the REST tests read Letta back with its SDK.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from letta_mcp.server import create_server
from tests.app_client import direct
from tests.conftest import app_settings
from tests.helpers import call, call_error
from tests.stack.app_stack import AppStack
from tests.subprocess_server import server_env, stdio_params

pytestmark = pytest.mark.anyio

SERVED = [
    "list_agents",
    "get_agent",
    "create_agent",
    "update_agent",
    "delete_agent",
    "list_models",
    "send_message",
    "get_run",
    "cancel_run",
    "respond_to_approval",
    "list_messages",
    "search_messages",
    "list_blocks",
    "get_block",
    "update_block",
    "edit_block",
    "memory_history",
    "restore_block",
    "delete_block",
    "list_conversations",
    "create_conversation",
    "fork_conversation",
    "update_conversation",
    "compact_conversation",
    "schedule_message",
    "list_schedules",
    "delete_schedule",
    "get_reflection",
    "set_reflection",
    "reflect_now",
]


@pytest.fixture
async def app_client(app_stack: AppStack) -> Any:
    async with Client(create_server(app_settings(app_stack))) as client:
        yield client


async def _agent(client: Any, uid: str, suffix: str = "a", **extra: Any) -> dict[str, Any]:
    return await call(
        client,
        "create_agent",
        name=f"{uid}-{suffix}",
        description="an App Server agent",
        memory_blocks=[{"label": "human", "value": "likes tea", "description": "the user"}],
        **extra,
    )


async def test_only_what_the_app_server_can_do_is_listed(app_client: Any) -> None:
    names = [t.name for t in (await app_client.list_tools()).tools]
    assert names == SERVED


async def test_create_agent_refuses_what_the_app_server_has_not(app_client: Any, app_stack: AppStack, uid: str) -> None:
    refused = await call_error(app_client, "create_agent", name=f"{uid}-c", tools=["web_search"])
    assert "tools belongs to the 'tools' toolset, which is not served here" in refused, "no tools toolset on App"
    async with direct(app_stack.url) as d:
        names = [a["name"] for a in (await d.request("agent_list", query={"limit": 1000}))["agents"]]
        assert f"{uid}-c" not in names


async def test_memory_blocks_are_files_and_each_write_one_commit(
    app_client: Any, app_stack: AppStack, uid: str
) -> None:
    agent = await _agent(app_client, uid)
    await call(app_client, "edit_block", agent=agent["id"], label="human", old_text="tea", new_text="coffee")
    await call(app_client, "edit_block", agent=agent["id"], label="human", insert_text="and cake", line=-1)
    async with direct(app_stack.url) as d:
        text = await d.file(agent["id"], "human.md")
        assert text.endswith("likes coffee\nand cake")
        assert "description: the user" in text, "the front matter is kept"
        commits = await d.commits(agent["id"], "human.md")
        assert [c["message"] for c in commits[:2]] == ["letta-mcp: edit_block human", "letta-mcp: edit_block human"]
        replaced = await call(app_client, "update_block", agent=agent["id"], label="human.md", value="new value")
        assert replaced["chars"] == len("new value"), "a block named by its path"
        assert (await d.file(agent["id"], "human.md")).endswith("---\nnew value")
        after = await d.commits(agent["id"], "human.md")
        assert [c["message"] for c in after[:1]] == ["letta-mcp: update_block human"]
        assert len(after) == len(commits) + 1, "one commit per write"


async def test_a_write_the_app_server_refuses_is_reported_and_undone(
    app_client: Any, app_stack: AppStack, uid: str
) -> None:
    agent = await _agent(app_client, uid)
    async with direct(app_stack.url) as d:
        before = await d.commits(agent["id"])
        refused = await call_error(app_client, "update_block", agent=agent["id"], label="human", value="x" * 25_000)
        assert "refused to commit human.md" in refused
        assert "maxFileCharacters" in refused, "the App Server's own reason"
        assert "Nothing was committed" in refused
        assert "still holds its committed text" in refused
        assert (await d.file(agent["id"], "human.md")).endswith("likes tea"), "the disk is back to what is committed"
        assert [c["sha"] for c in await d.commits(agent["id"])][-len(before) :] == [c["sha"] for c in before]
    assert (await call(app_client, "get_block", agent=agent["id"], label="human"))["value"] == "likes tea"


async def test_an_approval_is_never_granted(app_client: Any, app_stack: AppStack, uid: str, tmp_path: Any) -> None:
    agent = await _agent(app_client, uid)
    target = tmp_path / "written.txt"
    args = json.dumps({"file_path": str(target), "content": "should not be written"})
    out = await call(app_client, "send_message", agent=agent["id"], message=f"save it [[tool:Write {args}]]")
    assert out["status"] == "running"
    assert out["stop_reason"] == "requires_approval"
    assert "Write" in out["note"]
    assert "never approves" in out["note"]
    assert not target.exists(), "nothing ran"
    cancelled = await call(app_client, "cancel_run", run_id=out["run_id"])
    assert cancelled["status"] == "cancelled"
    assert not target.exists()
    after = await call(app_client, "send_message", agent=agent["id"], message="still there?")
    assert after["reply"] == "echo: still there?", "the conversation goes on"


async def test_cancel_during_a_running_tool_stops_it_and_the_conversation_goes_on(
    app_stack: AppStack, uid: str, tmp_path: Any
) -> None:
    # Calls wait 2 s here, so the approved tool is still running when respond_to_approval returns.
    async with Client(create_server(app_settings(app_stack, wait_seconds=2))) as client:
        agent = await _agent(client, uid)
        thread = (await call(client, "create_conversation", agent=agent["id"]))["id"]
        target = tmp_path / "after-sleep.txt"
        args = json.dumps({"command": f"sleep 8 && echo late > {target}", "description": "slow"})
        message = f"run it [[tool:Bash {args}]]"
        out = await call(client, "send_message", agent=agent["id"], message=message, conversation=thread)
        assert out["stop_reason"] == "requires_approval", out
        running = await call(client, "respond_to_approval", run_id=out["run_id"], approve=True)
        assert running["status"] == "running", "the tool is running"
        cancelled = await call(client, "cancel_run", run_id=out["run_id"])
        assert cancelled["status"] == "cancelled", cancelled
        after = await call(client, "send_message", agent=agent["id"], message="still there?", conversation=thread)
        assert after["reply"] == "echo: still there?", "the conversation takes the next message"
        await anyio.sleep(8)
        assert not target.exists(), "the tool was stopped, not left to finish"


async def test_a_memory_change_the_app_server_pushes_reaches_subscribers(app_stack: AppStack, uid: str) -> None:
    updates: list[str] = []
    notified = anyio.Event()

    async def on_message(message: Any) -> None:
        params = getattr(getattr(message, "root", message), "params", None)
        if params is not None and hasattr(params, "uri"):
            updates.append(str(params.uri))
            if any(u.endswith("/blocks/human") for u in updates):
                notified.set()

    server = create_server(app_settings(app_stack))
    async with Client(server, mode="legacy", message_handler=on_message) as client:
        agent = await _agent(client, uid)
        # The App Server's push names paths, not an agent: it is taken to concern the agents this process talks to.
        thread = await call(client, "create_conversation", agent=agent["id"])
        await call(client, "send_message", agent=agent["id"], message="hello", conversation=thread["id"])
        uri = f"letta://agents/{agent['id']}/blocks/human"
        assert (await client.read_resource(uri)).contents[0].text == "likes tea"
        await client.subscribe_resource(uri)
        # A memory change the App Server pushes (here: a write on letta-mcp's own socket, outside any tool).
        content = "---\nname: human\ndescription: the user\n---\npushed"
        await server.backend.socket.request(
            "write_memory_file", agent_id=agent["id"], path="human.md", content=content, commit_message="test"
        )
        with anyio.fail_after(10):
            await notified.wait()
        assert (await client.read_resource(uri)).contents[0].text == "pushed"


def _memory_file(app_stack: AppStack, agent_id: str, name: str) -> Path:
    """Where the App Server keeps one of an agent's memory files on disk."""
    return next(p for p in Path(app_stack.home).rglob(name) if f"{agent_id}/memory" in str(p))


async def test_the_agents_own_memory_edit_reaches_subscribers(app_stack: AppStack, uid: str) -> None:
    updates: list[str] = []
    notified = anyio.Event()

    async def on_message(message: Any) -> None:
        params = getattr(getattr(message, "root", message), "params", None)
        if params is not None and hasattr(params, "uri"):
            updates.append(str(params.uri))
            if any(u.endswith("/blocks/human") for u in updates):
                notified.set()

    server = create_server(app_settings(app_stack))
    async with Client(server, mode="legacy", message_handler=on_message) as client:
        agent = await _agent(client, uid)
        uri = f"letta://agents/{agent['id']}/blocks/human"
        await client.subscribe_resource(uri)
        # The agent edits its own memory file (Letta Code runs edits in its memory directory unasked).
        memory_file = _memory_file(app_stack, agent["id"], "human.md")
        edit = {"file_path": str(memory_file), "old_string": "likes tea", "new_string": "likes coffee"}
        thread = (await call(client, "create_conversation", agent=agent["id"]))["id"]
        message = f"remember [[tool:Edit {json.dumps(edit)}]]"
        out = await call(client, "send_message", agent=agent["id"], message=message, conversation=thread)
        assert out["status"] == "completed", out
        with anyio.fail_after(10):
            await notified.wait()
        assert (await client.read_resource(uri)).contents[0].text == "likes coffee"


async def test_the_socket_dropping_mid_call(app_stack: AppStack, uid: str) -> None:
    server = create_server(app_settings(app_stack))
    async with Client(server) as client:
        agent = await _agent(client, uid)
        # In a conversation of its own: a turn in a default conversation holds up every agent's default one.
        thread = await call(client, "create_conversation", agent=agent["id"])
        started = anyio.Event()

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            started.set()

        results: list[Any] = []

        async def slow_turn() -> None:
            results.append(
                await client.call_tool(
                    "send_message",
                    {"agent": agent["id"], "message": "dropped turn [[sleep:3]]", "conversation": thread["id"]},
                    progress_callback=on_progress,
                )
            )

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(slow_turn)
            with anyio.fail_after(20):
                await started.wait()  # the turn is running: its first step arrived
            await server.backend.socket.drop()
        result = results[0]
        assert result.is_error
        text = result.content[0].text
        assert "The message was delivered" in text
        assert "list_messages" in text
        # The next call opens a new socket, and the message was not sent again.
        assert (await call(client, "get_agent", agent=agent["id"]))["id"] == agent["id"]
        assert server.backend.socket.connections == 2
        where = {"agent": agent["id"], "conversation": thread["id"]}
        listed = await call(client, "list_messages", **where, roles=["user"])
        assert [m["text"] for m in listed["messages"]] == ["dropped turn [[sleep:3]]"]
        run_id = re.search(r"run_id='(run-app-[^']+)'", text).group(1)  # type: ignore[union-attr]
        # The App Server cannot go on with a turn over a new socket, and would refuse the conversation's next
        # message for good: letta-mcp syncs the runtime once the socket is back and stops the turn.
        old = await call(client, "get_run", run_id=run_id, wait_seconds=15)
        assert old["status"] == "cancelled", old
        assert "letta-mcp stopped it, so the conversation takes the next message" in old["note"]
        after = await call(client, "send_message", agent=agent["id"], message="next one", conversation=thread["id"])
        assert after["reply"] == "echo: next one"
    sent = [r for r in app_stack.fake_requests() if "dropped turn" in json.dumps(r.get("body"))]
    assert sent, "the turn reached the model"
    last = {
        json.dumps(r["body"]["messages"][-1]) for r in sent if "dropped turn" in json.dumps(r["body"]["messages"][-1])
    }
    assert len(last) == 1, "one user message, never resent"


async def test_a_turn_waiting_for_approval_when_the_socket_drops_is_stopped_and_the_conversation_goes_on(
    app_stack: AppStack, uid: str, tmp_path: Any
) -> None:
    server = create_server(app_settings(app_stack))
    async with Client(server) as client:
        agent = await _agent(client, uid)
        thread = (await call(client, "create_conversation", agent=agent["id"]))["id"]
        target = tmp_path / "written.txt"
        args = json.dumps({"file_path": str(target), "content": "after the drop"})
        message = f"save it [[tool:Write {args}]]"
        out = await call(client, "send_message", agent=agent["id"], message=message, conversation=thread)
        assert out["stop_reason"] == "requires_approval", out
        await server.backend.socket.drop()
        # The App Server forgets a pending approval with its socket: the turn is stopped, never approved.
        again = await call(client, "get_run", run_id=out["run_id"], wait_seconds=15)
        assert again["status"] == "cancelled", again
        assert "letta-mcp stopped it" in again["note"]
        assert server.backend.socket.connections == 2
        refused = await call_error(client, "respond_to_approval", run_id=out["run_id"], approve=True)
        assert "not waiting" in refused or "no longer" in refused, refused
        after = await call(client, "send_message", agent=agent["id"], message="still there?", conversation=thread)
        assert after["reply"] == "echo: still there?"
        assert not target.exists(), "nothing ran"


async def test_over_a_real_stdio_subprocess(app_stack: AppStack, uid: str) -> None:
    async with Client(stdio_params(app_stack)) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        assert "search_archival" not in names
        assert "send_message" in names
        agent = await _agent(client, uid)
        out = await call(client, "send_message", agent=agent["id"], message="over stdio")
        assert out["reply"] == "echo: over stdio"


@pytest.fixture(scope="module")
def token_app(request: pytest.FixtureRequest) -> Any:
    from tests.conftest import start_stack
    from tests.stack.app_stack import start_app

    yield from start_stack(request, start_app, token="app-server-capability-token-0123456789", provider=False)


async def test_the_capability_token_and_doctor(token_app: AppStack, uid: str) -> None:
    from letta_mcp.cli.onboarding import doctor

    async with Client(create_server(app_settings(token_app))) as client:
        assert (await call(client, "list_agents"))["agents"] == []
        # No model provider is connected here: agents and memory work at once, turns once one is.
        made = await _agent(client, uid)
        assert made["model"] == token_app.model, "the configured default, not the App Server's silent one"
        assert "No model provider is connected" in made["note"]
        await call(client, "edit_block", agent=made["id"], label="human", old_text="tea", new_text="water")
        assert (await call(client, "get_block", agent=made["id"], label="human"))["value"] == "likes water"
    wrong = app_settings(token_app, api_key="not-the-token-0123456789")
    async with Client(create_server(wrong)) as client:
        refused = await call_error(client, "list_agents")
        assert "refused the token (401)" in refused
        assert "LETTA_API_KEY" in refused
        assert "not-the-token" not in refused
    lines = await doctor(app_settings(token_app))
    assert lines[0][0] is True
    assert lines[-1][0] is False, "no model provider is connected to this one"
    assert "letta --backend local connect" in lines[-1][1]
    bad = await doctor(wrong)
    assert bad[-1][0] is False
    assert "401" in bad[-1][1]


def _children(pid: int) -> list[int]:
    import os

    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    import os

    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
    finally:
        _ = os


@pytest.mark.parametrize(
    ("transport", "ending"),
    [("stdio", "stdin closed"), ("stdio", "SIGTERM"), ("stdio", "SIGINT"), ("http", "SIGTERM")],
)
def test_local_starts_an_app_server_and_leaves_no_process(
    app_stack: AppStack, tmp_path: Any, transport: str, ending: str
) -> None:
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    from bench.stdio import StdioServer
    from tests.stack.app_stack import letta_command
    from tests.stack.letta_stack import free_port
    from tests.subprocess_server import ROOT

    # The home of the session's App Server, which keeps running: another one on the same home is left alone.
    env = {k: v for k, v in server_env(app_stack).items() if not k.startswith("LETTA_")}
    env.update(
        {
            "HOME": app_stack.home,
            "LETTA_MCP_LETTA_COMMAND": str(letta_command()),
            "LETTA_MCP_DEFAULT_MODEL": app_stack.model,
        }
    )
    port = free_port()
    command = [sys.executable, "-m", "letta_mcp", "--local"]
    if transport == "http":
        command += ["--transport", "http", "--port", str(port)]
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
        text=True,
        bufsize=1,
    )
    try:
        if transport == "stdio":
            server = StdioServer(proc)
            server.request(
                "initialize",
                {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
            )
            made = server.request("tools/call", {"name": "create_agent", "arguments": {"name": "local-one"}})["result"]
        else:
            made = anyio.run(_create_over_http, f"http://127.0.0.1:{port}/mcp")
        assert not made["isError"], made
        assert made["structuredContent"]["id"].startswith("agent-local-")
        apps = _children(proc.pid)
        assert len(apps) == 1, "one App Server, started by letta-mcp"
        if ending == "stdin closed":
            assert proc.stdin is not None
            proc.stdin.close()
        else:
            proc.send_signal(signal.SIGTERM if ending == "SIGTERM" else signal.SIGINT)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in apps) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in apps), "the App Server stopped with letta-mcp"
        with urllib.request.urlopen(app_stack.http + "/healthz", timeout=5) as answer:
            assert answer.status == 200, "the other App Server on the same home is untouched"
    finally:
        if proc.poll() is None:
            proc.kill()


async def _create_over_http(url: str) -> dict[str, Any]:
    with anyio.fail_after(60):
        while True:
            try:
                async with Client(url) as client:
                    result = await client.call_tool("create_agent", {"name": "local-http"})
                    return {"isError": result.is_error, "structuredContent": result.structured_content}
            except Exception:  # noqa: BLE001 — not listening yet
                await anyio.sleep(0.2)


async def test_a_local_clients_turns_run_in_its_own_root(app_stack: AppStack, uid: str, tmp_path: Any) -> None:
    """For the person at their machine, the agent's device tools work in the client's project (its first MCP
    root), not wherever letta-mcp happened to start."""
    from mcp.types import ListRootsResult, Root

    project = tmp_path / "project"
    project.mkdir()

    async def roots(context: Any) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=project.as_uri(), name="project")])  # type: ignore[arg-type]

    server = create_server(app_settings(app_stack))
    async with Client(server, mode="legacy", list_roots_callback=roots) as client:
        agent = await _agent(client, uid)
        out = await call(client, "send_message", agent=agent["id"], message=f"where am I {uid}")
        assert out["status"] == "completed"
    asked = [json.dumps(r) for r in app_stack.fake_requests() if f"where am I {uid}" in json.dumps(r)]
    assert asked, "the turn reached the model"
    assert any(str(project) in r for r in asked), "the turn ran in the client's root"
