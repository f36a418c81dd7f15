"""The `reflection` toolset on Letta's App Server: its reflection settings (`get_reflection_settings`,
`set_reflection_settings`), a reflection started now (`execute_command` reflect), the ends of reflections
this process saw (`reflections`), and the commits reflection made, from the memory's history.

For the person at this machine only: the reflection subagent runs with every tool allowed whatever the
runtime's permission mode, so behind authentication letta-mcp turns reflection off instead (`workspace`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import anyio

from letta_mcp.backends.app import workspace
from letta_mcp.backends.app._base import AppBase
from letta_mcp.backends.app.reflections import Seen, outcome_of
from letta_mcp.core.errors import InvalidInput, LettaMCPError
from letta_mcp.core.models import Reflection, ReflectionCommit, ReflectionRun
from letta_mcp.toolsets.reflection import STEPS, Reflects, no_reflection_here

HISTORY = 50
"""Commits of the memory's history read for reflection's own."""
SHOWN = 10
"""Reflection commits get_reflection lists."""
AUTOMATIC_WINDOW = 600.0
"""An automatic reflection's start is not announced: its commits are sought this far before its end."""
SLACK = 2.0
"""Commit times have whole seconds."""
WAIT = 60.0
"""reflect_now waits at most this long for the reflection to end (Letta Code's take a minute or so)."""


def runtime_of(agent_id: str, conversation: str = "default") -> dict[str, str]:
    """Reflection settings are the agent's (any of its conversations names them)."""
    return {"agent_id": agent_id, "conversation_id": conversation}


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _when(commit: dict[str, Any]) -> float | None:
    try:
        return datetime.fromisoformat(str(commit.get("timestamp"))).timestamp()
    except ValueError:
        return None


def by_reflection(commit: dict[str, Any]) -> bool:
    """Letta Code's reflection commits as "Reflection Subagent", with "(reflection)" in the subject (and a
    merge of its work, if one is needed, as "merge(reflection): …")."""
    subject = str(commit.get("message") or "").split("\n", 1)[0]
    return str(commit.get("author_name") or "").startswith("Reflection") or "(reflection)" in subject


def commit_of(commit: dict[str, Any]) -> ReflectionCommit:
    return ReflectionCommit(
        sha=str(commit.get("sha") or "")[:12],
        message=str(commit.get("message") or "").split("\n", 1)[0],
        date=commit.get("timestamp"),
    )


def run_of(seen: Seen, earlier: Seen | None, commits: list[dict[str, Any]]) -> ReflectionRun:
    made: list[ReflectionCommit] = []
    if seen.finished_at is not None:
        start = seen.started_at
        if start is None:
            start = max(seen.finished_at - AUTOMATIC_WINDOW, (earlier.finished_at or 0) if earlier else 0)
        made = [
            commit_of(c)
            for c in commits
            if (t := _when(c)) is not None and start - SLACK <= t <= seen.finished_at + SLACK
        ]
    outcome = outcome_of(seen.summary)
    return ReflectionRun(
        conversation_id=seen.conversation_id,
        started_at=_iso(seen.started_at),
        finished_at=_iso(seen.finished_at),
        outcome="changed" if made and outcome == "no_changes" else outcome,
        summary=seen.summary,
        commits=made,
    )


