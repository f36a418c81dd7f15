"""The memory toolset's REST-only parts against the real Letta server: block limits and shared blocks.

What both backends do with an agent's blocks is tested once for both in `contract/test_memory.py`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import call, call_error

pytestmark = pytest.mark.anyio


async def _agent(client: Any, name: str, **blocks: str) -> dict[str, Any]:
    memory = [
        {"label": label, "value": value, "description": f"the {label}", "limit": 2000}
        for label, value in blocks.items()
    ]
    return await call(client, "create_agent", name=name, memory_blocks=memory)


async def test_block_limits(client: Any, letta: Any, uid: str) -> None:
    """REST blocks hold at most their limit: a write past it is refused, by update_block and edit_block alike."""
    agent = await _agent(client, f"{uid}-lim", human="old", project="a b a")
    block = await call(client, "get_block", agent=agent["name"], label="human")
    assert block["limit"] == 2000
    assert (await letta.agents.blocks.retrieve("human", agent_id=agent["id"])).limit == 2000
    message = await call_error(client, "update_block", agent=agent["name"], label="human", value="x" * 2001)
    assert "holds at most 2000" in message
    assert (await letta.agents.blocks.retrieve("human", agent_id=agent["id"])).value == "old"
    big = await call_error(client, "edit_block", agent=agent["id"], label="project", old_text="b", new_text="x" * 2500)
    assert "holds at most 2000" in big
    assert (await letta.agents.blocks.retrieve("project", agent_id=agent["id"])).value == "a b a"


async def test_shared_block_between_two_agents(client: Any, letta: Any, uid: str) -> None:
    one = await _agent(client, f"{uid}-one", persona="1")
    two = await _agent(client, f"{uid}-two", persona="2")
    shared = await call(
        client,
        "create_block",
        label="team",
        value="use ruff",
        description="team conventions",
        limit=3000,
        attach_to=[one["name"]],
    )
    assert shared["agents"] == [one["id"]]
    attached = await call(client, "attach_block", agent=two["id"], block_id=shared["id"])
    assert attached["changed"] is True
    assert "team" in attached["attached"]
    again = await call(client, "attach_block", agent=two["id"], block_id=shared["id"])
    assert again["changed"] is False
    await call(client, "edit_block", block_id=shared["id"], old_text="ruff", new_text="ruff and mypy")
    for agent in (one, two):
        seen = await letta.agents.blocks.retrieve("team", agent_id=agent["id"])
        assert seen.value == "use ruff and mypy"
    by_id = await call(client, "get_block", block_id=shared["id"])
    assert sorted(by_id["agents"]) == sorted([one["id"], two["id"]])
    all_team = await call(client, "list_blocks", label="team", limit=100)
    assert shared["id"] in [b["id"] for b in all_team["blocks"]]
    detached = await call(client, "detach_block", agent=one["name"], label="team")
    assert detached["changed"] is True
    assert "team" not in detached["attached"]
    labels = [b.label for b in (await letta.agents.blocks.list(one["id"])).items]
    assert "team" not in labels
    assert (await letta.blocks.retrieve(shared["id"])).value == "use ruff and mypy"
