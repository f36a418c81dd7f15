"""The `memory` toolset: core memory blocks — read, replace, edit in place, create, share between agents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from letta_mcp import notify
from letta_mcp.errors import InvalidInput, NotFound
from letta_mcp.models import Attachment, Block, BlockEdit, BlockList
from letta_mcp.registry import tool
from letta_mcp.resources import agent_uri, block_uris
from letta_mcp.state import Ctx, app
from letta_mcp.toolsets._common import (
    AgentRef,
    BlockId,
    Cursor,
    Label,
    Limit,
    block_summary,
    check_block_scope,
    given,
    page_cursor,
    resolve_agent,
)

if TYPE_CHECKING:
    from letta_client import AsyncLetta

    from letta_mcp.state import RequestState

DEFAULT_READ_CHARS = 12_000
PREVIEW_CHARS = 300

OptAgent = Annotated[
    str | None, Field(max_length=300, description="The agent (id or exact name) whose block this is; with `label`.")
]
OptLabel = Annotated[str | None, Field(max_length=100, description="The block's label; with `agent`.")]
OptBlockId = Annotated[
    str | None, Field(max_length=200, description="The block's id (block-…), instead of agent + label.")
]
Value = Annotated[str, Field(max_length=1_000_000, description="The block's new content.")]


async def _find(state: RequestState, agent: str | None, label: str | None, block_id: str | None) -> Any:
    """The block named by `block_id`, or by `agent` + `label`."""
    letta = state.letta
    if block_id:
        if agent or label:
            raise InvalidInput("Name the block either by block_id, or by agent and label — not both.")
        await check_block_scope(state, block_id)
        return await letta.blocks.retrieve(block_id)
    if not (agent and label):
        raise InvalidInput("Name the block: give agent and label (see list_blocks), or block_id.")
    agent_id = await resolve_agent(state, agent)
    import letta_client as lc

    try:
        return await letta.agents.blocks.retrieve(label, agent_id=agent_id)
    except lc.NotFoundError:
        raise NotFound(
            f"Agent {agent!r} has no block labelled {label!r}. Call list_blocks with agent={agent!r} to see its labels."
        ) from None


async def _changed(ctx: Ctx, letta: AsyncLetta, block: Any) -> None:
    """Tell subscribers of every URI this block is read under (shared blocks have several)."""
    attached = await letta.blocks.agents.list(block.id, limit=100)
    await notify.resources_updated(ctx, block_uris(block.id or "", [a.id for a in attached.items], block.label or ""))


async def _write(ctx: Ctx, b: Any, value: str, changed: str, preview: str) -> BlockEdit:
    """Store a block's new value (once the checks passed) and tell subscribers."""
    _check_limit(value, b)
    letta = app(ctx).letta
    updated = await letta.blocks.update(b.id, value=value)
    await _changed(ctx, letta, b)
    return BlockEdit(
        id=b.id or "",
        label=b.label or "",
        chars=len(updated.value or ""),
        limit=updated.limit,
        changed=changed,
        preview=preview,
    )


def _check_limit(value: str, b: Any) -> None:
    if b.limit is not None and len(value) > b.limit:
        raise InvalidInput(
            f"The new value has {len(value)} characters but block {b.label!r} holds at most {b.limit}: "
            "shorten it, or move detail to archival memory with insert_archival."
        )


def _check_writable(b: Any) -> None:
    if b.read_only:
        raise InvalidInput(f"Block {b.label!r} is read-only.")


