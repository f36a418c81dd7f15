"""The `ask` toolset on Letta's REST API: which agents are exposed to this caller."""

from __future__ import annotations

import logging
from typing import Any

from letta_mcp.backends.rest._base import RestBase, given
from letta_mcp.toolsets.ask import MAX_EXPOSED, Ask, Candidate

logger = logging.getLogger(__name__)


def candidate(a: Any) -> Candidate:
    blocks = a.blocks or getattr(getattr(a, "memory", None), "blocks", None) or []
    persona = next((b.value for b in blocks if b.label == "persona" and b.value), "")
    return Candidate(a.id, a.name, str(a.created_at or ""), a.description or "", persona)


class RestAsk(RestBase, Ask):
    async def exposed_agents(self) -> list[Candidate]:
        found: dict[str, Any] = {}
        include: Any = ["agent.tags", "agent.blocks"]
        after: str | None = None
        tags = [self.settings.expose_tag, *([self.scope] if self.scope else [])]
        while len(found) < MAX_EXPOSED:
            page = await self.letta.agents.list(
                tags=tags, match_all_tags=True, limit=100, include=include, **given(after=after)
            )
            for a in page.items:
                found[a.id] = a
            if len(page.items) < 100:
                break
            after = page.items[-1].id
        for ref in self.settings.expose_agents:
            for a in await self._named(ref, include):
                found[a.id] = a
        return [candidate(a) for a in found.values()]

    async def _named(self, ref: str, include: Any) -> list[Any]:
        """The agents LETTA_MCP_EXPOSE_AGENTS names by `ref` (an id or a name), within the caller's scope."""
        if ref.startswith("agent-"):
            try:
                a = await self.letta.agents.retrieve(ref, include=include)
            except Exception:  # noqa: BLE001 — a configured agent that is gone is skipped, and said
                logger.warning("LETTA_MCP_EXPOSE_AGENTS names %s, which Letta does not have", ref)
                return []
            return [a] if self.scope is None or self.scope in (a.tags or []) else []
        matches = (
            await self.letta.agents.list(name=ref, limit=5, include=include, **given(tags=self.scope_tags()))
        ).items
        if not matches:
            logger.warning("LETTA_MCP_EXPOSE_AGENTS names %r, which Letta does not have", ref)
        return list(matches)
