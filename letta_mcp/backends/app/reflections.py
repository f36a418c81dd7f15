"""The reflections this process sees end on the App Server.

The App Server keeps no record of a reflection run a client could read: it announces the end of one as a
`<task-notification>` user message in the conversation's stream (`stream_delta`), on the socket of the
runtime it reflected on, and that message is not stored in the conversation. letta-mcp notes each one it
sees (for the runtimes it talks to, and the reflections it starts) so `get_reflection` can say when the
last ones ended and how; the memory commits they made stay in the memory's history.
"""

from __future__ import annotations

import html
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import anyio

from letta_mcp.backends.app.turns import key_of, text_of

KEEP = 5
"""Reflections kept per agent."""
_NOTICE = re.compile(r"<task-notification>\s*<summary>(.*?)</summary>\s*<reflection-agent-id>", re.S)


@dataclass
class Seen:
    agent_id: str
    conversation_id: str
    started_at: float | None = None
    finished_at: float | None = None
    summary: str | None = None
    ended: anyio.Event | None = field(default=None, repr=False)


def outcome_of(summary: str | None) -> str:
    """How it ended, from the App Server's words (Letta Code 0.34: "Dreamed and made some memories.",
    "Dreamed; no memory changes were needed.", "Tried to reflect, but …")."""
    if summary is None:
        return "running"
    if "no memory changes" in summary:
        return "no_changes"
    if "made some memories" in summary:
        return "changed"
    return "failed"


class Reflections:
    """What this process saw of reflections, per agent, newest last."""

    def __init__(self) -> None:
        self._by_agent: dict[str, deque[Seen]] = {}

    def runs(self, agent_id: str) -> list[Seen]:
        return list(reversed(self._by_agent.get(agent_id, ())))

    def _add(self, seen: Seen) -> Seen:
        self._by_agent.setdefault(seen.agent_id, deque(maxlen=KEEP)).append(seen)
        return seen

    def started(self, agent_id: str, conversation_id: str) -> Seen:
        return self._add(Seen(agent_id, conversation_id, started_at=time.time(), ended=anyio.Event()))

    def forget(self, seen: Seen) -> None:
        """A reflection that did not start."""
        runs = self._by_agent.get(seen.agent_id)
        if runs is not None and seen in runs:
            runs.remove(seen)

    async def on_frame(self, frame: dict[str, Any]) -> None:
        if frame.get("type") != "stream_delta":
            return
        delta = frame.get("delta") or {}
        if delta.get("message_type") != "user_message":
            return
        found = _NOTICE.search(text_of(delta.get("content")))
        key = key_of(frame)
        if found is None or key is None:
            return
        agent_id, conversation_id = key
        summary = html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() or "ended"
        waiting = next(
            (s for s in self.runs(agent_id) if s.conversation_id == conversation_id and s.finished_at is None),
            None,
        )
        seen = waiting or self._add(Seen(agent_id, conversation_id))
        seen.finished_at, seen.summary = time.time(), summary
        if seen.ended is not None:
            seen.ended.set()


__all__ = ["KEEP", "Reflections", "Seen", "outcome_of"]