@tool("memory", "List memory blocks", read_only=True)
async def list_blocks(
    ctx: Ctx,
    agent: Annotated[
        str | None, Field(max_length=300, description="The agent whose blocks to list; omit to list all blocks.")
    ] = None,
    label: Annotated[
        str | None, Field(max_length=100, description="Without agent: only blocks with this label.")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> BlockList:
    """List core memory blocks: label, id, size, limit and description (not the values).

    With `agent`: the blocks in that agent's context. Without: every block you can see, including
    standalone blocks made to share (create_block). Next: get_block to read one.
    """
    state = app(ctx)
    letta = state.letta
    if agent:
        agent_id = await resolve_agent(state, agent)
        page = await letta.agents.blocks.list(agent_id, limit=limit + 1, **given(after=cursor))
    elif state.scope_tag is not None:
        raise InvalidInput(
            f"Your access is limited to agents tagged {state.scope_tag!r}: pass agent to list its blocks."
        )
    else:
        page = await letta.blocks.list(limit=limit + 1, **given(after=cursor, label=label))
    items = page.items
    return BlockList(
        blocks=[block_summary(b) for b in items[:limit]], next_cursor=page_cursor([b.id or "" for b in items], limit)
    )


@tool("memory", "Read a memory block", read_only=True)
async def get_block(
    ctx: Ctx,
    agent: OptAgent = None,
    label: OptLabel = None,
    block_id: OptBlockId = None,
    offset: Annotated[int, Field(ge=0, description="Start reading at this character (for long blocks).")] = 0,
    max_chars: Annotated[
        int, Field(ge=100, le=100_000, description="Most characters to return from `offset`.")
    ] = DEFAULT_READ_CHARS,
) -> Block:
    """Read a memory block's value: by agent + label (e.g. agent='helper', label='human'), or by block_id.

    A long value comes in pieces: when next_offset is set, call again with offset=next_offset.
    For a shared block, `agents` lists every agent it is attached to.
    """
    state = app(ctx)
    letta = state.letta
    b = await _find(state, agent, label, block_id)
    value: str = b.value or ""
    piece = value[offset : offset + max_chars]
    end = offset + len(piece)
    agents = None
    if block_id:
        attached = await letta.blocks.agents.list(block_id, limit=50)
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
        next_offset=end if end < len(value) else None,
        agents=agents,
    )


@tool("memory", "Replace a memory block", read_only=False, idempotent=True)
async def update_block(
    ctx: Ctx,
    value: Value,
    agent: OptAgent = None,
    label: OptLabel = None,
    block_id: OptBlockId = None,
) -> BlockEdit:
    """Replace a memory block's whole value. The agent sees the new value on its next turn.

    To change one part without resending the rest, use edit_block. Fails (without writing) when the
    value is longer than the block's limit.
    """
    state = app(ctx)
    b = await _find(state, agent, label, block_id)
    _check_writable(b)
    return await _write(ctx, b, value, f"replaced {len(b.value or '')} chars with {len(value)}", value[:PREVIEW_CHARS])


@tool("memory", "Edit part of a memory block", read_only=False)
async def edit_block(
    ctx: Ctx,
    agent: OptAgent = None,
    label: OptLabel = None,
    block_id: OptBlockId = None,
    old_text: Annotated[
        str | None, Field(max_length=100_000, description="Exact text to replace; must occur exactly once.")
    ] = None,
    new_text: Annotated[
        str | None, Field(max_length=100_000, description="Replacement for old_text (empty string deletes it).")
    ] = None,
    insert_text: Annotated[str | None, Field(max_length=100_000, description="Text to insert as new line(s).")] = None,
    line: Annotated[
        int | None, Field(ge=-1, description="With insert_text: insert before this 0-based line; -1 appends.")
    ] = None,
) -> BlockEdit:
    """Edit part of a memory block: replace an exact, unique piece of text (old_text → new_text), or
    insert new lines (insert_text at line; line=-1 appends).

    Fails without writing when old_text is missing or occurs more than once (add context to make it
    unique), or when the result would exceed the block's limit. Read the block first with get_block.
    """
    state = app(ctx)
    replacing = old_text is not None or new_text is not None
    inserting = insert_text is not None
    if replacing == inserting:
        raise InvalidInput("Give either old_text and new_text (replace), or insert_text and line (insert).")
    if replacing and (old_text is None or new_text is None or old_text == ""):
        raise InvalidInput("Replacing needs both old_text (non-empty) and new_text.")
    if inserting and line is None:
        raise InvalidInput("Inserting needs line: the 0-based line to insert before, or -1 to append.")
    b = await _find(state, agent, label, block_id)
    _check_writable(b)
    value: str = b.value or ""
    if replacing:
        assert old_text is not None
        assert new_text is not None
        count = value.count(old_text)
        if count == 0:
            raise InvalidInput(
                f"old_text does not occur in block {b.label!r}: read it with get_block and copy it exactly."
            )
        if count > 1:
            raise InvalidInput(
                f"old_text occurs {count} times in block {b.label!r}: include more context to make it unique."
            )
        at = value.index(old_text)
        new_value = value[:at] + new_text + value[at + len(old_text) :]
        changed = f"replaced {len(old_text)} chars at offset {at} with {len(new_text)}"
        region = new_value[max(0, at - 80) : at + len(new_text) + 80]
    else:
        assert insert_text is not None
        assert line is not None
        lines = value.split("\n") if value else []
        if line > len(lines):
            raise InvalidInput(f"Block {b.label!r} has {len(lines)} lines: line must be 0–{len(lines)} or -1.")
        at_line = len(lines) if line == -1 else line
        lines[at_line:at_line] = insert_text.split("\n")
        new_value = "\n".join(lines)
        changed = f"inserted {len(insert_text)} chars at line {at_line}"
        region = "\n".join(lines[max(0, at_line - 1) : at_line + insert_text.count("\n") + 2])
    return await _write(ctx, b, new_value, changed, region[: PREVIEW_CHARS * 2])


@tool("memory", "Create a memory block", read_only=False)
async def create_block(
    ctx: Ctx,
    label: Label,
    value: Annotated[str, Field(max_length=1_000_000, description="Initial content.")] = "",
    description: Annotated[
        str | None, Field(max_length=2_000, description="What belongs in it: agents read this to decide what to store.")
    ] = None,
    limit: Annotated[int | None, Field(ge=1, le=1_000_000, description="Most characters it may hold.")] = None,
    attach_to: Annotated[
        list[str] | None, Field(max_length=50, description="Agents (ids or names) to attach it to right away.")
    ] = None,
) -> Block:
    """Create a standalone memory block, typically to share between agents (e.g. 'team_conventions').

    Every agent it is attached to sees the same value and sees changes at once. Attach it now with
    attach_to, or later with attach_block.
    """
    state = app(ctx)
    agent_ids = [await resolve_agent(state, a) for a in attach_to or []]
    if limit is not None and len(value) > limit:
        raise InvalidInput(f"value has {len(value)} characters, more than limit={limit}.")
    b = await state.letta.blocks.create(label=label, value=value, **given(description=description, limit=limit))
    for agent_id in agent_ids:
        await state.letta.agents.blocks.attach(b.id or "", agent_id=agent_id)
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


async def _labels(letta: AsyncLetta, agent_id: str) -> list[str]:
    page = await letta.agents.blocks.list(agent_id, limit=100)
    return sorted(b.label or "" for b in page.items)


@tool("memory", "Attach a memory block", read_only=False, idempotent=True)
async def attach_block(ctx: Ctx, agent: AgentRef, block_id: BlockId) -> Attachment:
    """Attach an existing block (e.g. one made with create_block, or another agent's) to an agent, so
    it appears in that agent's core memory. Shared: every attached agent sees the same value.
    """
    state = app(ctx)
    agent_id = await resolve_agent(state, agent)
    await check_block_scope(state, block_id)
    block = await state.letta.blocks.retrieve(block_id)
    before = await state.letta.agents.blocks.list(agent_id, limit=100)
    if any(b.id == block_id for b in before.items):
        return Attachment(agent_id=agent_id, attached=sorted(b.label or "" for b in before.items), changed=False)
    if any(b.label == block.label for b in before.items):
        raise InvalidInput(f"Agent already has a block labelled {block.label!r}: detach it first (detach_block).")
    await state.letta.agents.blocks.attach(block_id, agent_id=agent_id)
    await notify.resources_updated(ctx, [agent_uri(agent_id)])
    return Attachment(agent_id=agent_id, attached=await _labels(state.letta, agent_id), changed=True)


@tool("memory", "Detach a memory block", read_only=False, destructive=True, idempotent=True)
async def detach_block(
    ctx: Ctx,
    agent: AgentRef,
    block_id: OptBlockId = None,
    label: OptLabel = None,
) -> Attachment:
    """Remove a block from an agent's core memory (by block_id or label). The block itself survives,
    and stays attached to any other agents; its content leaves this agent's context.
    """
    state = app(ctx)
    agent_id = await resolve_agent(state, agent)
    if bool(block_id) == bool(label):
        raise InvalidInput("Give either block_id or label of the block to detach.")
    current = (await state.letta.agents.blocks.list(agent_id, limit=100)).items
    match = [b for b in current if (b.id == block_id if block_id else b.label == label)]
    if not match:
        return Attachment(agent_id=agent_id, attached=sorted(b.label or "" for b in current), changed=False)
    await state.letta.agents.blocks.detach(match[0].id or "", agent_id=agent_id)
    await notify.resources_updated(ctx, [agent_uri(agent_id)])
    return Attachment(agent_id=agent_id, attached=await _labels(state.letta, agent_id), changed=True)


TOOLS = [list_blocks, get_block, update_block, edit_block, create_block, attach_block, detach_block]
