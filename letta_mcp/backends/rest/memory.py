"""The `memory` toolset on Letta's REST API: blocks, which agents can share.

Writes to a block never lose another caller's edit. Within this process they are serialised, one write
per block at a time (`locks`), and edit_block calls that queue meanwhile go together in the next write
(`batches`). Other processes (replicas, workers) writing the same block are only seen through
Letta, which has no conditional write (it refuses a write that meets another one in its database,
409, and that one is simply made again): edit_block compares Letta's value with the one it edited just
before writing, writes, waits as long again as the write took (twice), reads the block back, and
applies the edit again on what is there if another writer's value replaced it (or says the edit no
longer fits). The window that remains is a write from another process that was made from an older
value and reaches Letta more than that wait after ours: it replaces our edit unseen. update_block
replaces the whole value by definition: across processes the last write wins.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import anyio
import letta_client as lc

from letta_mcp.backends.flows import EditsBlocks, ReadsBlocks
from letta_mcp.backends.rest._base import RestBase, block_summary, given, page_cursor
from letta_mcp.core.errors import InvalidInput, LettaMCPError, NotFound
from letta_mcp.core.models import Attachment, Block, BlockEdit, BlockList
from letta_mcp.core.uris import agent_uri, block_uris
from letta_mcp.toolsets.memory import (
    DEFAULT_READ_CHARS,
    PREVIEW_CHARS,
    Edit,
    Edited,
    Memory,
    apply_edit,
    carries,
    changed_under,
    check_block_ref,
    check_limit,
    check_writable,
    no_such_label,
)

logger = logging.getLogger(__name__)

EDIT_ATTEMPTS = 5
MAX_SETTLE = 1.0
"""The longest wait, in seconds, between writing an edit and reading the block back."""

Landed = tuple[str, Edited]
"""An edit that is in the block: the block's value as read back, and the edit as applied."""


class RestMemory(RestBase, ReadsBlocks, EditsBlocks, Memory):
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

    async def _written(self, b: Any, value: str, changed: str, preview: str) -> BlockEdit:
        """After a block's new value was stored: tell subscribers, and say what changed."""
        attached = await self.letta.blocks.agents.list(b.id, limit=100)
        await self.request.resources_updated(block_uris(b.id or "", [a.id for a in attached.items], b.label or ""))
        return BlockEdit(
            id=b.id or "",
            label=b.label or "",
            chars=len(value),
            limit=b.limit,
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

    async def read_block(self, agent: str | None, label: str | None, block_id: str | None) -> Block:
        b = await self._find(agent, label, block_id)
        value: str = b.value or ""
        agents = None
        if block_id:
            include = ["agent.tags"] if self.scope else None
            attached = await self.letta.blocks.agents.list(block_id, limit=50, **given(include=include))
            agents = [a.id for a in attached.items if self.holds(a.tags)]  # never another scope's agents
        return Block(
            id=b.id or "",
            label=b.label or "",
            description=b.description or None,
            value=value,
            chars=len(value),
            limit=b.limit,
            read_only=bool(b.read_only),
            agents=agents,
        )

    async def update_block(
        self, value: str, agent: str | None = None, label: str | None = None, block_id: str | None = None
    ) -> BlockEdit:
        b = await self._find(agent, label, block_id)
        async with self.backend.block_locks.hold(b.id or "") as waited:
            if waited:
                b = await self.letta.blocks.retrieve(b.id or "")
            check_writable(bool(b.read_only), b.label or "")
            check_limit(value, b.limit, b.label or "")
            changed = f"replaced {len(b.value or '')} chars with {len(value)}"
            for _ in range(EDIT_ATTEMPTS):
                try:
                    await self.letta.blocks.update(b.id or "", value=value)
                except lc.ConflictError:  # not written: another write was in Letta's transaction; ours comes after
                    await anyio.sleep(0.05)
                    continue
                return await self._written(b, value, changed, value[:PREVIEW_CHARS])
            raise LettaMCPError(
                f"Block {b.label!r} kept changing under this write ({EDIT_ATTEMPTS} tries): other writers are "
                "writing it. Nothing was written; try again."
            )

    async def apply_edit(self, agent: str | None, label: str | None, block_id: str | None, edit: Edit) -> BlockEdit:
        b = await self._find(agent, label, block_id)

        async def commit(edits: list[Edit], stale: bool) -> list[Landed | Exception]:
            return await self._commit(b, edits, stale=stale)

        now, edited = await self.backend.block_edits.submit(b.id or "", self.request.cache_key, edit, commit)
        return await self._written(b, now, edited.changed, edited.preview[: PREVIEW_CHARS * 2])

    async def _commit(self, b: Any, edits: list[Edit], *, stale: bool) -> list[Landed | Exception]:
        """Apply `edits` in order, write them in one go and check, until each is in the block or has failed
        (see the module doc). `stale`: `b` was read before waiting for the block, so read it again."""
        name = b.label or ""
        if stale:
            b = await self.letta.blocks.retrieve(b.id or "")
        current: str = b.value or ""
        outcomes: list[Landed | Exception | None] = [None] * len(edits)
        for attempt in range(EDIT_ATTEMPTS):
            check_writable(bool(b.read_only), name)
            value, applied = current, []
            for i, edit in enumerate(edits):
                if outcomes[i] is not None:
                    continue
                try:
                    edited = apply_edit(value, edit, name)
                    check_limit(edited.value, b.limit, name)
                except InvalidInput as exc:
                    # Against the block as it was read, the edit's own fault; after other edits, theirs.
                    alone = attempt == 0 and value == current
                    outcomes[i] = exc if alone else InvalidInput(changed_under(name, str(exc)))
                    continue
                value = edited.value
                applied.append((i, edited))
            if not applied:
                break
            if attempt > 0:  # compare with Letta's value just before writing
                b = await self.letta.blocks.retrieve(b.id or "")
                if (b.value or "") != current:
                    current = b.value or ""
                    continue
            started = time.monotonic()
            try:
                await self.letta.blocks.update(b.id or "", value=value)
            except lc.ConflictError:  # Letta's own check: another write to the block was in its transaction
                current = (await self.letta.blocks.retrieve(b.id or "")).value or ""
                continue
            # A write another process made from an older value may still be on its way: give it as long as
            # ours took (twice), then read back.
            await anyio.sleep(min(MAX_SETTLE, 2 * (time.monotonic() - started)))
            now: str = (await self.letta.blocks.retrieve(b.id or "")).value or ""
            for i, edited in applied:
                if carries(edits[i], value, now):
                    outcomes[i] = (now, edited)
                else:
                    logger.info("edit of block %s was overwritten by another writer; applying it again", b.id)
            current = now
        kept_changing = LettaMCPError(
            f"Block {name!r} kept changing under this edit ({EDIT_ATTEMPTS} tries): other writers are editing it. "
            "Read it again with get_block, then edit."
        )
        return [kept_changing if o is None else o for o in outcomes]

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
