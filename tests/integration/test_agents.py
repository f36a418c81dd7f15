"""The agents toolset against the real Letta server: state is read back with the Letta SDK."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import call, call_error

pytestmark = pytest.mark.anyio


async def test_create_agent_with_described_blocks_rules_and_secrets(client: Any, letta: Any, uid: str) -> None:
    out = await call(
        client,
        "create_agent",
        name=f"{uid}-helper",
        description="helps with tests",
        memory_blocks=[
            {"label": "persona", "value": "I am careful.", "description": "who I am", "limit": 4000},
            {"label": "project", "value": "", "description": "the project's conventions"},
        ],
        tags=[uid, "project:x"],
        tools=["conversation_search"],
        tool_rules=[{"type": "exit_loop", "tool": "conversation_search"}],
        context_window_limit=16000,
        secrets={"SERVICE_TOKEN": "s3cret-value"},
    )
    assert out["existed"] is False
    assert out["name"] == f"{uid}-helper"
    state = await letta.agents.retrieve(out["id"], include=["agent.blocks", "agent.tags", "agent.secrets"])
    assert sorted(state.tags) == sorted([uid, "project:x"])
    blocks = {b.label: b for b in state.blocks}
    assert blocks["persona"].description == "who I am"
    assert blocks["persona"].limit == 4000
    assert blocks["project"].description == "the project's conventions"
    assert state.llm_config.context_window == 16000
    assert [s.key for s in state.secrets] == ["SERVICE_TOKEN"]
    assert any(r.tool_name == "conversation_search" and r.type == "exit_loop" for r in state.tool_rules)
    # What the model sees: labels and sizes, secret names but never values.
    assert {b["label"] for b in out["blocks"]} == {"persona", "project"}
    assert out["secrets"] == ["SERVICE_TOKEN"]
    assert "s3cret-value" not in str(out)
    assert {"type": "exit_loop", "tool": "conversation_search"} in out["tool_rules"]


async def test_create_agent_is_idempotent_by_name_and_by_tags(client: Any, letta: Any, uid: str) -> None:
    first = await call(client, "create_agent", name=f"{uid}-a")
    again = await call(client, "create_agent", name=f"{uid}-a")
    assert again["existed"] is True
    assert again["id"] == first["id"]
    by_tag = await call(client, "create_agent", name=f"{uid}-b", tags=[f"user:{uid}"], unique_by="tags")
    same = await call(client, "create_agent", name=f"{uid}-b2", tags=[f"user:{uid}"], unique_by="tags")
    assert same["existed"] is True
    assert same["id"] == by_tag["id"]
    assert len((await letta.agents.list(name=f"{uid}-a", limit=5)).items) == 1
    assert len((await letta.agents.list(tags=[f"user:{uid}"], limit=5)).items) == 1
    forced = await call(client, "create_agent", name=f"{uid}-a", unique_by="none")
    assert forced["id"] != first["id"]


async def test_list_agents_filters_and_pages(client: Any, uid: str) -> None:
    for i in range(5):
        await call(client, "create_agent", name=f"{uid}-{i}", tags=[uid, "even" if i % 2 == 0 else "odd"])
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        args: dict[str, Any] = {"tags": [uid], "limit": 2}
        if cursor:
            args["cursor"] = cursor
        page = await call(client, "list_agents", **args)
        seen += [a["name"] for a in page["agents"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert sorted(seen) == sorted(f"{uid}-{i}" for i in range(5))
    both = await call(client, "list_agents", tags=[uid, "even"], match_all_tags=True)
    assert sorted(a["name"] for a in both["agents"]) == [f"{uid}-0", f"{uid}-2", f"{uid}-4"]
    named = await call(client, "list_agents", name=f"{uid}-3")
    assert [a["name"] for a in named["agents"]] == [f"{uid}-3"]
    assert named["agents"][0]["tags"]
    queried = await call(client, "list_agents", query=f"{uid}-1")
    assert f"{uid}-1" in [a["name"] for a in queried["agents"]]


async def test_get_agent_by_id_and_by_name(client: Any, letta: Any, uid: str) -> None:
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
    direct = await letta.agents.retrieve(made["id"], include=["agent.tools", "agent.blocks"])
    assert by_id["model"] == direct.llm_config.handle
    assert sorted(by_id["tools"]) == sorted(t.name for t in direct.tools)
    assert len(direct.blocks) == 1, "Letta's own view of the agent's blocks"
    stored = direct.blocks[0]
    assert by_id["blocks"] == [
        {
            "label": "human",
            "id": stored.id,
            "description": "the user",
            "chars": 3,
            "limit": stored.limit,
            "read_only": False,
        }
    ]


async def test_update_agent_changes_only_what_is_given(client: Any, letta: Any, uid: str) -> None:
    made = await call(client, "create_agent", name=f"{uid}-u", description="before", tags=["one"])
    out = await call(client, "update_agent", agent=made["id"], description="after", tags=["two", "three"])
    assert out["description"] == "after"
    state = await letta.agents.retrieve(made["id"], include=["agent.tags"])
    assert state.description == "after"
    assert sorted(state.tags) == ["three", "two"]
    assert state.name == f"{uid}-u"
    assert "Nothing to change" in await call_error(client, "update_agent", agent=made["id"])


async def test_delete_agent(client: Any, letta: Any, uid: str) -> None:
    made = await call(client, "create_agent", name=f"{uid}-d")
    out = await call(client, "delete_agent", agent=f"{uid}-d")
    assert out == {"deleted": True, "id": made["id"], "name": f"{uid}-d", "what": "agent"}
    assert (await letta.agents.list(name=f"{uid}-d", limit=2)).items == []
    message = await call_error(client, "get_agent", agent=made["id"])
    assert "Not found" in message
    assert "list_agents" in message


async def test_unknown_agent_name_says_what_to_call(client: Any, uid: str) -> None:
    message = await call_error(client, "get_agent", agent=f"{uid}-nobody")
    assert f"No agent named '{uid}-nobody'" in message
    assert "list_agents" in message


async def test_ambiguous_agent_name_asks_for_the_id(client: Any, uid: str) -> None:
    await call(client, "create_agent", name=f"{uid}-twin", unique_by="none")
    await call(client, "create_agent", name=f"{uid}-twin", unique_by="none")
    message = await call_error(client, "get_agent", agent=f"{uid}-twin")
    assert "Several agents" in message
    assert "pass the id" in message
