"""The `archival` toolset on Letta's REST API: passages."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from letta_mcp.backends.rest._base import RestBase, given, iso
from letta_mcp.models import Deleted, Passage, PassageList
from letta_mcp.toolsets.archival import Archival


class RestArchival(RestBase, Archival):
    async def insert_archival(self, agent: str, text: str, tags: list[str] | None = None) -> Passage:
        agent_id = await self.resolve_agent(agent)
        created = await self.letta.agents.passages.create(agent_id, text=text, **given(tags=tags))
        p = created[0]
        return Passage(id=p.id or "", text=p.text, tags=list(p.tags or []), created_at=iso(p.created_at))

    async def search_archival(
        self,
        agent: str,
        query: str,
        tags: list[str] | None = None,
        match_all_tags: bool = False,
        limit: int = 10,
        after: datetime | None = None,
        before: datetime | None = None,
    ) -> PassageList:
        agent_id = await self.resolve_agent(agent)
        mode: Literal["any", "all"] = "all" if match_all_tags else "any"
        found = await self.letta.agents.passages.search(
            agent_id,
            query=query,
            top_k=limit,
            **given(tags=tags, tag_match_mode=mode if tags else None, start_datetime=after, end_datetime=before),
        )
        return PassageList(
            passages=[
                Passage(id=r.id, text=r.content, tags=list(r.tags or []), created_at=iso(r.timestamp))
                for r in found.results
            ]
        )

    async def delete_archival(self, agent: str, passage_id: str) -> Deleted:
        agent_id = await self.resolve_agent(agent)
        await self.letta.agents.passages.delete(passage_id, agent_id=agent_id)
        return Deleted(id=passage_id, what="archival passage")
