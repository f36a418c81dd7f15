"""The `schedules` toolset on Letta's App Server: its cron tasks (`cron_add`, `cron_list`, `cron_runs`,
`cron_delete`), which its own scheduler fires, once a minute, while it runs.

For the person at this machine only: a scheduled turn is started by the App Server itself, outside any
letta-mcp request, so behind authentication it would run without the caller's scope or the strict
permission mode letta-mcp gives every runtime there.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import anyio

from letta_mcp.backends.app import workspace
from letta_mcp.backends.app._base import AppBase
from letta_mcp.backends.app.socket import AppServerError, Disconnected, NoAnswer
from letta_mcp.core.errors import InvalidInput, NotFound
from letta_mcp.core.models import Deleted, Schedule, ScheduleList, ScheduleRun
from letta_mcp.toolsets.schedules import Schedules, no_schedule, one_timing

RUNS_SHOWN = 3
"""Each schedule's latest runs that list_schedules shows."""
NEW = "new"
"""The App Server's word for a conversation of its own for each run."""


def _ms(value: Any) -> str | None:
    if not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value / 1000, UTC).isoformat().replace("+00:00", "Z")


def run_of(entry: dict[str, Any]) -> ScheduleRun:
    return ScheduleRun(
        at=_ms(entry.get("runAtMs") or entry.get("ts")),
        outcome=str(entry.get("outcome") or entry.get("status") or "unknown"),
        conversation_id=entry.get("conversationId"),
        error=entry.get("error"),
    )


def schedule_of(task: dict[str, Any], runs: list[ScheduleRun]) -> Schedule:
    once = not task.get("recurring")
    return Schedule(
        id=str(task["id"]),
        agent_id=str(task.get("agent_id") or ""),
        name=task.get("name") or None,
        message=str(task.get("prompt") or ""),
        at=task.get("scheduled_for") if once else None,
        cron=None if once else task.get("cron"),
        timezone=None if once else task.get("timezone"),
        conversation=str(task.get("conversation_id") or NEW),
        status=str(task.get("status") or "unknown"),
        runs=runs,
    )


class AppSchedules(AppBase, Schedules):
    def _local_only(self) -> None:
        if workspace.shared(self.settings):
            raise InvalidInput(
                "Schedules are served only to the person at the App Server's machine: a scheduled turn would run "
                "outside this endpoint's scope and permission rules."
            )

    async def schedule_message(
        self,
        agent: str,
        message: str,
        at: datetime | None = None,
        cron: str | None = None,
        timezone: str | None = None,
        conversation: str | None = None,
        name: str | None = None,
    ) -> Schedule:
        self._local_only()
        one_timing(at, cron)
        agent_id = await self.resolve_agent(agent)
        target = NEW
        if conversation and conversation.strip():
            target = (
                "default"
                if conversation.strip() == "default"
                else await self.thread(agent_id, conversation, start=False)
            )
        fields: dict[str, Any] = {
            "agent_id": agent_id,
            "conversation_id": target,
            "name": name or " ".join(message.split())[:40],
            "description": "scheduled through letta-mcp",
            "prompt": message,
        }
        if at is not None:
            when = at.astimezone(UTC)
            if when <= datetime.now(UTC):
                raise InvalidInput(f"at ({at.isoformat()}) is in the past: give a time to come.")
            # A one-off still carries a cron expression on the App Server: the minute it is due.
            fields |= {
                "recurring": False,
                "scheduled_for": when.isoformat().replace("+00:00", "Z"),
                "cron": f"{when.minute} {when.hour} {when.day} {when.month} *",
                "timezone": "UTC",
            }
        else:
            assert cron is not None
            if len(cron.split()) != 5:
                raise InvalidInput(f"cron {cron!r} needs 5 fields: minute hour day month weekday, e.g. '0 9 * * 1-5'.")
            fields |= {"recurring": True, "cron": " ".join(cron.split()), "timezone": timezone or "UTC"}
        added = await self.socket.request("cron_add", **fields)
        return schedule_of(added["task"], [])

    async def list_schedules(self, agent: str) -> ScheduleList:
        self._local_only()
        agent_id = await self.resolve_agent(agent)
        listed = (await self.socket.request("cron_list", agent_id=agent_id)).get("tasks") or []
        tasks = [t for t in listed if isinstance(t, dict) and t.get("agent_id") == agent_id and t.get("id")]
        runs: dict[str, list[ScheduleRun]] = {}
        lost: list[Exception] = []

        async def read_runs(task_id: str) -> None:
            try:
                page = (await self.socket.request("cron_runs", task_id=task_id)).get("page") or {}
            except AppServerError:
                return  # listed without its runs
            except (Disconnected, NoAnswer) as exc:
                lost.append(exc)  # raised alone below, so it is translated as any read's
                return
            entries = sorted(page.get("entries") or [], key=lambda e: e.get("ts") or 0, reverse=True)
            runs[task_id] = [run_of(e) for e in entries[:RUNS_SHOWN]]

        async with anyio.create_task_group() as group:
            for t in tasks:
                group.start_soon(read_runs, str(t["id"]))
        if lost:
            raise lost[0]
        return ScheduleList(agent_id=agent_id, schedules=[schedule_of(t, runs.get(str(t["id"]), [])) for t in tasks])

    async def delete_schedule(self, schedule_id: str) -> Deleted:
        self._local_only()
        found = (await self.socket.request("cron_get", task_id=schedule_id)).get("task")
        if not isinstance(found, dict):
            raise NotFound(no_schedule(schedule_id))
        try:
            await self.resolve_agent(str(found.get("agent_id") or ""))
        except NotFound:
            raise NotFound(no_schedule(schedule_id)) from None
        await self.socket.request("cron_delete", task_id=schedule_id)
        return Deleted(id=schedule_id, name=found.get("name") or None, what="schedule")
