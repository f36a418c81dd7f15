"""The agents toolset on every backend: what letta-mcp did is read back from the backend itself."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import call, call_error
from tests.integration.contract.target import AgentView, BlockView, RestReadBack, Target

pytestmark = pytest.mark.anyio


async def test_create_agent_stores_what_it_was_given(target: Target, uid: str) -> None:
    out = await call(
        target.mcp,
        "create_agent",
        name=f"{uid}-helper",
        description="helps with tests",
        memory_blocks=[{"label": "human", "value": "likes tea", "description": "the user"}],
        tags=[uid, "project:x"],
    )
    assert out["existed"] is False
    assert target.is_id("agent", out["id"])
    assert (out["name"], out["description"]) == (f"{uid}-helper", "helps with tests")
    assert sorted(out["tags"]) == sorted([uid, "project:x"])
    assert out["model"] == target.model, "a model that points somewhere: the configured default"
    stored = await target.read.agent(out["id"])
    assert stored == AgentView(f"{uid}-helper", "helps with tests", sorted([uid, "project:x"]), target.model)
    assert "human" in await target.read.labels(out["id"])
    assert await target.read.block(out["id"], "human") == BlockView("likes tea", "the user")


async def test_create_agent_is_idempotent_by_name_and_by_tags(target: Target, uid: str) -> None:
    client = target.mcp
    first = await call(client, "create_agent", name=f"{uid}-a")
    again = await call(client, "create_agent", name=f"{uid}-a")
    assert again["existed"] is True
    assert again["id"] == first["id"]
    by_tag = await call(client, "create_agent", name=f"{uid}-b", tags=[f"user:{uid}"], unique_by="tags")
    same = await call(client, "create_agent", name=f"{uid}-b2", tags=[f"user:{uid}"], unique_by="tags")
    assert same["existed"] is True
    assert same["id"] == by_tag["id"]
    assert await target.read.agents_named(f"{uid}-a") == [first["id"]]
    assert await target.read.agents_tagged([f"user:{uid}"]) == [by_tag["id"]]
    assert await target.read.agents_named(f"{uid}-b2") == [], "the second create by tags made nothing"
    refused = await call_error(client, "create_agent", name=f"{uid}-c", unique_by="tags")
    assert "needs tags" in refused
    assert await target.read.agents_named(f"{uid}-c") == []
    forced = await call(client, "create_agent", name=f"{uid}-a", unique_by="none")
    assert forced["existed"] is False
    assert forced["id"] != first["id"]
    assert sorted(await target.read.agents_named(f"{uid}-a")) == sorted([first["id"], forced["id"]])


async def test_list_agents_filters_and_pages(target: Target, uid: str) -> None:
    client = target.mcp
    made = {}
    for i in range(5):
        out = await call(client, "create_agent", name=f"{uid}-{i}", tags=[uid, "even" if i % 2 == 0 else "odd"])
        made[out["name"]] = out["id"]
    seen: list[str] = []
    cursor = None
    pages = 0
    for _ in range(5):
        args: dict[str, Any] = {"tags": [uid], "limit": 2}
        if cursor:
            args["cursor"] = cursor
        page = await call(client, "list_agents", **args)
        pages += 1
        assert len(page["agents"]) <= 2
        seen += [a["name"] for a in page["agents"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert sorted(seen) == sorted(made), "every agent once, over pages"
    assert pages == 3
    both = await call(client, "list_agents", tags=[uid, "even"], match_all_tags=True)
    assert sorted(a["name"] for a in both["agents"]) == [f"{uid}-0", f"{uid}-2", f"{uid}-4"]
    either = await call(client, "list_agents", tags=[f"{uid}-none", uid], limit=10)
    assert len(either["agents"]) == 5, "any of the tags, without match_all_tags"
    named = await call(client, "list_agents", name=f"{uid}-3")
    assert [(a["name"], a["id"]) for a in named["agents"]] == [(f"{uid}-3", made[f"{uid}-3"])]
    assert sorted(named["agents"][0]["tags"]) == sorted([uid, "odd"]), "the backend's own tags are not shown"
    assert named["agents"][0]["model"] == target.model
    queried = await call(client, "list_agents", query=f"{uid}-1")
    assert f"{uid}-1" in [a["name"] for a in queried["agents"]]
    for name, agent_id in made.items():
        assert await target.read.agents_named(name) == [agent_id]
    assert sorted(await target.read.agents_tagged([uid, "even"])) == sorted(made[f"{uid}-{i}"] for i in (0, 2, 4))


async def test_get_agent_by_id_and_by_name(target: Target, uid: str) -> None:
    client = target.mcp
    made = await call(
        client,
        "create_agent",
        name=f"{uid}-g",
        description="d",
        memory_blocks=[{"label": "human", "value": "abc", "description": "the user"}],
    )
    by_name = await call(client, "get_agent", agent=f"{uid}-g")
    by_id = await call(client, "get_agent", agent=made["id"])
    assert by_name == by_id
    stored = await target.read.agent(made["id"])
    assert stored is not None
    assert (by_id["name"], by_id["description"], by_id["model"]) == (stored.name, stored.description, stored.model)
    assert {b["label"] for b in by_id["blocks"]} == await target.read.labels(made["id"])
    human = next(b for b in by_id["blocks"] if b["label"] == "human")
    assert (human["description"], human["chars"], human["read_only"]) == ("the user", 3, False)
    assert target.is_id("block", human["id"])
    if isinstance(target.read, RestReadBack):
        # Letta gives REST agents its default tools, and one block (with a limit) per memory block given.
        direct = await target.read.letta.agents.retrieve(made["id"], include=["agent.tools", "agent.blocks"])
        assert by_id["tools"], "Letta's default tools"
        assert sorted(by_id["tools"]) == sorted(t.name for t in direct.tools)
        assert len(direct.blocks) == 1, "Letta's own view of the agent's blocks"
        block = direct.blocks[0]
        assert by_id["blocks"] == [
            {
                "label": "human",
                "id": block.id,
                "description": "the user",
                "chars": 3,
                "limit": block.limit,
                "read_only": False,
            }
        ]
    else:
        # The App Server's agents keep memory as files (their index, MEMORY.md, among them) and have no Letta tools.
        assert by_id["tools"] == []
        assert {b["label"] for b in by_id["blocks"]} == {"human", "MEMORY"}
        assert human["id"] == "human.md"
        assert "limit" not in human


async def test_update_agent_changes_only_what_is_given(target: Target, uid: str) -> None:
    client = target.mcp
    made = await call(client, "create_agent", name=f"{uid}-u", description="before", tags=["one"])
    out = await call(client, "update_agent", agent=made["id"], description="after", tags=["two", "three"])
    assert out["description"] == "after"
    assert sorted(out["tags"]) == ["three", "two"]
    assert await target.read.agent(made["id"]) == AgentView(f"{uid}-u", "after", ["three", "two"], target.model)
    renamed = await call(client, "update_agent", agent=f"{uid}-u", name=f"{uid}-u2")
    assert renamed["name"] == f"{uid}-u2"
    assert await target.read.agent(made["id"]) == AgentView(f"{uid}-u2", "after", ["three", "two"], target.model)
    assert "Nothing to change" in await call_error(client, "update_agent", agent=made["id"])


async def test_delete_agent(target: Target, uid: str) -> None:
    client = target.mcp
    made = await call(client, "create_agent", name=f"{uid}-d")
    kept = await call(client, "create_agent", name=f"{uid}-kept")
    out = await call(client, "delete_agent", agent=f"{uid}-d")
    assert out == {"deleted": True, "id": made["id"], "name": f"{uid}-d", "what": "agent"}
    assert await target.read.agent(made["id"]) is None
    assert await target.read.agents_named(f"{uid}-d") == []
    assert await target.read.agent(kept["id"]) is not None, "only that one"
    message = await call_error(client, "get_agent", agent=made["id"])
    assert "Not found" in message
    assert "list_agents" in message


async def test_unknown_agent_name_says_what_to_call(target: Target, uid: str) -> None:
    message = await call_error(target.mcp, "get_agent", agent=f"{uid}-nobody")
    assert f"No agent named '{uid}-nobody'" in message
    assert "list_agents" in message


async def test_ambiguous_agent_name_asks_for_the_id(target: Target, uid: str) -> None:
    one = await call(target.mcp, "create_agent", name=f"{uid}-twin", unique_by="none")
    two = await call(target.mcp, "create_agent", name=f"{uid}-twin", unique_by="none")
    message = await call_error(target.mcp, "get_agent", agent=f"{uid}-twin")
    assert "Several agents" in message
    assert "pass the id" in message
    assert sorted(await target.read.agents_named(f"{uid}-twin")) == sorted([one["id"], two["id"]])
    assert (await call(target.mcp, "get_agent", agent=two["id"]))["id"] == two["id"], "the id still works"
