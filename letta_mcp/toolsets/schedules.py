"""The `schedules` toolset (opt-in): messages sent to an agent later, once at a time or on a cron schedule.

The backend sends them, not the client: a schedule runs while nobody is connected. Letta's App Server
keeps them (and runs them while it runs); the REST servers letta-mcp is tested against have none.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Protocol

from pydantic import Field

from letta_mcp.core.contract import declare, toolset
from letta_mcp.core.models import Deleted, Schedule, ScheduleList
from letta_mcp.toolsets._args import AgentRef, MessageText

ScheduleId = Annotated[str, Field(min_length=1, max_length=100, description="Schedule id (list_schedules).")]


class Schedules(Protocol):
    """The contract of the `schedules` toolset."""

    @declare("Schedule a message", read_only=False, hint="letta schedule cron remind later recurring message agent")
    async def schedule_message(
        self,
        agent: AgentRef,
        message: MessageText,
        at: Annotated[datetime | None, Field(description="Once, at this time (ISO 8601 with offset).")] = None,
        cron: Annotated[
            str | None,
            Field(min_length=9, max_length=100, description="Recurring: 5-field cron, e.g. '0 9 * * 1-5'."),
        ] = None,
        timezone: Annotated[str | None, Field(max_length=64, description="IANA zone for cron (default UTC).")] = None,
        conversation: Annotated[
            str | None,
            Field(max_length=200, description="'default', a conversation id, or omit: a new one per run."),
        ] = None,
        name: Annotated[str | None, Field(max_length=100, description="A short name.")] = None,
    ) -> Schedule:
        """Have the backend send an agent a message later: once (`at`) or on a schedule (`cron`), even
        while no client is connected. The agent answers it in a conversation. Next: list_schedules for
        its runs.
        """
        ...

    @declare("List schedules", read_only=True, hint="letta schedules cron list runs")
    async def list_schedules(self, agent: AgentRef) -> ScheduleList:
        """An agent's scheduled messages: when they run, their status and their last runs (when, how it
        went, in which conversation)."""
        ...

    @declare("Delete a schedule", read_only=False, hint="letta cancel delete schedule cron", destructive=True)
    async def delete_schedule(self, schedule_id: ScheduleId) -> Deleted:
        """Delete a scheduled message: it will not run again (runs already made stay in their conversation)."""
        ...


def one_timing(at: datetime | None, cron: str | None) -> None:
    """A schedule runs once at a time, or on a cron schedule: exactly one of them."""
    from letta_mcp.core.errors import InvalidInput

    if (at is None) == (cron is None):
        raise InvalidInput("Give either at (once, an ISO 8601 time) or cron (recurring, e.g. '0 9 * * 1-5').")
    if at is not None and at.tzinfo is None:
        raise InvalidInput("Give at with its offset (e.g. 2026-12-24T09:00:00+01:00), so the time is unambiguous.")


def no_schedule(schedule_id: str) -> str:
    return f"No schedule {schedule_id!r}. Call list_schedules with the agent to see its schedules."


TOOLSET = toolset(
    "schedules",
    "Messages the backend sends an agent later: once at a time, or on a cron schedule.",
    default=False,
    contract=Schedules,
)
