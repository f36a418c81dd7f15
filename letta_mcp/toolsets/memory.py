"""The `memory` toolset: core memory blocks — read, replace, edit in place, create, share between agents.

Also the block edits themselves, as pure functions every backend uses: the same edit gives the same
text and the same error wording wherever the block lives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol

from pydantic import Field

from letta_mcp.core.contract import Line, declare, toolset
from letta_mcp.core.errors import InvalidInput
from letta_mcp.core.models import Attachment, Block, BlockEdit, BlockList, Deleted, MemoryHistory
from letta_mcp.toolsets._args import AgentRef, BlockId, Cursor, Label, Limit

DEFAULT_READ_CHARS = 12_000
PREVIEW_CHARS = 300

OptAgent = Annotated[str | None, Field(max_length=300, description="Id or name.")]
OptLabel = Annotated[str | None, Field(max_length=100, description="Block label.")]
OptBlockId = Annotated[str | None, Field(max_length=200, description="Block id.")]
Value = Annotated[str, Field(max_length=1_000_000, description="New content.")]


class Memory(Protocol):
    """The contract of the `memory` toolset."""

    @declare("List memory blocks", read_only=True, hint="letta agent core memory blocks")
    async def list_blocks(
        self,
        agent: Annotated[str | None, Field(max_length=300, description="Id or name; omit for all.")] = None,
        label: Annotated[str | None, Field(max_length=100, description="Only this label (no agent).")] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> BlockList:
        """Memory blocks of an agent, or all: label, id, size. Next: get_block."""
        ...

    @declare("Read a memory block", read_only=True, hint="letta read recall agent core memory block")
    async def get_block(
        self,
        agent: OptAgent = None,
        label: OptLabel = None,
        block_id: OptBlockId = None,
        offset: Annotated[int, Field(ge=0, description="Start offset.")] = 0,
        max_chars: Annotated[int, Field(ge=100, le=100_000, description="Max characters.")] = DEFAULT_READ_CHARS,
    ) -> Block:
        """Read a block (agent and label, or block_id). Long: pass next_offset as offset."""
        ...

    @declare(
        "Replace a memory block",
        read_only=False,
        hint="letta remember rewrite agent core memory block",
        idempotent=True,
    )
    async def update_block(
        self,
        value: Value,
        agent: OptAgent = None,
        label: OptLabel = None,
        block_id: OptBlockId = None,
    ) -> BlockEdit:
        """Replace a block's whole value; for a part: edit_block."""
        ...

    @declare("Edit part of a memory block", read_only=False, hint="letta remember edit agent core memory block text")
    async def edit_block(
        self,
        agent: OptAgent = None,
        label: OptLabel = None,
        block_id: OptBlockId = None,
        old_text: Annotated[str | None, Field(max_length=100_000, description="Unique text to replace.")] = None,
        new_text: Annotated[str | None, Field(max_length=100_000, description="Its replacement ('' deletes).")] = None,
        insert_text: Annotated[str | None, Field(max_length=100_000, description="Lines to insert.")] = None,
        line: Annotated[int | None, Field(ge=-1, description="0-based line to insert before; -1 appends.")] = None,
    ) -> BlockEdit:
        """Replace unique old_text with new_text, or insert insert_text at line. Read the block first."""
        ...

    @declare("Create a memory block", read_only=False, hint="letta new shared core memory block")
    async def create_block(
        self,
        label: Label,
        value: Annotated[str, Field(max_length=1_000_000, description="Initial text.")] = "",
        description: Annotated[
            str | None,
            Field(max_length=2_000, description="What belongs there."),
        ] = None,
        limit: Annotated[int | None, Field(ge=1, le=1_000_000, description="Max characters.")] = None,
        attach_to: Annotated[list[str] | None, Field(max_length=50, description="Agents to attach it to now.")] = None,
    ) -> Block:
        """A standalone block to share between agents. Next: attach_block."""
        ...

    @declare("Attach a memory block", read_only=False, hint="letta share core memory block with agent", idempotent=True)
    async def attach_block(self, agent: AgentRef, block_id: BlockId) -> Attachment:
        """Attach a block to an agent's memory (shared: one value for all)."""
        ...

    @declare(
        "Detach a memory block",
        read_only=False,
        hint="letta remove core memory block from agent",
        destructive=True,
        idempotent=True,
    )
    async def detach_block(
        self,
        agent: AgentRef,
        block_id: OptBlockId = None,
        label: OptLabel = None,
    ) -> Attachment:
        """Remove a block from an agent's memory (the block stays)."""
        ...

    @declare("Memory history", read_only=True, hint="letta memory git history commits changes")
    async def memory_history(
        self,
        agent: AgentRef,
        label: Annotated[
            str | None, Field(max_length=300, description="One block's history (label or path); omit for all.")
        ] = None,
        limit: Limit = 20,
    ) -> MemoryHistory:
        """List the commits that changed an agent's memory, newest first: who (the agent, letta-mcp, a
        user) changed what, when, and the changed lines. Only where memory is versioned (Letta's App
        Server). Next: restore_block to undo a change.
        """
        ...

    @declare(
        "Restore a memory block",
        read_only=False,
        hint="letta undo revert restore memory block commit",
        idempotent=True,
    )
    async def restore_block(
        self,
        agent: AgentRef,
        label: Annotated[str, Field(min_length=1, max_length=300, description="Block label or path.")],
        commit: Annotated[str, Field(min_length=4, max_length=40, description="Commit sha (memory_history).")],
    ) -> BlockEdit:
        """Put a block back to its text at an earlier commit, as one new commit (history is kept; a
        deleted block comes back). Only where memory is versioned (Letta's App Server).
        """
        ...

    @declare(
        "Delete a memory block",
        read_only=False,
        hint="letta forget delete remove memory block file",
        destructive=True,
        idempotent=False,
    )
    async def delete_block(
        self,
        agent: AgentRef,
        label: Annotated[str, Field(min_length=1, max_length=300, description="Block label or path.")],
    ) -> Deleted:
        """Delete one of an agent's memory blocks, as one commit (restore_block brings it back). Only
        where memory is versioned (Letta's App Server); on REST: detach_block.
        """
        ...

    # ---- not tools: what resources and completions read ----

    async def block_text(self, agent: str | None, label: str | None, block_id: str | None) -> str:
        """A block's whole value (`letta://agents/{agent_id}/blocks/{label}`, `letta://blocks/{block_id}`)."""
        ...

    async def labels(self, agent: str, prefix: str) -> list[str]:
        """An agent's block labels starting with `prefix` (argument completion)."""
        ...

    async def block_ids(self, prefix: str) -> list[str]:
        """Ids of standalone blocks starting with `prefix` (argument completion)."""
        ...


