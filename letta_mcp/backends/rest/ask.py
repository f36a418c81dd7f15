"""The `ask` toolset on Letta's REST API: which agents are exposed to this caller.

The lookup runs after the first tools/list and on every one once its cache expires, and reads five
fields of up to 200 agents: it reads Letta's JSON as it comes (`client.Reader`), without `letta-client`
and its full agent models (10 MB to import and build, and about a millisecond per agent).
"""

from __future__ import annotations

import logging
from typing import Any, cast
from urllib.parse import quote

from letta_mcp.backends.rest._base import RestBase, given
from letta_mcp.toolsets.ask import MAX_EXPOSED, Ask, Candidate

logger = logging.getLogger(__name__)


Agent = dict[str, Any]
"""An agent as Letta's JSON has it."""


def candidate(a: Agent) -> Candidate:
    blocks = a.get("blocks") or (a.get("memory") or {}).get("blocks") or []
    persona = next((b["value"] for b in blocks if b.get("label") == "persona" and b.get("value")), "")
    return Candidate(a["id"], a.get("name") or "", str(a.get("created_at") or ""), a.get("description") or "", persona)


class RestAsk(RestBase, Ask):
    async def exposed_agents(self) -> list[Candidate]:
        found: dict[str, Agent] = {}
        include: Any = ["agent.tags", "agent.blocks"]
        after: str | None = None
        tags = [self.settings.expose_tag, *([self.scope] if self.scope else [])]
        while len(found) < MAX_EXPOSED:
            params = {"tags": tags, "match_all_tags": True, "limit": 100, "include": include, **given(after=after)}
            items = cast(list[Agent], await self.backend.read_json(self.request, "/v1/agents/", params))
            for a in items:
                if self.holds(a.get("tags")):
                    found[a["id"]] = a
            if len(items) < 100:
                break
            after = items[-1]["id"]
        for ref in self.settings.expose_agents:
            for a in await self._named(ref, include):
                found[a["id"]] = a
        return [candidate(a) for a in found.values()]

    async def _named(self, ref: str, include: Any) -> list[Agent]:
        """The agents LETTA_MCP_EXPOSE_AGENTS names by `ref` (an id or a name), within the caller's scope."""
        if ref.startswith("agent-"):
            try:
                a = cast(
                    Agent,
                    await self.backend.read_json(
                        self.request, f"/v1/agents/{quote(ref, safe='')}", {"include": include}
                    ),
                )
            except Exception:  # noqa: BLE001 — a configured agent that is gone is skipped, and said
                logger.warning("LETTA_MCP_EXPOSE_AGENTS names %s, which Letta does not have", ref)
                return []
            return [a] if self.holds(a.get("tags")) else []
        params = {"name": ref, "limit": 5, "include": include, **given(tags=self.with_scope())}
        matches = cast(list[Agent], await self.backend.read_json(self.request, "/v1/agents/", params))
        if not matches:
            logger.warning("LETTA_MCP_EXPOSE_AGENTS names %r, which Letta does not have", ref)
        return [a for a in matches if self.holds(a.get("tags"))]
