"""The `archives` toolset on Letta's REST API: archival memory shared by agents."""

from __future__ import annotations

from typing import Any

from letta_mcp.backends.rest._base import RestBase, given, page_cursor
from letta_mcp.core.errors import NotFound
from letta_mcp.core.models import ArchiveInfo, ArchiveList, Attachment
from letta_mcp.toolsets.archives import Archives


def archive_info(a: Any) -> ArchiveInfo:
    emb = getattr(a, "embedding_config", None)
    handle = getattr(emb, "handle", None) or (getattr(emb, "embedding_model", None) if emb else None)
    return ArchiveInfo(id=a.id, name=a.name, description=a.description or None, embedding=handle)


class RestArchives(RestBase, Archives):
    async def archive_id(self, ref: str, agent_id: str | None = None) -> str:
        """An archive's id from its id or name; with `agent_id`, only among the archives attached to it."""
        ref = ref.strip()
        found = (await self.letta.archives.list(limit=100, **given(agent_id=agent_id))).items
        for a in found:
            if ref in (a.id, a.name):
                return str(a.id)
        if agent_id is not None:
            raise NotFound(f"Agent {agent_id} has no archive {ref!r} attached. Call list_archives with agent.")
        raise NotFound(f"No archive {ref!r}. Call list_archives to see them.")

    async def list_archives(self, agent: str | None = None, limit: int = 50, cursor: str | None = None) -> ArchiveList:
        agent_id = await self.resolve_agent(agent) if agent else None
        page = await self.letta.archives.list(limit=limit + 1, **given(agent_id=agent_id, after=cursor))
        items = page.items
        return ArchiveList(
            archives=[archive_info(a) for a in items[:limit]], next_cursor=page_cursor([a.id for a in items], limit)
        )

    async def create_archive(
        self, name: str, description: str | None = None, embedding: str | None = None
    ) -> ArchiveInfo:
        existing = (await self.letta.archives.list(name=name, limit=1)).items
        if existing:
            return archive_info(existing[0])
        created = await self.letta.archives.create(
            name=name, embedding=embedding or self.settings.default_embedding, **given(description=description)
        )
        return archive_info(created)

    async def _attached(self, agent_id: str) -> list[Any]:
        return list((await self.letta.archives.list(agent_id=agent_id, limit=100)).items)

    async def attach_archive(self, agent: str, archive: str) -> Attachment:
        agent_id = await self.resolve_agent(agent)
        archive_id = await self.archive_id(archive)
        before = await self._attached(agent_id)
        if any(a.id == archive_id for a in before):
            return Attachment(agent_id=agent_id, attached=sorted(a.name for a in before), changed=False)
        await self.letta.agents.archives.attach(archive_id, agent_id=agent_id)
        return Attachment(
            agent_id=agent_id, attached=sorted(a.name for a in await self._attached(agent_id)), changed=True
        )

    async def detach_archive(self, agent: str, archive: str) -> Attachment:
        agent_id = await self.resolve_agent(agent)
        before = await self._attached(agent_id)
        match = [a for a in before if archive.strip() in (a.id, a.name)]
        if not match:
            return Attachment(agent_id=agent_id, attached=sorted(a.name for a in before), changed=False)
        await self.letta.agents.archives.detach(match[0].id, agent_id=agent_id)
        return Attachment(
            agent_id=agent_id, attached=sorted(a.name for a in await self._attached(agent_id)), changed=True
        )