class AppReflection(AppBase, Reflects):
    def _local_only(self) -> None:
        if workspace.shared(self.settings):
            raise InvalidInput(no_reflection_here())

    async def _settings(self, agent_id: str) -> dict[str, Any]:
        answer = await self.socket.request("get_reflection_settings", runtime=runtime_of(agent_id))
        return dict(answer.get("reflection_settings") or {})

    async def _reflection_commits(self, agent_id: str) -> list[dict[str, Any]]:
        answer = await self.socket.request("memory_history", agent_id=agent_id, limit=HISTORY)
        return [c for c in answer.get("commits") or [] if isinstance(c, dict) and by_reflection(c)]

    def _runs(self, agent_id: str, commits: list[dict[str, Any]]) -> list[ReflectionRun]:
        seen = self.backend.reflections.runs(agent_id)
        return [run_of(s, seen[i + 1] if i + 1 < len(seen) else None, commits) for i, s in enumerate(seen)]

    async def _reflection(self, agent_id: str, note: str | None = None) -> Reflection:
        settings, commits = await self._settings(agent_id), await self._reflection_commits(agent_id)
        runs = self._runs(agent_id, commits)
        notes = [note] if note else []
        if settings.get("trigger") == "off":
            notes.append("Reflection is off for this agent: set_reflection turns it on; reflect_now runs one anyway.")
        if not runs:
            notes.append(
                "No reflection has ended while this letta-mcp process ran (runs lists only those); commits shows "
                "what reflection committed before."
            )
        return Reflection(
            agent_id=agent_id,
            trigger=str(settings.get("trigger") or "off"),
            step_count=int(settings.get("step_count") or STEPS),
            runs=runs,
            commits=[commit_of(c) for c in commits[:SHOWN]],
            note=" ".join(notes) or None,
        )

    async def get_reflection(self, agent: str) -> Reflection:
        self._local_only()
        return await self._reflection(await self.resolve_agent(agent))

    async def set_reflection(self, agent: str, trigger: str, step_count: int | None = None) -> Reflection:
        self._local_only()
        agent_id = await self.resolve_agent(agent)
        now = await self._settings(agent_id)
        steps = step_count or (int(now.get("step_count") or STEPS) if now.get("trigger") == "step-count" else STEPS)
        await set_trigger(self, agent_id, trigger, steps)
        after = await self._reflection(agent_id)
        if after.trigger != trigger:
            raise LettaMCPError(
                f"The App Server kept trigger={after.trigger!r} for this agent (a project setting of Letta Code's "
                "may override it where the agent runs): nothing else was changed."
            )
        return after

    async def reflect_now(
        self, agent: str, conversation: str | None = None, instruction: str | None = None
    ) -> ReflectionRun:
        self._local_only()
        agent_id = await self.resolve_agent(agent)
        thread = await self.thread(agent_id, conversation, start=False)
        fields: dict[str, Any] = {"command_id": "reflect", "runtime": runtime_of(agent_id, thread)}
        if instruction and instruction.strip():
            # One token for the App Server's argv parser: quoted, with its quotes and backslashes escaped.
            quoted = instruction.strip().replace("\\", "\\\\").replace('"', '\\"')
            fields["args"] = f'--instruction="{quoted}"'
        seen = self.backend.reflections.started(agent_id, thread)
        try:
            said = await self.socket.request("execute_command", **fields)
        except BaseException:
            self.backend.reflections.forget(seen)
            raise
        output = str(said.get("output") or "")
        if not said.get("success", True) or not output.startswith("Started"):
            self.backend.reflections.forget(seen)
            raise InvalidInput(f"The App Server did not start a reflection: {output or 'no reason given'}")
        assert seen.ended is not None
        with anyio.move_on_after(min(WAIT, self.settings.wait_seconds + 15)):
            await seen.ended.wait()
        run = run_of(seen, None, await self._reflection_commits(agent_id))
        if seen.finished_at is None:
            return run.model_copy(update={"summary": "Still reflecting: get_reflection shows how it ends."})
        return run


async def set_trigger(impl: AppBase, agent_id: str, trigger: str, steps: int = STEPS) -> None:
    """Set when an agent reflects, for the agent wherever it runs (Letta Code's global settings, per agent):
    the one place update_agent's `sleeptime`, create_agent's and set_reflection change it."""
    await impl.socket.request(
        "set_reflection_settings",
        runtime=runtime_of(agent_id),
        settings={"trigger": trigger, "step_count": steps},
        scope="global",
    )


async def switch(impl: AppBase, agent_id: str, *, on: bool) -> None:
    """update_agent's `sleeptime`: on keeps a trigger already set (and its step count), else every 25 steps."""
    answer = await impl.socket.request("get_reflection_settings", runtime=runtime_of(agent_id))
    now = answer.get("reflection_settings") or {}
    trigger = str(now.get("trigger") or "off")
    if on == (trigger != "off"):
        return
    await set_trigger(impl, agent_id, "step-count" if on else "off", int(now.get("step_count") or STEPS))


async def sleeptime(impl: AppBase, agent_id: str) -> bool:
    """update_agent's and get_agent's `sleeptime` on the App Server: whether the agent reflects. Behind
    authentication never (letta-mcp turns it off in every runtime it starts there)."""
    if workspace.shared(impl.settings):
        return False
    answer = await impl.socket.request("get_reflection_settings", runtime=runtime_of(agent_id))
    return str((answer.get("reflection_settings") or {}).get("trigger") or "off") != "off"
