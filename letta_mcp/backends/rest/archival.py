"""The `archival` toolset on Letta's REST API: passages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from letta_mcp.backends.rest._base import RestBase, given, iso
from letta_mcp.backends.rest.archives import RestArchives
from letta_mcp.core.errors import NotFound
from letta_mcp.core.models import Deleted, Passage, PassageList
from letta_mcp.toolsets.archival import Archival


def passage(p: Any) -> Passage:
    return Passage(id=p.id or "", text=p.text, tags=list(p.tags or []), created_at=iso(p.created_at))


PASSAGE_PAGES = 100
"""How far delete_archival looks for a passage in an agent's archive (pages of 100)."""


class RestArchival(RestBase, Archival):
    async def _archive(self, agent_id: str, archive: str) -> str:
        """A shared archive attached to the agent (the agent is what puts it in the caller's reach)."""
        return await RestArchives(self.request).archive_id(archive, agent_id)

    async def insert_archival(
        self, agent: str, text: str, tags: list[str] | None = None, archive: str | None = None
    ) -> Passage:
        agent_id = await self.resolve_agent(agent)
        if archive:
            archive_id = await self._archive(agent_id, archive)
            return passage(await self.letta.archives.passages.create(archive_id, text=text, **given(tags=tags)))
        created = await self.letta.agents.passages.create(agent_id, text=text, **given(tags=tags))
        return passage(created[0])

    async def search_archival(
        self,
        agent: str,
        query: str,
        tags: list[str] | None = None,
        match_all_tags: bool = False,
        limit: int = 10,
        after: datetime | None = None,
        before: datetime | None = None,
        archive: str | None = None,
    ) -> PassageList:
        agent_id = await self.resolve_agent(agent)
        mode: Literal["any", "all"] = "all" if match_all_tags else "any"
        if archive:
            archive_id = await self._archive(agent_id, archive)
            hits = await self.letta.passages.search(
                archive_id=archive_id,
                query=query,
                limit=limit,
                **given(tags=tags, tag_match_mode=mode if tags else None, start_date=after, end_date=before),
            )
            return PassageList(passages=[passage(h.passage) for h in hits])
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
        # Letta deletes a passage by its id whatever agent the path names: check that it is this agent's.
        if not await self._holds_passage(agent_id, passage_id):
            raise NotFound(
                f"Agent {agent_id} has no archival passage {passage_id!r}. Call search_archival to find its passages."
            )
        await self.letta.agents.passages.delete(passage_id, agent_id=agent_id)
        return Deleted(id=passage_id, what="archival passage")

    async def _holds_passage(self, agent_id: str, passage_id: str) -> bool:
        """Whether `passage_id` is in the agent's archival memory (newest first, up to 10,000 passages)."""
        before: str | None = None
        for _ in range(PASSAGE_PAGES):
            page = await self.letta.agents.passages.list(agent_id, limit=100, ascending=False, **given(before=before))
            items = list(getattr(page, "items", page))
            if any(p.id == passage_id for p in items):
                return True
            if len(items) < 100:
                return False
            before = items[-1].id
        return False
