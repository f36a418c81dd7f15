"""Scheduled messages: served where the backend keeps schedules (Letta's App Server), not listed elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import pytest

from tests.helpers import call, call_error
from tests.integration.contract.target import AppReadBack, Target

pytestmark = pytest.mark.anyio

TOOLS = {"schedule_message", "list_schedules", "delete_schedule"}


async def test_a_scheduled_message_arrives_and_the_agent_answers_it(target: Target, uid: str) -> None:
    client = target.mcp
    listed = {t.name for t in (await client.list_tools()).tools}
    if not target.serves("schedule_message"):
        assert target.kind == "rest"
        assert not TOOLS & listed, "self-hosted Letta 0.16.8 has no schedules: not listed"
        return
    assert listed >= TOOLS
    agent = await call(client, "create_agent", name=f"{uid}-sched")
    other = await call(client, "create_agent", name=f"{uid}-sched-other")
    soon = datetime.now(UTC) + timedelta(seconds=1)
    once = await call(client, "schedule_message", agent=agent["name"], message="scheduled hello", at=soon.isoformat())
    assert (once["agent_id"], once["message"], once["status"], once["conversation"]) == (
        agent["id"],
        "scheduled hello",
        "active",
        "new",
    )
    assert "cron" not in once
    weekly = await call(
        client,
        "schedule_message",
        agent=agent["id"],
        message="weekly report",
        cron="0 9 * * 1",
        timezone="Europe/Berlin",
        conversation="default",
        name="weekly",
    )
    assert (weekly["cron"], weekly["timezone"], weekly["conversation"], weekly["name"]) == (
        "0 9 * * 1",
        "Europe/Berlin",
        "default",
        "weekly",
    )
    later = (soon + timedelta(hours=1)).isoformat()
    for args, said in (
        ({"at": later, "cron": "0 9 * * 1"}, "either at"),
        ({"at": (soon - timedelta(hours=1)).isoformat()}, "in the past"),
        ({"at": later.replace("+00:00", "")}, "offset"),
        ({"cron": "every monday"}, "5 fields"),
        ({"at": later, "conversation": "conv-nope"}, "conv-nope"),
    ):
        refused = await call_error(client, "schedule_message", agent=agent["id"], message="x", **args)
        assert said in refused, args

    assert isinstance(target.read, AppReadBack)
    stored = await target.read.d.request("cron_list", agent_id=agent["id"])
    assert {t["id"] for t in stored["tasks"]} == {once["id"], weekly["id"]}, "nothing else was saved"
    mine = await call(client, "list_schedules", agent=agent["id"])
    assert {s["id"] for s in mine["schedules"]} == {once["id"], weekly["id"]}
    assert (await call(client, "list_schedules", agent=other["id"]))["schedules"] == []

    deleted = await call(client, "delete_schedule", schedule_id=weekly["id"])
    assert (deleted["deleted"], deleted["id"], deleted["name"]) == (True, weekly["id"], "weekly")
    stored = await target.read.d.request("cron_list", agent_id=agent["id"])
    assert [t["id"] for t in stored["tasks"]] == [once["id"]]
    gone = await call_error(client, "delete_schedule", schedule_id=weekly["id"])
    assert "No schedule" in gone

    # The App Server's scheduler looks once a minute: the one-off fires within about a minute.
    runs: list[dict[str, object]] = []
    with anyio.fail_after(100):
        while not runs:
            await anyio.sleep(2)
            found = (await call(client, "list_schedules", agent=agent["id"]))["schedules"]
            runs = next(s for s in found if s["id"] == once["id"])["runs"]
    assert runs[0]["outcome"] == "queued", runs
    conversation = str(runs[0]["conversation_id"])
    said: list[tuple[str, str]] = []
    with anyio.fail_after(30):
        while not [t for k, t in said if k == "assistant"]:
            await anyio.sleep(0.5)
            said = await target.read.messages(agent["id"], conversation)
    asked = [t for k, t in said if k == "user"]
    assert len(asked) == 1, "sent once"
    assert asked[0].endswith("Prompt: scheduled hello"), "the App Server tells the agent it is a scheduled task"
    assert [t for k, t in said if k == "assistant"] == [f"echo: {asked[0]}"], "and the agent answers it"
