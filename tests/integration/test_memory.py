"""The memory toolset against the real Letta server."""

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


async def test_list_and_get_blocks(client: Any, uid: str) -> None:
    agent = await _agent(client, f"{uid}-m", persona="I help.", human="Alice likes tea.")
    listed = await call(client, "list_blocks", agent=agent["name"])
    assert {b["label"]: b["chars"] for b in listed["blocks"]} == {"persona": 7, "human": 16}
    block = await call(client, "get_block", agent=agent["name"], label="human")
    assert block["value"] == "Alice likes tea."
    assert block["description"] == "the human"
    assert block["limit"] == 2000
    assert "next_offset" not in block


async def test_get_block_reads_a_long_value_in_pieces(client: Any, letta: Any, uid: str) -> None:
    agent = await _agent(client, f"{uid}-long", notes="")
    value = "".join(f"line {i:05d}\n" for i in range(150))  # 1,650 chars
    blocks = (await letta.agents.blocks.list(agent["id"])).items
    await letta.blocks.update(blocks[0].id, value=value, limit=5000)
    pieces, offset = [], 0
    while True:
        out = await call(client, "get_block", agent=agent["id"], label="notes", offset=offset, max_chars=500)
        pieces.append(out["value"])
        assert out["chars"] == len(value)
        if out.get("next_offset") is None:
            break
        offset = out["next_offset"]
    assert "".join(pieces) == value
    assert len(pieces) == 4


async def test_update_block_replaces_and_respects_the_limit(client: Any, letta: Any, uid: str) -> None:
    agent = await _agent(client, f"{uid}-up", human="old")
    out = await call(client, "update_block", agent=agent["name"], label="human", value="Bob prefers tabs.")
    assert out["chars"] == len("Bob prefers tabs.")
    stored = await letta.agents.blocks.retrieve("human", agent_id=agent["id"])
    assert stored.value == "Bob prefers tabs."
    message = await call_error(client, "update_block", agent=agent["name"], label="human", value="x" * 2001)
    assert "holds at most 2000" in message
    assert (await letta.agents.blocks.retrieve("human", agent_id=agent["id"])).value == "Bob prefers tabs."


async def test_edit_block_replace_and_insert(client: Any, letta: Any, uid: str) -> None:
    agent = await _agent(client, f"{uid}-ed", project="style: tabs\ntests: pytest\nci: none")
    out = await call(
        client, "edit_block", agent=agent["name"], label="project", old_text="ci: none", new_text="ci: github actions"
    )
    assert "ci: github actions" in out["preview"]
    await call(client, "edit_block", agent=agent["name"], label="project", insert_text="lang: python", line=0)
    await call(client, "edit_block", agent=agent["name"], label="project", insert_text="owner: bob", line=-1)
    stored = (await letta.agents.blocks.retrieve("project", agent_id=agent["id"])).value
    assert stored == "lang: python\nstyle: tabs\ntests: pytest\nci: github actions\nowner: bob"


async def test_edit_block_refuses_missing_ambiguous_and_oversized(client: Any, letta: Any, uid: str) -> None:
    agent = await _agent(client, f"{uid}-bad", project="a b a")
    missing = await call_error(client, "edit_block", agent=agent["id"], label="project", old_text="zzz", new_text="y")
    assert "does not occur" in missing
    twice = await call_error(client, "edit_block", agent=agent["id"], label="project", old_text="a", new_text="c")
    assert "occurs 2 times" in twice
    big = await call_error(client, "edit_block", agent=agent["id"], label="project", old_text="b", new_text="x" * 2500)
    assert "holds at most 2000" in big
    both = await call_error(
        client, "edit_block", agent=agent["id"], label="project", old_text="a", new_text="c", insert_text="q", line=0
    )
    assert "either" in both
    assert (await letta.agents.blocks.retrieve("project", agent_id=agent["id"])).value == "a b a"


async def test_unknown_label_names_list_blocks(client: Any, uid: str) -> None:
    agent = await _agent(client, f"{uid}-nl", persona="p")
    message = await call_error(client, "get_block", agent=agent["name"], label="nope")
    assert "no block labelled 'nope'" in message
    assert "list_blocks" in message


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
