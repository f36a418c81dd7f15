"""Resources, templates, completions, subscriptions and prompts against the real Letta server."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from mcp import Client, MCPError
from mcp.shared.subscriptions import ResourcesListChanged, ResourceUpdated
from mcp.types import PromptReference, ResourceTemplateReference

from letta_mcp.server import create_server
from tests.helpers import call, until
from tests.stack.letta_stack import Stack
from tests.subprocess_server import stdio_params

pytestmark = pytest.mark.anyio


async def _agent(client: Any, uid: str, suffix: str = "r") -> dict[str, Any]:
    return await call(
        client,
        "create_agent",
        name=f"{uid}-{suffix}",
        description="resource agent",
        memory_blocks=[
            {"label": "human", "value": "Alice, likes tea", "description": "the user"},
            {"label": "persona", "value": "I am helpful", "description": "who I am"},
        ],
    )


async def _text(client: Any, uri: str) -> str:
    result = await client.read_resource(uri)
    return str(result.contents[0].text)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_list_and_read_every_kind(settings: Any, uid: str, mode: Any) -> None:
    async with Client(create_server(settings), mode=mode) as client:
        agent = await _agent(client, uid)
        listed = [str(r.uri) for r in (await client.list_resources()).resources]
        assert "letta://agents" in listed
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert {
            "letta://agents/{agent_id}",
            "letta://agents/{agent_id}/blocks/{label}",
            "letta://blocks/{block_id}",
        } <= templates
        index = json.loads(await _text(client, "letta://agents"))
        assert agent["id"] in [a["id"] for a in index["agents"]]
        one = json.loads(await _text(client, f"letta://agents/{agent['id']}"))
        assert one["agent"]["name"] == f"{uid}-r"
        assert {b["label"]: (b["value"], b["description"]) for b in one["memory"]} == {
            "human": ("Alice, likes tea", "the user"),
            "persona": ("I am helpful", "who I am"),
        }
        by_name = json.loads(await _text(client, f"letta://agents/{uid}-r"))
        assert by_name["agent"]["id"] == agent["id"]
        assert await _text(client, f"letta://agents/{agent['id']}/blocks/human") == "Alice, likes tea"
        block_id = next(b["id"] for b in one["memory"] if b["label"] == "persona")
        assert await _text(client, f"letta://blocks/{block_id}") == "I am helpful"


async def test_agents_index_pages_with_cursors(client: Any, letta: Any, uid: str) -> None:
    total = len((await letta.agents.list(limit=1000)).items)
    for i in range(max(0, 51 - total)):
        await letta.agents.create(
            name=f"{uid}-fill{i}", model="openai-proxy/fake-model", embedding="openai/text-embedding-3-small"
        )
    first = json.loads(await _text(client, "letta://agents"))
    assert len(first["agents"]) == 50
    assert first["next_cursor"]
    second = json.loads(await _text(client, f"letta://agents?cursor={first['next_cursor']}"))
    assert second["agents"]
    assert not {a["id"] for a in first["agents"]} & {a["id"] for a in second["agents"]}


async def test_not_found_is_a_resource_error(client: Any, uid: str) -> None:
    agent = await _agent(client, uid, "nf")
    for uri in (
        "letta://agents/agent-00000000-0000-4000-8000-000000000000",
        f"letta://agents/{uid}-nobody",
        f"letta://agents/{agent['id']}/blocks/nolabel",
        "letta://blocks/block-00000000-0000-4000-8000-000000000000",
    ):
        with pytest.raises(MCPError) as caught:
            await client.read_resource(uri)
        assert caught.value.error.code == -32602, uri
        assert caught.value.error.message


async def test_completion(client: Any, uid: str) -> None:
    agent = await _agent(client, uid, "complete")
    ref = ResourceTemplateReference(type="ref/resource", uri="letta://agents/{agent_id}/blocks/{label}")
    names = await client.complete(ref, {"name": "agent_id", "value": uid})
    assert f"{uid}-complete" in names.completion.values
    ids = await client.complete(ref, {"name": "agent_id", "value": agent["id"][:12]})
    assert agent["id"] in ids.completion.values
    labels = await client.complete(ref, {"name": "label", "value": "h"}, context_arguments={"agent_id": agent["id"]})
    assert labels.completion.values == ["human"]
    prompt = await client.complete(PromptReference(type="ref/prompt", name="recall"), {"name": "agent", "value": uid})
    assert f"{uid}-complete" in prompt.completion.values


async def test_legacy_subscription_gets_updates_and_list_changes(settings: Any, uid: str) -> None:
    seen: list[Any] = []

    async def handler(message: Any) -> None:
        seen.append(message)

    async with Client(create_server(settings), mode="legacy", message_handler=handler) as client:
        agent = await _agent(client, uid, "sub")
        uri = f"letta://agents/{agent['id']}/blocks/human"
        await client.subscribe_resource(uri)
        await call(client, "edit_block", agent=agent["id"], label="human", old_text="tea", new_text="coffee")
        await call(client, "update_block", agent=agent["id"], label="persona", value="changed")
        await call(client, "delete_agent", agent=agent["id"])

        def arrived() -> bool:
            return any(type(getattr(m, "root", m)).__name__ == "ResourceListChangedNotification" for m in seen)

        await until(arrived, "the list change after delete_agent")
        await call(client, "list_agents")  # one more round trip: anything else sent by now has arrived
    kinds = [type(getattr(m, "root", m)).__name__ for m in seen]
    updated = [getattr(getattr(m, "root", m), "params", None) for m in seen]
    uris = [str(p.uri) for p in updated if p is not None and hasattr(p, "uri")]
    assert uris == [uri], "only the subscribed block, once"
    assert "ResourceListChangedNotification" in kinds


async def test_modern_listen_gets_updates_and_list_changes(settings: Any, uid: str) -> None:
    events: list[Any] = []
    async with Client(create_server(settings)) as client:
        agent = await _agent(client, uid, "listen")
        uri = f"letta://agents/{agent['id']}/blocks/human"
        async with client.listen(resource_subscriptions=[uri], resources_list_changed=True) as sub:
            await call(client, "update_block", agent=agent["id"], label="human", value="Bob")
            await call(client, "create_agent", name=f"{uid}-another")
            with anyio.move_on_after(30):  # a generous bound; it stops at the second event
                async for event in sub:
                    events.append(event)
                    if len(events) >= 2:
                        break
    assert ResourceUpdated(uri=uri) in events
    assert ResourcesListChanged() in events


async def test_prompts_list_and_render(client: Any) -> None:
    prompts = {p.name: p for p in (await client.list_prompts()).prompts}
    assert set(prompts) == {"consult_agent", "remember", "recall", "project_memory"}
    assert [a.name for a in prompts["consult_agent"].arguments] == ["agent", "question"]
    expected_tools = {
        "consult_agent": ({"agent": "arch", "question": "Why X?"}, ["send_message", "get_run", "Why X?"]),
        "remember": (
            {"agent": "arch", "fact": "We use ruff"},
            ["edit_block", "insert_archival", "letta://agents/arch"],
        ),
        "recall": (
            {"agent": "arch", "topic": "deploys"},
            ["search_archival", "search_messages", "letta://agents/arch"],
        ),
        "project_memory": ({"agent": "arch"}, ["create_agent", "create_block", "conventions", "open_work"]),
    }
    for name, (args, words) in expected_tools.items():
        rendered = await client.get_prompt(name, args)
        text = rendered.messages[0].content.text
        for word in words:
            assert word in text, (name, word)


async def test_resources_and_prompts_through_a_subprocess(stack: Stack, letta: Any, uid: str) -> None:
    agent = await letta.agents.create(
        name=f"{uid}-sp",
        model=stack.model,
        embedding=stack.embedding,
        memory_blocks=[{"label": "human", "value": "via stdio"}],
    )
    async with Client(stdio_params(stack)) as client:
        assert await _text(client, f"letta://agents/{agent.id}/blocks/human") == "via stdio"
        rendered = await client.get_prompt("recall", {"agent": agent.name, "topic": "x"})
        assert agent.name in rendered.messages[0].content.text
