"""The `reflection` toolset (opt-in): an agent's reflection (sleep-time memory work), seen and steered.

Letta Code's agents reflect: a background subagent reads the recent conversation and commits what is
worth keeping to the agent's memory. It runs by itself (every N steps, or on compaction) and can fail or
find nothing for days without anyone noticing; these tools show when it ran, what it committed (or that it
committed nothing), change when it runs, and start one now. Letta's App Server has them; the REST API has
only the sleep-time agent switch (update_agent's `sleeptime`).
"""

from __future__ import annotations

from typing import Annotated, Literal, Protocol

from pydantic import Field

from letta_mcp.core.contract import declare, toolset
from letta_mcp.core.models import Reflection, ReflectionRun
from letta_mcp.toolsets._args import AgentRef

Trigger = Literal["off", "step-count", "compaction-event"]
STEPS = 25
"""Letta Code's own default: reflect every 25 steps."""


class Reflects(Protocol):
    """The contract of the `reflection` toolset."""

    @declare("Get an agent's reflection", read_only=True, hint="letta reflection sleeptime dream memory status")
    async def get_reflection(self, agent: AgentRef) -> Reflection:
        """When an agent reflects (its background memory pass), the reflections seen lately (when, how they
        ended, the memory commits each made or that it made none) and the latest reflection commits in its
        memory's history. Next: set_reflection, reflect_now, memory_history for diffs."""
        ...

    @declare("Set an agent's reflection", read_only=False, hint="letta reflection sleeptime schedule", idempotent=True)
    async def set_reflection(
        self,
        agent: AgentRef,
        trigger: Annotated[Trigger, Field(description="off, step-count (every step_count steps), compaction-event.")],
        step_count: Annotated[
            int | None, Field(ge=1, le=1_000, description="Steps between reflections (step-count; default 25).")
        ] = None,
    ) -> Reflection:
        """Change when an agent reflects, for the agent wherever it runs (update_agent's sleeptime is the on/off
        switch of the same thing)."""
        ...

    @declare("Reflect now", read_only=False, hint="letta reflect dream consolidate memory now", idempotent=False)
    async def reflect_now(
        self,
        agent: AgentRef,
        conversation: Annotated[
            str | None, Field(max_length=200, description="Conversation id (omit: default).")
        ] = None,
        instruction: Annotated[
            str | None, Field(min_length=1, max_length=2_000, description="What to focus on.")
        ] = None,
    ) -> ReflectionRun:
        """Start a reflection on a conversation's recent messages now, and wait a while for it to end: how it
        ended and the memory commits it made. Still running: get_reflection later."""
        ...


def no_reflection_here() -> str:
    return (
        "Reflection is served only to the person at the App Server's machine: the reflection subagent runs with "
        "every tool allowed, outside this endpoint's scope and permission rules."
    )


TOOLSET = toolset(
    "reflection",
    "An agent's reflection (background memory work): when it runs, what it committed, start one now.",
    default=False,
    contract=Reflects,
)
