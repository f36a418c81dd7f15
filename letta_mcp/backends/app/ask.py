"""The `ask` toolset on Letta's App Server: which agents are exposed to this caller."""

from __future__ import annotations

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
        return [Candidate(a["id"], a.get("name") or "", "", a.get("description") or "") for a in found[:MAX_EXPOSED]]
