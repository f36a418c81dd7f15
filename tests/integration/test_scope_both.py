"""The adversarial scope matrix on both backends: the same cases against Letta's REST API and against the
App Server, over a real HTTP endpoint with token authentication.

Team X's token, a read-only token and an ask-only token (both of team Y) try everything that reaches team
Y's things: every tool the backend serves that names an agent (Y's by id and by name, and one planted
with both teams' tags), Y's run and conversation, Y's tags on X's agents, every resource URI, completions,
tasks/get, tasks/result and tasks/cancel of Y's run, resources/subscribe and subscriptions/listen on Y's
block. Each is refused; Y's state (read back from the backend itself, never through letta-mcp) is
unchanged; no answer names Y's objects. On the App Server a caller also steers its own agent's device
tools at the host (they ask, and nothing is run), and one team's slow turn does not hold up the other's.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.subscriptions import ResourceUpdated
from mcp.types import PromptReference

from letta_mcp.toolsets import TOOLS_BY_NAME
from tests.app_client import direct
from tests.helpers import call, call_error, until
from tests.stack.app_stack import AppStack
from tests.stack.letta_stack import Stack
from tests.subprocess_server import ROOT, http_server

pytestmark = pytest.mark.anyio

MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def connect(url: str, token: str, **kw: Any) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    return Client(streamable_http_client(url, http_client=http), **kw)


def rpc(url: str, token: str, method: str, params: dict[str, Any], version: str = "2025-11-25") -> dict[str, Any]:
    """One bare JSON-RPC request over stateless HTTP (what a client sends for tasks/*), its answer."""
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}", "MCP-Protocol-Version": version}
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    r = httpx2.post(url, json=body, headers=headers, timeout=60)
    if r.headers.get("content-type", "").startswith("text/event-stream"):
        frames = [json.loads(line[5:]) for line in r.text.splitlines() if line.startswith("data:")]
        answer: dict[str, Any] = next((f for f in frames if f.get("id") == 1), {"status": r.status_code})
        return answer
    if r.status_code != 200 or not r.content:
        return {"status": r.status_code, "text": r.text}
    got: dict[str, Any] = r.json()
    return got


class World:
    """One backend behind letta-mcp: how to point at it and how to read its state back directly."""

    def __init__(self, kind: str, running: Stack | AppStack) -> None:
        self.kind = kind
        self.running = running

    async def state(self, ids: dict[str, str]) -> str:
        """Everything of team Y's that another caller could change, as the backend has it."""
        if self.kind == "app":
            return await self._app_state(ids)
        return await self._rest_state(ids)

    async def _rest_state(self, ids: dict[str, str]) -> str:
        from letta_client import AsyncLetta

        assert isinstance(self.running, Stack)
        out: dict[str, Any] = {}
        async with AsyncLetta(base_url=self.running.base_url, api_key=self.running.password, timeout=60) as letta:
            for key in ("agent", "exposed", "planted"):
                a = await letta.agents.retrieve(ids[key], include=["agent.tags", "agent.blocks"])
                out[key] = [a.name, a.description, sorted(a.tags or []), sorted((b.label, b.value) for b in a.blocks)]
            thread = await letta.conversations.messages.list(ids["conversation"], limit=50)
            out["conversation"] = sorted(str(m.id) for m in thread.items)
            out["messages"] = len((await letta.agents.messages.list(ids["agent"], limit=100)).items)
        return json.dumps(out, sort_keys=True, default=str)

    async def _app_state(self, ids: dict[str, str]) -> str:
        assert isinstance(self.running, AppStack)
        out: dict[str, Any] = {}
        async with direct(self.running.url, self.running.token) as d:
            for key in ("agent", "exposed", "planted"):
                a = (await d.request("agent_retrieve", agent_id=ids[key]))["agent"]
                memory = (await d.request("list_memory", agent_id=ids[key]))["entries"]
                out[key] = [
                    a["name"],
                    a.get("description"),
                    sorted(a.get("tags") or []),
                    sorted((e["relative_path"], e.get("content")) for e in memory),
                    len(await d.commits(ids[key])),
                ]
            out["conversation"] = [m.get("id") for m in await d.messages(ids["agent"], ids["conversation"])]
            conversations = (await d.request("conversation_list", query={"agent_id": ids["agent"]}))["conversations"]
            out["conversations"] = sorted(c["id"] for c in conversations)
        return json.dumps(out, sort_keys=True, default=str)


@pytest.fixture(params=["rest", "app"])
def world(request: pytest.FixtureRequest) -> World:
    kind = str(request.param)
    return World(kind, request.getfixturevalue("stack" if kind == "rest" else "app_stack"))


def tokens(uid: str) -> tuple[str, dict[str, str]]:
    x, y = f"team:x{uid}", f"team:y{uid}"
    named = {
        "admin": f"admin-{uid}",
        "x": f"team-x-{uid}",
        "y": f"team-y-{uid}",
        "ro": f"reader-y-{uid}",
        "ask": f"asker-y-{uid}",
    }
    listed = [
        {"name": "admin", "token": named["admin"]},
        {"name": "x", "token": named["x"], "agent_tag": x},
        {"name": "y", "token": named["y"], "agent_tag": y},
        {"name": "ro", "token": named["ro"], "agent_tag": y, "read_only": True},
        {"name": "ask", "token": named["ask"], "agent_tag": y, "toolsets": ["ask"]},
    ]
    return json.dumps(listed), named


FILL = {
    "message": "hi",
    "query": "plan",
    "text": "x",
    "value": "overwritten",
    "label": "human",
    "summary": "s",
    "old_text": "theirs",
    "new_text": "mine",
    "name": "renamed",
}


async def test_no_caller_reaches_another_scope(world: World, uid: str, tmp_path: Any) -> None:
    x_tag, y_tag = f"team:x{uid}", f"team:y{uid}"
    listed_tokens, tok = tokens(uid)
    env = {
        "LETTA_MCP_AUTH": "token",
        "LETTA_MCP_TOKENS": listed_tokens,
        "LETTA_MCP_TOOLSETS": "all",
        "LETTA_MCP_EXPOSE_TAG": "expose",
        "LETTA_MCP_READ_ONLY_ASK": "true",
        "LETTA_MCP_APP_WORKSPACES": str(tmp_path / "workspaces"),
        "LETTA_MCP_WAIT_SECONDS": "20",
    }
    blocks = [{"label": "human", "value": "theirs", "description": "the user"}]
    tried = refused = 0
    leaks: list[str] = []
    with http_server(world.running, **env) as base:
        url = base + "/mcp"
        # Team Y's things, made through letta-mcp by Y; one agent planted with both tags by the admin.
        async with connect(url, tok["y"]) as y:
            theirs = await call(y, "create_agent", name=f"{uid}-ya", memory_blocks=blocks)
            exposed = await call(y, "create_agent", name=f"{uid}-ye", memory_blocks=blocks, tags=["expose"])
            thread = await call(y, "create_conversation", agent=theirs["id"], summary="team y's thread")
            await call(y, "send_message", agent=theirs["id"], message="team y's secret plan", conversation=thread["id"])
            slow = await call(y, "send_message", agent=theirs["id"], message="[[sleep:25]] slow", wait_seconds=0)
            assert slow["status"] == "running"
        async with connect(url, tok["admin"]) as admin:
            planted = await call(admin, "create_agent", name=f"{uid}-both", tags=[x_tag, y_tag], memory_blocks=blocks)
        ids = {
            "agent": theirs["id"],
            "exposed": exposed["id"],
            "planted": planted["id"],
            "conversation": thread["id"],
        }
        run_id = str(slow["run_id"])
        task_id = f"{run_id}~-~1"
        before = await world.state(ids)
        secrets = ("theirs", "secret plan", theirs["id"], exposed["id"], planted["id"], thread["id"], y_tag, run_id)

        def check(what: str, text: str) -> None:
            for secret in secrets:
                if secret in text and secret not in what:
                    leaks.append(f"{what}: {secret}")

        async def refuses(client: Any, who: str, tool: str, /, **arguments: Any) -> None:
            nonlocal tried, refused
            tried += 1
            result = await client.call_tool(tool, arguments)
            text = " ".join(getattr(c, "text", "") for c in result.content)
            check(f"{who}:{tool}({arguments})", text)
            if result.is_error:
                refused += 1
            assert result.is_error, (who, tool, arguments, result.structured_content)

        def refuses_rpc(who: str, method: str, params: dict[str, Any], version: str = "2025-11-25") -> None:
            nonlocal tried, refused
            tried += 1
            answer = rpc(url, tok[who], method, params, version)
            check(f"{who}:{method}({params})", json.dumps(answer))
            result = answer.get("result") or {}
            if "error" in answer or answer.get("status") or result.get("isError"):
                refused += 1
            else:
                raise AssertionError((who, method, answer))

        async def refuses_read(client: Any, who: str, uri: str) -> None:
            nonlocal tried, refused
            tried += 1
            try:
                read = await client.read_resource(uri)
                check(f"{who}:{uri}", json.dumps(read.model_dump(mode="json")))
            except Exception as exc:  # noqa: BLE001 — a refusal is an MCP error
                refused += 1
                check(f"{who}:{uri}", str(exc))

        uris = [
            f"letta://agents/{theirs['id']}",
            f"letta://agents/{planted['id']}",
            f"letta://agents/{theirs['id']}/blocks/human",
            f"letta://agents/{planted['id']}/blocks/human",
        ]

        # Team X.
        async with connect(url, tok["x"]) as x:
            mine = await call(x, "create_agent", name=f"{uid}-xa", memory_blocks=[{"label": "human", "value": "ours"}])
            listed = {t.name: t.input_schema for t in (await x.list_tools()).tools}
            assert not [n for n in listed if n.startswith("ask_")], "Y's exposed agent is no ask_ tool of X's"
            for name, schema in listed.items():
                props = schema.get("properties", {})
                field = "agent" if "agent" in props else "attach_to" if "attach_to" in props else None
                if field is None:
                    continue
                for target in (theirs["id"], theirs["name"], planted["id"]):
                    arguments = {k: FILL.get(k, "x") for k in schema.get("required", []) if k != field}
                    if name in ("get_block", "update_block", "edit_block", "detach_block", "list_blocks"):
                        arguments.pop("block_id", None)
                        arguments.setdefault("label", "human")
                    if name == "create_block":
                        arguments["label"] = f"x{uid}"
                    if name == "create_tool":
                        continue  # REST-only, with its own cases in test_scope_matrix
                    await refuses(x, "x", name, **{field: target}, **arguments)
            await refuses(x, "x", "get_run", run_id=run_id)
            await refuses(x, "x", "cancel_run", run_id=run_id)
            await refuses(x, "x", "send_message", agent=mine["id"], message="hi", conversation=thread["id"])
            await refuses(x, "x", "list_messages", agent=mine["id"], conversation=thread["id"])
            await refuses(x, "x", "fork_conversation", agent=mine["id"], conversation=thread["id"])
            await refuses(x, "x", "create_agent", name=f"{uid}-plant", tags=[y_tag])
            await refuses(x, "x", "create_agent", name=f"{uid}-plant2", tags=[f"team:z{uid}"])
            await refuses(x, "x", "update_agent", agent=mine["id"], tags=[y_tag])
            filtered = await call(x, "list_agents", tags=[y_tag])
            assert filtered["agents"] == [], "a filter by another scope's tag finds nothing (and says nothing)"
            for uri in uris:
                await refuses_read(x, "x", uri)
            completion = await x.complete(
                PromptReference(type="ref/prompt", name="recall"), {"name": "agent", "value": uid}
            )
            assert not {theirs["name"], exposed["name"], planted["name"]} & set(completion.completion.values)
            # One team's slow turn holds up no other team: X talks to its own agent while Y's turn runs.
            mine_reply = await call(x, "send_message", agent=mine["id"], message="x's own turn")
            assert mine_reply["status"] == "completed", mine_reply
            assert run_id not in json.dumps(mine_reply)
        for method in ("tasks/get", "tasks/result", "tasks/cancel"):
            refuses_rpc("x", method, {"taskId": task_id})
        refuses_rpc("x", "resources/subscribe", {"uri": uris[2]})

        # The read-only token of team Y: no write of any kind, and no cancelling Y's run.
        async with connect(url, tok["ro"]) as ro:
            names = {t.name for t in (await ro.list_tools()).tools}
            writes = [s.name for s in TOOLS_BY_NAME.values() if not s.read_only]
            assert not names & set(writes), "a read-only token lists no write"
            for tool in writes:
                arguments = {"agent": theirs["id"], "run_id": run_id, "label": "human", "value": "overwritten"}
                await refuses(ro, "ro", tool, **arguments)
        refuses_rpc("ro", "tasks/cancel", {"taskId": task_id})

        # The ask-only token of team Y: its ask_ tool, and nothing else of Y's.
        async with connect(url, tok["ask"]) as asker:
            names = {t.name for t in (await asker.list_tools()).tools}
            assert names, "the ask-only token has its ask_ tool"
            assert all(n.startswith("ask_") for n in names), names
            for tool in ("get_agent", "get_run", "cancel_run", "list_messages", "get_block", "update_block"):
                await refuses(asker, "ask", tool, agent=theirs["id"], run_id=run_id, label="human", value="v")
            for uri in uris[:1] + uris[2:3]:
                await refuses_read(asker, "ask", uri)
            completion = await asker.complete(
                PromptReference(type="ref/prompt", name="recall"), {"name": "agent", "value": uid}
            )
            assert completion.completion.values == []
        for method in ("tasks/get", "tasks/result", "tasks/cancel"):
            refuses_rpc("ask", method, {"taskId": task_id})

        # subscriptions/listen (2026-07-28): only what the caller could read is honored, and only that arrives.
        # X also listens to its own agent: no update of Y's may reach it under X's URIs (the App Server's
        # memory push names files, not agents).
        block_uri = uris[2]
        x_own = [f"letta://agents/{mine['id']}", f"letta://agents/{mine['id']}/blocks/human"]
        got: dict[str, list[Any]] = {"x": [], "ask": [], "y": []}
        async with (
            connect(url, tok["x"]) as x,
            connect(url, tok["ask"]) as asker,
            connect(url, tok["y"]) as y,
            x.listen(resource_subscriptions=[block_uri, *x_own]) as x_sub,
            asker.listen(resource_subscriptions=[block_uri]) as ask_sub,
            y.listen(resource_subscriptions=[block_uri]) as y_sub,
        ):
            for who, sub in (("x", x_sub), ("ask", ask_sub)):
                tried += 1
                assert sub.honored is not None
                assert block_uri not in (sub.honored.resource_subscriptions or []), (who, sub.honored)
                refused += 1
            assert x_sub.honored is not None
            assert sorted(x_sub.honored.resource_subscriptions or []) == sorted(x_own), "X's own are honored"

            async def follow(who: str, sub: Any) -> None:
                async for event in sub:
                    got[who].append(event)

            async with anyio.create_task_group() as group:
                for who, sub in (("x", x_sub), ("ask", ask_sub), ("y", y_sub)):
                    group.start_soon(follow, who, sub)
                await call(y, "update_block", agent=theirs["id"], label="human", value="theirs")
                await until(lambda: got["y"], "Y's own update reaching Y's listener")
                await call(y, "list_agents")  # a round trip more: anything sent to X by now has arrived
                group.cancel_scope.cancel()
        assert ResourceUpdated(uri=block_uri) in got["y"], "the listener of the scope that holds it hears it"
        assert got["x"] == [], "another scope hears nothing of Y's block, under any URI"
        assert got["ask"] == [], "an ask-only token hears nothing of Y's block"

        async with connect(url, tok["y"]) as y:
            # Y's run was never cancelled by anyone else: it runs on, or finished on its own.
            status = (await call(y, "get_run", run_id=run_id))["status"]
            assert status in ("running", "completed"), status
            if world.kind == "app":
                steered = await call(y, "create_agent", name=f"{uid}-yhost")
                await steer_at_the_host(world, y, steered["id"], uid, tmp_path, url, tok["y"])

    after = await world.state(ids)
    print(
        f"\n[scope matrix {world.kind}] {tried} calls against another scope, {refused} refused, "
        f"state changes: {0 if after == before else 1}, leaks: {len(leaks)}"
    )
    assert leaks == [], leaks
    assert tried == refused, "every call against another scope is refused"
    assert after == before, "nothing of team Y's changed"


async def steer_at_the_host(world: World, y: Any, agent_id: str, uid: str, tmp_path: Any, url: str, token: str) -> None:
    """A caller steers its own agent's device tools at the App Server's machine: behind authentication every
    tool asks first and letta-mcp never answers for the person, so nothing is read, run or written; the
    turn runs in the scope's own working directory, never letta-mcp's."""
    assert isinstance(world.running, AppStack)
    secret = tmp_path / "host-secret.txt"
    secret.write_text(f"host secret {uid}")
    written = tmp_path / "host-written.txt"
    attempts = [
        ("Read", {"file_path": str(secret)}),
        ("Bash", {"command": f"cat {secret}; id", "description": "read"}),
        ("Write", {"file_path": str(written), "content": "planted"}),
    ]
    for tool, arguments in attempts:
        out = await call(
            y, "send_message", agent=agent_id, message=f"{uid} {tool} [[tool:{tool} {json.dumps(arguments)}]]"
        )
        assert out["stop_reason"] == "requires_approval", (tool, out)
        assert f"host secret {uid}" not in json.dumps(out), f"{tool} ran without asking"
        if tool == "Read":
            # tasks/result of a turn that waits for the person answers at once (it used to spin forever).
            with anyio.fail_after(60):
                ask = functools.partial(rpc, url, token, "tasks/result", {"taskId": f"{out['run_id']}~-~1"})
                waited = await anyio.to_thread.run_sync(ask)
            assert "result" in waited, waited
            assert waited["result"]["structuredContent"]["stop_reason"] == "requires_approval", waited
            runtime = {"agent_id": agent_id, "conversation_id": out["conversation_id"]}
            async with direct(world.running.url, world.running.token) as d:
                got = await d.request("get_reflection_settings", runtime=runtime)
            assert got["reflection_settings"]["trigger"] == "off", "no reflection subagent behind authentication"
        cancelled = await call(y, "cancel_run", run_id=out["run_id"])
        assert cancelled["status"] == "cancelled", cancelled
        assert f"host secret {uid}" not in json.dumps(cancelled)
    assert not written.exists(), "Write ran without asking"
    # What would run outside the caller's scope and permission mode is not served behind authentication: a
    # scheduled turn (started by the App Server itself) and reflection (its subagent may use every tool).
    for tool, arguments in (
        ("schedule_message", {"agent": agent_id, "message": "later", "cron": "0 9 * * 1"}),
        ("list_schedules", {"agent": agent_id}),
        ("delete_schedule", {"schedule_id": "cron-x"}),
        ("get_reflection", {"agent": agent_id}),
        ("set_reflection", {"agent": agent_id, "trigger": "step-count"}),
        ("reflect_now", {"agent": agent_id}),
        ("update_agent", {"agent": agent_id, "sleeptime": True}),
        ("create_agent", {"name": f"{uid}-ydream", "sleeptime": True}),
    ):
        refused = await call_error(y, tool, **arguments)
        assert "only to the person at the App Server's machine" in refused, (tool, refused)
    async with direct(world.running.url, world.running.token) as d:
        assert (await d.request("cron_list", agent_id=agent_id)).get("tasks") in ([], None), "nothing scheduled"
    assert (await call(y, "get_agent", agent=agent_id))["sleeptime"] is False
    asked = [json.dumps(r) for r in world.running.fake_requests() if uid in json.dumps(r)]
    assert asked, "the turns reached the model"
    assert not any(f"host secret {uid}" in r for r in asked), "no tool result carried the file"
    assert not any(str(ROOT) in r for r in asked), "the agent was told letta-mcp's own working directory"
    assert any(str(tmp_path / "workspaces") in r for r in asked), "the turns ran in the scope's own folder"