# ---- what every backend shares: how a block is named, and how an edit changes its text ----


def check_block_ref(agent: str | None, label: str | None, block_id: str | None) -> None:
    """A block is named by block_id, or by agent and label; never both, never neither."""
    if block_id:
        if agent or label:
            raise InvalidInput("Name the block either by block_id, or by agent and label — not both.")
    elif not (agent and label):
        raise InvalidInput("Name the block: give agent and label (see list_blocks), or block_id.")


def no_such_label(agent: str, label: str) -> str:
    return f"Agent {agent!r} has no block labelled {label!r}. Call list_blocks with agent={agent!r} to see its labels."


@dataclass(frozen=True)
class Edit:
    """One requested edit of a block: a unique replacement, or an insertion of lines."""

    old_text: str | None = None
    new_text: str | None = None
    insert_text: str | None = None
    line: int | None = None

    @classmethod
    def of(cls, old_text: str | None, new_text: str | None, insert_text: str | None, line: int | None) -> Edit:
        """Check that the arguments describe exactly one edit, before anything is read or written."""
        replacing = old_text is not None or new_text is not None
        inserting = insert_text is not None
        if replacing == inserting:
            raise InvalidInput("Give either old_text and new_text (replace), or insert_text and line (insert).")
        if replacing and (old_text is None or new_text is None or old_text == ""):
            raise InvalidInput("Replacing needs both old_text (non-empty) and new_text.")
        if inserting and line is None:
            raise InvalidInput("Inserting needs line: the 0-based line to insert before, or -1 to append.")
        return cls(old_text, new_text, insert_text, line)


