"""The `memory` toolset on Letta's REST API: blocks, which agents can share."""

from __future__ import annotations

from typing import Any

import letta_client as lc

from letta_mcp.backends.rest._base import RestBase, block_summary, given, page_cursor
from letta_mcp.errors import InvalidInput, NotFound
from letta_mcp.models import Attachment, Block, BlockEdit, BlockList
from letta_mcp.toolsets.memory import (
    DEFAULT_READ_CHARS,
    PREVIEW_CHARS,
    Edit,
    Memory,
    apply_edit,
    check_block_ref,
    check_limit,
    check_writable,
    no_such_label,
    page_of,
)
from letta_mcp.uris import agent_uri, block_uris


class RestMemory(RestBase, Memory):
    async def _find(self, agent: str | None, label: str | None, block_id: str | None) -> Any:
        """The block named by `block_id`, or by `agent` + `label`."""
        check_block_ref(agent, label, block_id)
        if block_id:
            await self.check_block_scope(block_id)
            return await self.letta.blocks.retrieve(block_id)
        assert agent is not None
        assert label is not None
        agent_id = await self.resolve_agent(agent)
        try:
            return await self.letta.agents.blocks.retrieve(label, agent_id=agent_id)
        except lc.NotFoundError:
            raise NotFound(no_such_label(agent, label)) from None

    async def _write(self, b: Any, value: str, changed: str, preview: str) -> BlockEdit:
        """Store a block's new value (once the checks passed) and tell subscribers."""
        check_limit(value, b.limit, b.label or "")
        updated = await self.letta.blocks.update(b.id, value=value)
        attached = await self.letta.blocks.agents.list(b.id, limit=100)
        await self.request.resources_updated(block_uris(b.id or "", [a.id for a in attached.items], b.label or ""))
        return BlockEdit(
            id=b.id or "",
            label=b.label or "",
            chars=len(updated.value or ""),
            limit=updated.limit,
            changed=changed,
            preview=preview,
        )

    async def list_blocks(
        self, agent: str | None = None, label: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> BlockList:
        if agent:
            agent_id = await self.resolve_agent(agent)
            page = await self.letta.agents.blocks.list(agent_id, limit=limit + 1, **given(after=cursor))
        elif self.scope is not None:
            raise InvalidInput(
                f"Your access is limited to agents tagged {self.scope!r}: pass agent to list its blocks."
            )
        else:
            page = await self.letta.blocks.list(limit=limit + 1, **given(after=cursor, label=label))
        items = page.items
        return BlockList(
            blocks=[block_summary(b) for b in items[:limit]],
            next_cursor=page_cursor([b.id or "" for b in items], limit),
        )

    async def get_block(
        self,
        agent: str | None = None,
        label: str | None = None,
        block_id: str | None = None,
        offset: int = 0,
        max_chars: int = DEFAULT_READ_CHARS,
    ) -> Block:
        b = await self._find(agent, label, block_id)
        value: str = b.value or ""
        piece, next_offset = page_of(value, offset, max_chars)
        agents = None
        if block_id:
            attached = await self.letta.blocks.agents.list(block_id, limit=50)
            agents = [a.id for a in attached.items]
        return Block(
            id=b.id or "",
            label=b.label or "",
            description=b.description or None,
            value=piece,
            chars=len(value),
            limit=b.limit,
            read_only=bool(b.read_only),
            offset=offset,
            next_offset=next_offset,
            agents=agents,
        )

    async def update_block(
        self, value: str, agent: str | None = None, label: str | None = None, block_id: str | None = None
    ) -> BlockEdit:
        b = await self._find(agent, label, block_id)
        check_writable(bool(b.read_only), b.label or "")
        changed = f"replaced {len(b.value or '')} chars with {len(value)}"
        return await self._write(b, value, changed, value[:PREVIEW_CHARS])

    async def edit_block(
        self,
        agent: str | None = None,
        label: str | None = None,
        block_id: str | None = None,
        old_text: str | None = None,
        new_text: str | None = None,
        insert_text: str | None = None,
        line: int | None = None,
    ) -> BlockEdit:
        edit = Edit.of(old_text, new_text, insert_text, line)
        b = await self._find(agent, label, block_id)
        check_writable(bool(b.read_only), b.label or "")
        edited = apply_edit(b.value or "", edit, b.label or "")
        return await self._write(b, edited.value, edited.changed, edited.preview[: PREVIEW_CHARS * 2])

    async def create_block(
        self,
        label: str,
        value: str = "",
        description: str | None = None,
        limit: int | None = None,
        attach_to: list[str] | None = None,
    ) -> Block:
        agent_ids = [await self.resolve_agent(a) for a in attach_to or []]
        if limit is not None and len(value) > limit:
            raise InvalidInput(f"value has {len(value)} characters, more than limit={limit}.")
        b = await self.letta.blocks.create(label=label, value=value, **given(description=description, limit=limit))
        for agent_id in agent_ids:
            await self.letta.agents.blocks.attach(b.id or "", agent_id=agent_id)
        return Block(
            id=b.id or "",
            label=b.label or label,
            description=b.description or None,
            value=value[:DEFAULT_READ_CHARS],
            chars=len(value),
            limit=b.limit,
            agents=agent_ids,
            next_offset=DEFAULT_READ_CHARS if len(value) > DEFAULT_READ_CHARS else None,
        )

    async def _labels(self, agent_id: str) -> list[str]:
        page = await self.letta.agents.blocks.list(agent_id, limit=100)
        return sorted(b.label or "" for b in page.items)

    async def attach_block(self, agent: str, block_id: str) -> Attachment:
        agent_id = await self.resolve_agent(agent)
        await self.check_block_scope(block_id)
        block = await self.letta.blocks.retrieve(block_id)
        before = await self.letta.agents.blocks.list(agent_id, limit=100)
        if any(b.id == block_id for b in before.items):
            return Attachment(agent_id=agent_id, attached=sorted(b.label or "" for b in before.items), changed=False)
        if any(b.label == block.label for b in before.items):
            raise InvalidInput(f"Agent already has a block labelled {block.label!r}: detach it first (detach_block).")
        await self.letta.agents.blocks.attach(block_id, agent_id=agent_id)
        await self.request.resources_updated([agent_uri(agent_id)])
        return Attachment(agent_id=agent_id, attached=await self._labels(agent_id), changed=True)

    async def detach_block(self, agent: str, block_id: str | None = None, label: str | None = None) -> Attachment:
        agent_id = await self.resolve_agent(agent)
        if bool(block_id) == bool(label):
            raise InvalidInput("Give either block_id or label of the block to detach.")
        current = (await self.letta.agents.blocks.list(agent_id, limit=100)).items
        match = [b for b in current if (b.id == block_id if block_id else b.label == label)]
        if not match:
            return Attachment(agent_id=agent_id, attached=sorted(b.label or "" for b in current), changed=False)
        await self.letta.agents.blocks.detach(match[0].id or "", agent_id=agent_id)
        await self.request.resources_updated([agent_uri(agent_id)])
        return Attachment(agent_id=agent_id, attached=await self._labels(agent_id), changed=True)

    async def block_text(self, agent: str | None, label: str | None, block_id: str | None) -> str:
        return str((await self._find(agent, label, block_id)).value or "")

    async def labels(self, agent: str, prefix: str) -> list[str]:
        agent_id = await self.resolve_agent(agent)
        blocks = (await self.letta.agents.blocks.list(agent_id, limit=100)).items
        return [b.label or "" for b in blocks if (b.label or "").startswith(prefix)]

    async def block_ids(self, prefix: str) -> list[str]:
        if self.scope is not None:
            return []
        standalone = (await self.letta.blocks.list(limit=100)).items
        return [b.id or "" for b in standalone if (b.id or "").startswith(prefix)]
