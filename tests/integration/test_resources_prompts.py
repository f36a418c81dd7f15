"""Resources and prompts against the real Letta server: shared blocks by id, the agents index's pages, prompts,
and a stdio subprocess. Agents and their blocks as resources, completions and subscriptions are tested on every
backend in `contract/test_resources.py`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client, MCPError

from tests.helpers import resource_agent as _agent
from tests.helpers import text_of_resource as _text
from tests.stack.letta_stack import Stack
from tests.subprocess_server import stdio_params

pytestmark = pytest.mark.anyio


async def test_a_shared_block_by_id(client: Any, uid: str) -> None:
    """letta://blocks/{block_id} (REST only: blocks exist apart from agents there)."""
    agent = await _agent(client, uid)
    templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
    assert "letta://blocks/{block_id}" in templates
    one = json.loads(await _text(client, f"letta://agents/{agent['id']}"))
    block_id = next(b["id"] for b in one["memory"] if b["label"] == "persona")
    assert await _text(client, f"letta://blocks/{block_id}") == "I am helpful"
    with pytest.raises(MCPError) as caught:
        await client.read_resource("letta://blocks/block-00000000-0000-4000-8000-000000000000")
    assert caught.value.error.code == -32602
    assert caught.value.error.message


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
