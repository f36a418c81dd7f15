"""The `ask` toolset on Letta's App Server: which agents are exposed to this caller."""

from __future__ import annotations

from typing import Any

from letta_mcp.backends.app._base import AppBase
from letta_mcp.toolsets.ask import MAX_EXPOSED, Ask, Candidate


class AppAsk(AppBase, Ask):
    async def exposed_agents(self) -> list[Candidate]:
        named = set(self.settings.expose_agents)
        found = [
            a
            for a in await self.agents()
            if self.settings.expose_tag in (a.get("tags") or []) or a["id"] in named or a.get("name") in named
        ]
        return [await self._candidate(a) for a in found[:MAX_EXPOSED]]

    async def _candidate(self, a: dict[str, Any]) -> Candidate:
        """As on REST: an agent without a description is described by its persona block (read only then)."""
        description = a.get("description") or ""
        persona = ""
        if not description:
            persona = next((f.body for f in await self.memory(a["id"]) if f.label == "persona" and f.body), "")
        return Candidate(a["id"], a.get("name") or "", "", description, persona)
