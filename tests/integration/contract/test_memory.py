"""The memory toolset on every backend: an agent's blocks (REST blocks, App Server memory files)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import call, call_error
from tests.integration.contract.target import AppReadBack, BlockView, Target

pytestmark = pytest.mark.anyio

APP_OWN = {"MEMORY"}
"""The memory file every App Server agent has besides its blocks (the index of its memory)."""


async def _agent(target: Target, name: str, **blocks: str) -> dict[str, Any]:
    memory = [{"label": label, "value": value, "description": f"the {label}"} for label, value in blocks.items()]
    return await call(target.mcp, "create_agent", name=name, memory_blocks=memory)


async def test_list_and_get_blocks(target: Target, uid: str) -> None:
    agent = await _agent(target, f"{uid}-m", persona="I help.", human="Alice likes tea.")
    listed = await call(target.mcp, "list_blocks", agent=agent["name"])
    chars = {b["label"]: b["chars"] for b in listed["blocks"]}
    extra = APP_OWN if target.kind == "app" else set()
    assert set(chars) == {"persona", "human"} | extra == await target.read.labels(agent["id"])
    assert (chars["persona"], chars["human"]) == (7, 16)
    assert all(target.is_id("block", b["id"]) for b in listed["blocks"])
    block = await call(target.mcp, "get_block", agent=agent["name"], label="human")
    assert (block["value"], block["description"], block["chars"]) == ("Alice likes tea.", "the human", 16)
    assert await target.read.block(agent["id"], "human") == BlockView("Alice likes tea.", "the human")
    assert "next_offset" not in block
    if target.kind == "rest":
        assert block["id"].startswith("block-")
        assert block["limit"] > 0
    else:
        assert block["id"] == "human.md", "a block is a memory file here"
        assert "limit" not in block
    paged: list[str] = []
    cursor = None
    for _ in range(5):
        page = await call(
            target.mcp, "list_blocks", agent=agent["id"], limit=1, **({"cursor": cursor} if cursor else {})
        )
        assert len(page["blocks"]) == 1
        paged += [b["label"] for b in page["blocks"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert sorted(paged) == sorted(chars), "every block once, a page at a time"


async def test_get_block_reads_a_long_value_in_pieces(target: Target, uid: str) -> None:
    agent = await _agent(target, f"{uid}-long", notes="short")
    value = "".join(f"line {i:05d}\n" for i in range(150))  # 1,650 chars
    await call(target.mcp, "update_block", agent=agent["id"], label="notes", value=value)
    assert (await target.read.block(agent["id"], "notes")).value == value
    pieces, offset = [], 0
    while True:
        out = await call(target.mcp, "get_block", agent=agent["id"], label="notes", offset=offset, max_chars=500)
        pieces.append(out["value"])
        assert out["chars"] == len(value)
        if out.get("next_offset") is None:
            break
        offset = out["next_offset"]
    assert "".join(pieces) == value
    assert len(pieces) == 4


async def test_update_block_replaces_the_value(target: Target, uid: str) -> None:
    agent = await _agent(target, f"{uid}-up", human="old", persona="kept")
    out = await call(target.mcp, "update_block", agent=agent["name"], label="human", value="Bob prefers tabs.")
    assert out["chars"] == len("Bob prefers tabs.")
    assert out["label"] == "human"
    assert await target.read.block(agent["id"], "human") == BlockView("Bob prefers tabs.", "the human")
    assert (await target.read.block(agent["id"], "persona")).value == "kept", "only that block"


async def test_edit_block_replace_and_insert(target: Target, uid: str) -> None:
    agent = await _agent(target, f"{uid}-ed", project="style: tabs\ntests: pytest\nci: none")
    out = await call(
        target.mcp,
        "edit_block",
        agent=agent["name"],
        label="project",
        old_text="ci: none",
        new_text="ci: github actions",
    )
    assert "ci: github actions" in out["preview"]
    assert (await target.read.block(agent["id"], "project")).value == "style: tabs\ntests: pytest\nci: github actions"
    await call(target.mcp, "edit_block", agent=agent["name"], label="project", insert_text="lang: python", line=0)
    await call(target.mcp, "edit_block", agent=agent["name"], label="project", insert_text="owner: bob", line=-1)
    stored = await target.read.block(agent["id"], "project")
    assert stored == BlockView(
        "lang: python\nstyle: tabs\ntests: pytest\nci: github actions\nowner: bob", "the project"
    ), "the description is kept"


async def test_edit_block_refuses_missing_ambiguous_and_mixed(target: Target, uid: str) -> None:
    agent = await _agent(target, f"{uid}-bad", project="a b a")
    client = target.mcp
    missing = await call_error(client, "edit_block", agent=agent["id"], label="project", old_text="zzz", new_text="y")
    assert "does not occur" in missing
    twice = await call_error(client, "edit_block", agent=agent["id"], label="project", old_text="a", new_text="c")
    assert "occurs 2 times" in twice
    both = await call_error(
        client, "edit_block", agent=agent["id"], label="project", old_text="a", new_text="c", insert_text="q", line=0
    )
    assert "either" in both
    assert (await target.read.block(agent["id"], "project")).value == "a b a"


async def test_unknown_label_names_list_blocks(target: Target, uid: str) -> None:
    agent = await _agent(target, f"{uid}-nl", persona="p")
    for tool, args in (
        ("get_block", {}),
        ("update_block", {"value": "x"}),
        ("edit_block", {"old_text": "p", "new_text": "q"}),
    ):
        message = await call_error(target.mcp, tool, agent=agent["name"], label="nope", **args)
        assert "no block labelled 'nope'" in message, tool
        assert "list_blocks" in message, tool
    assert await target.read.labels(agent["id"]) == {"persona"} | (APP_OWN if target.kind == "app" else set())


async def test_memory_history_where_served(target: Target, uid: str) -> None:
    agent = await _agent(target, f"{uid}-hist", human="likes tea")
    listed = {t.name for t in (await target.mcp.list_tools()).tools}
    if not target.serves("memory_history"):
        # REST memory blocks keep no history: the tool is not listed, nor callable.
        assert target.kind == "rest"
        assert "memory_history" not in listed
        refused = await call_error(target.mcp, "memory_history", agent=agent["id"])
        assert "memory_history" in refused
        return
    assert "memory_history" in listed
    await call(target.mcp, "edit_block", agent=agent["id"], label="human", old_text="tea", new_text="coffee")
    await call(target.mcp, "update_block", agent=agent["id"], label="human", value="likes cake")
    history = await call(target.mcp, "memory_history", agent=agent["id"], label="human")
    assert history["agent_id"] == agent["id"]
    assert [c["message"] for c in history["commits"][:2]] == [
        "letta-mcp: update_block human",
        "letta-mcp: edit_block human",
    ]
    assert isinstance(target.read, AppReadBack)
    stored = await target.read.d.commits(agent["id"], "human.md")
    assert [(c["sha"], c["message"]) for c in history["commits"]] == [(c["sha"], c["message"]) for c in stored]
    everything = await call(target.mcp, "memory_history", agent=agent["id"], limit=50)
    assert {c["sha"] for c in history["commits"]} <= {c["sha"] for c in everything["commits"]}
    assert (await target.read.block(agent["id"], "human")).value == "likes cake"
    # Each commit says what it changed, line by line.
    newest = history["commits"][0]["changes"]
    assert [(c["path"], c["added"], c["removed"]) for c in newest] == [("human.md", 1, 1)]
    assert "-likes coffee" in newest[0]["diff"]
    assert "+likes cake" in newest[0]["diff"]


async def test_restore_and_delete_where_served(target: Target, uid: str) -> None:
    agent = await _agent(target, f"{uid}-undo", human="likes tea")
    client = target.mcp
    listed = {t.name for t in (await client.list_tools()).tools}
    if not target.serves("restore_block"):
        assert target.kind == "rest"
        assert not {"restore_block", "delete_block"} & listed, "REST blocks keep no history: not listed"
        return
    first = (await call(client, "memory_history", agent=agent["id"], label="human"))["commits"][0]["sha"]
    await call(client, "update_block", agent=agent["id"], label="human", value="likes cake")
    restored = await call(client, "restore_block", agent=agent["name"], label="human", commit=first[:10])
    assert restored["label"] == "human"
    assert restored["preview"] == "likes tea"
    assert await target.read.block(agent["id"], "human") == BlockView("likes tea", "the human"), "reads as before"
    history = await call(client, "memory_history", agent=agent["id"], label="human")
    top = history["commits"][0]
    assert top["message"] == f"letta-mcp: restore_block human to {first[:10]}", "one new commit naming the one restored"
    assert first in [c["sha"] for c in history["commits"]], "history is kept, never rewritten"
    again = await call(client, "restore_block", agent=agent["id"], label="human", commit=first)
    assert "nothing committed" in again["changed"]
    assert (await call(client, "memory_history", agent=agent["id"], label="human"))["commits"][0]["sha"] == top["sha"]

    # Deleting is one commit; restoring the commit before brings the block back.
    deleted = await call(client, "delete_block", agent=agent["id"], label="human")
    assert (deleted["deleted"], deleted["id"]) == (True, "human.md")
    assert "human" not in await target.read.labels(agent["id"])
    gone = await call_error(client, "get_block", agent=agent["id"], label="human")
    assert "no block labelled 'human'" in gone
    after = await call(client, "memory_history", agent=agent["id"], label="human")
    assert after["commits"][0]["message"] == "letta-mcp: delete_block human"
    assert after["commits"][0]["changes"][0]["removed"] >= 1
    await call(client, "restore_block", agent=agent["id"], label="human", commit=after["commits"][1]["sha"])
    assert await target.read.block(agent["id"], "human") == BlockView("likes tea", "the human")

    # Only a plain commit id reaches git; an unknown one is named as such.
    for bad in ("--output=/tmp/x", "HEAD~1", "abc def"):
        refused = await call_error(client, "restore_block", agent=agent["id"], label="human", commit=bad)
        assert "not a commit id" in refused or "String should" in refused, bad
    unknown = await call_error(client, "restore_block", agent=agent["id"], label="human", commit="0" * 40)
    assert "no text at commit" in unknown
    missing = await call_error(client, "delete_block", agent=agent["id"], label="nope")
    assert "no block labelled 'nope'" in missing
