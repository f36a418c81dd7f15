"""The letta:// resources on every backend: agents and their blocks, completions, subscriptions."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from mcp import MCPError
from mcp.shared.subscriptions import ResourcesListChanged, ResourceUpdated
from mcp.types import PromptReference, ResourceTemplateReference

from tests.helpers import call, until
from tests.helpers import resource_agent as _agent
from tests.helpers import text_of_resource as _text
from tests.integration.contract.target import Target

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_list_and_read_agents_and_blocks(target: Target, uid: str, mode: Any) -> None:
    async with target.connect(mode=mode) as client:
        agent = await _agent(client, uid)
        listed = [str(r.uri) for r in (await client.list_resources()).resources]
        assert "letta://agents" in listed
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert {"letta://agents/{agent_id}", "letta://agents/{agent_id}/blocks/{label}"} <= templates
        index = json.loads(await _text(client, "letta://agents"))
        assert agent["id"] in [a["id"] for a in index["agents"]]
        one = json.loads(await _text(client, f"letta://agents/{agent['id']}"))
        stored = await target.read.agent(agent["id"])
        assert stored is not None
        assert (one["agent"]["name"], one["agent"]["description"]) == (stored.name, stored.description)
        memory = {b["label"]: (b["value"], b.get("description")) for b in one["memory"]}
        expected = {
            "human": ("Alice, likes tea", "the user"),
            "persona": ("I am helpful", "who I am"),
        }
        if target.kind == "app":
            assert set(memory) == {*expected, "MEMORY"}, "and the App Server's index of the agent's memory"
            memory.pop("MEMORY")
        assert memory == expected
        for label, (value, description) in expected.items():
            seen = await target.read.block(agent["id"], label)
            assert (seen.value, seen.description) == (value, description)
        by_name = json.loads(await _text(client, f"letta://agents/{uid}-r"))
        assert by_name["agent"]["id"] == agent["id"]
        assert await _text(client, f"letta://agents/{agent['id']}/blocks/human") == "Alice, likes tea"
        await call(client, "update_block", agent=agent["id"], label="human", value="Bob, likes coffee")
        assert await _text(client, f"letta://agents/{agent['id']}/blocks/human") == "Bob, likes coffee"
        assert (await target.read.block(agent["id"], "human")).value == "Bob, likes coffee"


async def test_not_found_is_a_resource_error(target: Target, uid: str) -> None:
    agent = await _agent(target.mcp, uid, "nf")
    missing = {
        "rest": "agent-00000000-0000-4000-8000-000000000000",
        "app": "agent-local-00000000-0000-4000-8000-000000000000",
    }
    for uri in (
        f"letta://agents/{missing[target.kind]}",
        f"letta://agents/{uid}-nobody",
        f"letta://agents/{agent['id']}/blocks/nolabel",
    ):
        with pytest.raises(MCPError) as caught:
            await target.mcp.read_resource(uri)
        assert caught.value.error.code == -32602, uri
        assert caught.value.error.message


async def test_completion(target: Target, uid: str) -> None:
    client = target.mcp
    agent = await _agent(client, uid, "complete")
    ref = ResourceTemplateReference(type="ref/resource", uri="letta://agents/{agent_id}/blocks/{label}")
    names = await client.complete(ref, {"name": "agent_id", "value": uid})
    assert f"{uid}-complete" in names.completion.values
    ids = await client.complete(ref, {"name": "agent_id", "value": agent["id"][:18]})
    assert agent["id"] in ids.completion.values
    labels = await client.complete(ref, {"name": "label", "value": "h"}, context_arguments={"agent_id": agent["id"]})
    assert labels.completion.values == ["human"]
    prompt = await client.complete(PromptReference(type="ref/prompt", name="recall"), {"name": "agent", "value": uid})
    assert f"{uid}-complete" in prompt.completion.values


async def test_legacy_subscription_gets_updates_and_list_changes(target: Target, uid: str) -> None:
    seen: list[Any] = []

    async def handler(message: Any) -> None:
        seen.append(message)

    async with target.connect(mode="legacy", message_handler=handler) as client:
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
    assert await target.read.agent(agent["id"]) is None


async def test_modern_listen_gets_updates_and_list_changes(target: Target, uid: str) -> None:
    events: list[Any] = []
    async with target.connect() as client:
        agent = await _agent(client, uid, "listen")
        uri = f"letta://agents/{agent['id']}/blocks/human"
        async with client.listen(resource_subscriptions=[uri], resources_list_changed=True) as sub:
            await call(client, "update_block", agent=agent["id"], label="human", value="Bob")
            another = await call(client, "create_agent", name=f"{uid}-another")
            with anyio.move_on_after(30):  # a generous bound; it stops at the second event
                async for event in sub:
                    events.append(event)
                    if len(events) >= 2:
                        break
    assert ResourceUpdated(uri=uri) in events
    assert ResourcesListChanged() in events
    assert (await target.read.block(agent["id"], "human")).value == "Bob"
    assert await target.read.agent(another["id"]) is not None
