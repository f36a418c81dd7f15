"""Reflection (sleep-time memory work): update_agent's and get_agent's `sleeptime` mean the same on both
backends (REST: the sleep-time agent; App Server: whether the agent reflects); the reflection toolset, on
the App Server, shows and steers it and starts one whose commits are read back."""

from __future__ import annotations

import json

import pytest

from tests.helpers import call, call_error
from tests.integration.contract.target import AppReadBack, RestReadBack, Target

pytestmark = pytest.mark.anyio

TOOLS = {"get_reflection", "set_reflection", "reflect_now"}


async def _stored_sleeptime(target: Target, agent_id: str) -> bool:
    if isinstance(target.read, RestReadBack):
        return bool((await target.read.letta.agents.retrieve(agent_id)).enable_sleeptime)
    assert isinstance(target.read, AppReadBack)
    runtime = {"agent_id": agent_id, "conversation_id": "default"}
    got = await target.read.d.request("get_reflection_settings", runtime=runtime)
    return str(got["reflection_settings"]["trigger"]) != "off"


async def test_sleeptime_means_the_same_on_both_backends(target: Target, uid: str) -> None:
    client = target.mcp
    agent = await call(client, "create_agent", name=f"{uid}-sleep")
    assert agent["sleeptime"] is False
    assert await _stored_sleeptime(target, agent["id"]) is False, "created without: it does not reflect"
    on = await call(client, "update_agent", agent=agent["id"], sleeptime=True)
    assert on["sleeptime"] is True
    assert await _stored_sleeptime(target, agent["id"]) is True
    assert (await call(client, "get_agent", agent=agent["id"]))["sleeptime"] is True
    off = await call(client, "update_agent", agent=agent["id"], sleeptime=False)
    assert off["sleeptime"] is False
    assert await _stored_sleeptime(target, agent["id"]) is False
    assert (await call(client, "get_agent", agent=agent["id"]))["sleeptime"] is False
    made = await call(client, "create_agent", name=f"{uid}-sleep2", sleeptime=True)
    assert made["sleeptime"] is True
    assert await _stored_sleeptime(target, made["id"]) is True


async def test_a_reflection_is_started_and_what_it_committed_is_shown(target: Target, uid: str) -> None:
    client = target.mcp
    listed = {t.name for t in (await client.list_tools()).tools}
    if not target.serves("get_reflection"):
        assert target.kind == "rest"
        assert not TOOLS & listed, "self-hosted Letta 0.16.8 has only the sleep-time switch: not listed"
        return
    assert listed >= TOOLS
    assert isinstance(target.read, AppReadBack)
    blocks = [{"label": "human", "value": "Lives in Porto."}]
    agent = await call(client, "create_agent", name=f"{uid}-dream", memory_blocks=blocks)
    seen = await call(client, "get_reflection", agent=agent["name"])
    assert (seen["agent_id"], seen["trigger"], seen["runs"], seen["commits"]) == (agent["id"], "off", [], [])
    assert "off" in seen["note"]

    steered = await call(client, "set_reflection", agent=agent["id"], trigger="step-count", step_count=3)
    assert (steered["trigger"], steered["step_count"]) == ("step-count", 3)
    runtime = {"agent_id": agent["id"], "conversation_id": "default"}
    stored = (await target.read.d.request("get_reflection_settings", runtime=runtime))["reflection_settings"]
    assert (stored["trigger"], stored["step_count"]) == ("step-count", 3), "the App Server keeps it"
    assert (await call(client, "get_agent", agent=agent["id"]))["sleeptime"] is True

    await call(client, "send_message", agent=agent["id"], message="I moved to Lisbon last week.")
    # The fake model plays the reflection subagent: it commits the way Letta Code's reflection prompt says.
    command = (
        'cd "$MEMORY_DIR" && printf "\\nMoved to Lisbon." >> human.md && git add human.md && '
        'git commit -q --author="Reflection Subagent <r@letta.com>" -m "chore(reflection): Record the move"'
    )
    step = json.dumps({"description": "record", "command": command})
    ran = await call(client, "reflect_now", agent=agent["id"], instruction=f"Keep the move. [[tool:Bash {step}]]")
    assert ran["outcome"] == "changed", ran
    assert ran["conversation_id"] == "default"
    assert ran["started_at"]
    assert ran["finished_at"]
    assert [c["message"] for c in ran["commits"]] == ["chore(reflection): Record the move"], ran
    assert "Moved to Lisbon." in await target.read.d.file(agent["id"], "human.md")
    history = await target.read.d.commits(agent["id"])
    assert history[0]["sha"].startswith(ran["commits"][0]["sha"]), "the commit is the memory's newest"

    seen = await call(client, "get_reflection", agent=agent["id"])
    assert seen["runs"][0]["commits"] == ran["commits"]
    assert seen["runs"][0]["outcome"] == "changed"
    assert [c["sha"] for c in seen["commits"]] == [ran["commits"][0]["sha"]], "only reflection's commits"

    # A reflection that finds nothing new is refused with the App Server's reason, and nothing is recorded.
    again = await call_error(client, "reflect_now", agent=agent["id"])
    assert "did not start a reflection" in again
    assert len((await call(client, "get_reflection", agent=agent["id"]))["runs"]) == 1

    missing = await call_error(client, "get_reflection", agent=f"{uid}-nobody")
    assert "No agent named" in missing
    stray = await call_error(client, "reflect_now", agent=agent["id"], conversation="conv-nope")
    assert "conv-nope" in stray
    off = await call(client, "set_reflection", agent=agent["id"], trigger="off")
    assert off["trigger"] == "off"
    assert (await call(client, "get_agent", agent=agent["id"]))["sleeptime"] is False
