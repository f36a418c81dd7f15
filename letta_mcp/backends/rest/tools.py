"""The `tools` toolset on Letta's REST API: Letta tools, created from Python source and attached to agents."""

from __future__ import annotations

from typing import Any

from letta_mcp.backends.rest._base import RestBase, given, looks_like_id, page_cursor
from letta_mcp.core.errors import InvalidInput, NotFound
from letta_mcp.core.models import Attachment, ToolInfo, ToolList
from letta_mcp.toolsets.tools import Tools, check_source


def info(t: Any) -> ToolInfo:
    description = (t.description or "").strip()
    return ToolInfo(
        id=t.id or "",
        name=t.name or "",
        description=description.split("\n\n")[0][:300] or None,
        tags=list(t.tags or []),
        type=str(t.tool_type) if t.tool_type else None,
    )


class RestTools(RestBase, Tools):
    async def _resolve_tool(self, ref: str) -> Any:
        ref = ref.strip()
        if looks_like_id(ref, "tool"):
            return await self.letta.tools.retrieve(ref)
        found = (await self.letta.tools.list(name=ref, limit=2)).items
        if not found:
            raise NotFound(f"No tool named {ref!r}. Call list_tools to see the tools.")
        return found[0]

    async def _attached(self, agent_id: str) -> list[str]:
        page = await self.letta.agents.tools.list(agent_id, limit=200)
        return sorted(t.name or "" for t in page.items)

    async def list_tools(
        self, agent: str | None = None, search: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> ToolList:
        if agent:
            agent_id = await self.resolve_agent(agent)
            page = await self.letta.agents.tools.list(agent_id, limit=limit + 1, **given(after=cursor))
            items = [t for t in page.items if not search or search.lower() in (t.name or "").lower()]
        else:
            page = await self.letta.tools.list(limit=limit + 1, **given(after=cursor, search=search))
            items = page.items
        return ToolList(
            tools=[info(t) for t in items[:limit]], next_cursor=page_cursor([t.id or "" for t in page.items], limit)
        )

    async def create_tool(
        self, source_code: str, tags: list[str] | None = None, attach_to: str | None = None
    ) -> ToolInfo:
        name = check_source(source_code)
        agent_id = await self.resolve_agent(attach_to) if attach_to else None
        if self.scope is not None:
            # Letta's tools are global and an upsert replaces a tool of the same name wherever it is attached:
            # a scoped caller may only replace a tool its own scope made (it carries the scope's tag).
            existing = (await self.letta.tools.list(name=name, limit=1)).items
            if existing and self.scope not in (existing[0].tags or []):
                raise InvalidInput(
                    f"A tool named {name!r} already exists outside your scope; give your function another name."
                )
            self.refuse_multi_agent([name])
            tags = [*(t for t in tags or [] if t != self.scope), self.scope]
        created = await self.letta.tools.upsert(source_code=source_code, **given(tags=tags))
        if agent_id:
            await self.letta.agents.tools.attach(created.id or "", agent_id=agent_id)
        return info(created)

    async def attach_tool(self, agent: str, tool: str) -> Attachment:
        agent_id = await self.resolve_agent(agent)
        found = await self._resolve_tool(tool)
        self.refuse_multi_agent([found.name or ""])
        if not self.holds_tool(found.tags):
            raise NotFound(f"No tool named {tool!r}. Call list_tools to see the tools.")
        before = await self._attached(agent_id)
        if found.name in before:
            return Attachment(agent_id=agent_id, attached=before, changed=False)
        await self.letta.agents.tools.attach(found.id or "", agent_id=agent_id)
        after = await self._attached(agent_id)
        if found.name not in after:
            raise InvalidInput(
                f"Letta accepted the request but {found.name!r} is not among the agent's tools afterwards."
            )
        return Attachment(agent_id=agent_id, attached=after, changed=True)

    async def detach_tool(self, agent: str, tool: str) -> Attachment:
        agent_id = await self.resolve_agent(agent)
        found = await self._resolve_tool(tool)
        before = await self._attached(agent_id)
        if found.name not in before:
            return Attachment(agent_id=agent_id, attached=before, changed=False)
        await self.letta.agents.tools.detach(found.id or "", agent_id=agent_id)
        after = await self._attached(agent_id)
        if found.name in after:
            raise InvalidInput(f"Letta accepted the request but {found.name!r} is still attached afterwards.")
        return Attachment(agent_id=agent_id, attached=after, changed=True)