@dataclass(frozen=True)
class Edited:
    """A block's value after an edit, what changed in a few words, and the edited region."""

    value: str
    changed: str
    preview: str


def apply_edit(value: str, edit: Edit, label: str) -> Edited:
    """The block's new value (pure; raises InvalidInput when the edit does not fit the text)."""
    if edit.insert_text is not None:
        assert edit.line is not None
        return insert_lines(value, edit.insert_text, edit.line, label)
    assert edit.old_text is not None
    assert edit.new_text is not None
    return replace_unique(value, edit.old_text, edit.new_text, label)


def replace_unique(value: str, old_text: str, new_text: str, label: str) -> Edited:
    count = value.count(old_text)
    if count == 0:
        raise InvalidInput(f"old_text does not occur in block {label!r}: read it with get_block and copy it exactly.")
    if count > 1:
        raise InvalidInput(f"old_text occurs {count} times in block {label!r}: include more context to make it unique.")
    at = value.index(old_text)
    new_value = value[:at] + new_text + value[at + len(old_text) :]
    region = new_value[max(0, at - 80) : at + len(new_text) + 80]
    return Edited(new_value, f"replaced {len(old_text)} chars at offset {at} with {len(new_text)}", region)


def insert_lines(value: str, text: str, line: int, label: str) -> Edited:
    lines = value.split("\n") if value else []
    if line > len(lines):
        raise InvalidInput(f"Block {label!r} has {len(lines)} lines: line must be 0–{len(lines)} or -1.")
    at_line = len(lines) if line == -1 else line
    lines[at_line:at_line] = text.split("\n")
    region = "\n".join(lines[max(0, at_line - 1) : at_line + text.count("\n") + 2])
    return Edited("\n".join(lines), f"inserted {len(text)} chars at line {at_line}", region)


def carries(edit: Edit, written: str, now: str) -> bool:
    """Whether `now`, the block read back after `written` was stored, still carries `edit`: it is what was
    written, or a later writer built on it. When another writer stored a value made before ours, the
    replaced text is back (or the inserted text gone): the edit was lost, and is applied again."""
    if now == written:
        return True
    if edit.insert_text is not None:
        return now.count(edit.insert_text) >= written.count(edit.insert_text)
    assert edit.old_text is not None
    assert edit.new_text is not None
    old_back = now.count(edit.old_text) > written.count(edit.old_text)
    new_gone = bool(edit.new_text) and now.count(edit.new_text) < written.count(edit.new_text)
    return not (old_back or new_gone)


def changed_under(label: str, reason: str) -> str:
    """The error for an edit that another writer's change made impossible."""
    return (
        f"Block {label!r} was changed by another writer while this edit was being made, and the edit no longer "
        f"fits what is there now ({reason}) Read it again with get_block, then edit."
    )


def check_limit(value: str, limit: int | None, label: str) -> None:
    if limit is not None and len(value) > limit:
        raise InvalidInput(
            f"The new value has {len(value)} characters but block {label!r} holds at most {limit}: "
            "shorten it, or move detail to archival memory with insert_archival."
        )


def check_writable(read_only: bool, label: str) -> None:
    if read_only:
        raise InvalidInput(f"Block {label!r} is read-only.")


def page_of(value: str, offset: int, max_chars: int) -> tuple[str, int | None]:
    """The piece of a value to return from `offset`, and the offset of the rest (None when all was read)."""
    piece = value[offset : offset + max_chars]
    end = offset + len(piece)
    return piece, end if end < len(value) else None


TOOLSET = toolset(
    "memory",
    "Core memory blocks: read, replace, edit in place, create, and share between agents.",
    default=True,
    contract=Memory,
    lines=(
        Line("To change what an agent always knows: edit_block; to read it: get_block.", ("edit_block", "get_block")),
    ),
)
