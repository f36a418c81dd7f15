"""The `memory` toolset on Letta's App Server: memory blocks are MemFS files, each write one git commit.

A block is named by agent and label: `<label>.md`, or `system/<label>.md` for blocks compiled into the
system prompt, or a path as the App Server lists it ('notes/todo.md'). The App Server validates every
commit (size limits, the `system/MEMORY.md` index): a write it refuses leaves the new text staged on
disk, where reads would show it as if it had worked, so letta-mcp puts the committed text back and
says plainly that nothing was committed. This process's writes to one file are made one at a time;
the App Server itself orders writes from elsewhere (git).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

from letta_mcp.backends.app._base import AppBase, block_summary
from letta_mcp.backends.app.diffs import changes, commit_id
from letta_mcp.backends.app.memfs import MemoryFile, candidates, label_of, parse
from letta_mcp.backends.app.socket import AppServerError, Disconnected, NoAnswer
from letta_mcp.backends.flows import EditsBlocks, ReadsBlocks
from letta_mcp.core.errors import InvalidInput, LettaMCPError, NotFound
from letta_mcp.core.models import Block, BlockEdit, BlockList, Commit, Deleted, FileChange, MemoryHistory
from letta_mcp.core.uris import agent_block_uri
from letta_mcp.toolsets.memory import (
    PREVIEW_CHARS,
    Edit,
    Memory,
    apply_edit,
    no_such_label,
)

COMMIT_PREFIX = "letta-mcp:"
DIFF_COMMITS = 20
"""memory_history reads the changes of this many commits (the newest); older ones are listed without."""


def _name_block(agent: str | None, label: str | None, block_id: str | None) -> tuple[str, str]:
    """Blocks here are an agent's files: agent and label (or a path) name one; a bare block_id cannot."""
    if block_id and not (agent and label):
        raise InvalidInput(
            "Letta's App Server keeps memory per agent: name the block by agent and label (or its path, as "
            "list_blocks shows it as id)."
        )
    if not (agent and (label or block_id)):
        raise InvalidInput("Name the block: give agent and label (see list_blocks).")
    return agent, str(label or block_id)


Found = tuple[str, MemoryFile]
"""An agent's id, and one of its memory files."""


class AppMemory(AppBase, ReadsBlocks, EditsBlocks, Memory):
    async def _find(self, agent: str | None, label: str | None, block_id: str | None) -> Found:
        """The agent's id and its memory file for this label or path, front matter included (a write keeps
        what it does not change)."""
        agent_ref, name = _name_block(agent, label, block_id)
        agent_id = await self.resolve_agent(agent_ref)
        for path in candidates(name):
            try:
                answer = await self.socket.request("read_memory_file", agent_id=agent_id, path=path)
            except AppServerError:
                continue
            if answer.get("content") is not None:
                return agent_id, parse(path, str(answer["content"]))
        raise NotFound(no_such_label(agent_ref, name))

    async def _write(self, agent_id: str, before: MemoryFile | None, after: MemoryFile, what: str) -> None:
        """Commit the new text (`what` names the change in the commit message, after letta-mcp's prefix);
        when the App Server refuses the commit, put the committed text back."""
        try:
            await self.socket.request(
                "write_memory_file",
                agent_id=agent_id,
                path=after.path,
                content=after.text(),
                commit_message=f"{COMMIT_PREFIX} {what}",
            )
        except AppServerError as exc:
            said = exc.said
            problems = said[said.find("Fix these problems:") :] if "Fix these problems:" in said else said
            problems = " ".join(problems.replace("Fix these problems:", "").split())[:400]
            restored = before is not None and await self._restore(agent_id, before)
            state = (
                "The file still holds its committed text."
                if restored
                else "The new text is staged on disk, uncommitted: reads may show it until the next commit."
            )
            raise LettaMCPError(
                f"Letta's App Server refused to commit {after.path} ({problems}). Nothing was committed. {state}"
            ) from None
        await self.request.resources_updated([agent_block_uri(agent_id, after.label)])

    async def _restore(self, agent_id: str, before: MemoryFile) -> bool:
        try:
            await self.socket.request(
                "write_memory_file",
                agent_id=agent_id,
                path=before.path,
                content=before.text(),
                commit_message=f"{COMMIT_PREFIX} restore {before.label}",
            )
        except Exception:  # noqa: BLE001 — said in the error the caller gets
            return False
        return True

    async def list_blocks(
        self, agent: str | None = None, label: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> BlockList:
        if not agent:
            raise InvalidInput("Letta's App Server keeps memory per agent: pass agent to list its blocks.")
        agent_id = await self.resolve_agent(agent)
        files = [f for f in await self.memory(agent_id) if label is None or f.label == label]
        start = next((i + 1 for i, f in enumerate(files) if f.path == cursor), 0) if cursor else 0
        page = files[start : start + limit]
        more = start + limit < len(files)
        return BlockList(blocks=[block_summary(f) for f in page], next_cursor=page[-1].path if more and page else None)

    async def read_block(self, agent: str | None, label: str | None, block_id: str | None) -> Block:
        _, f = await self._find(agent, label, block_id)
        return Block(id=f.path, label=f.label, description=f.description, value=f.body, chars=len(f.body))

    @asynccontextmanager
    async def _held(self, agent: str | None, label: str | None, block_id: str | None) -> AsyncIterator[Found]:
        """The block read while this process holds its write lock (see `locks`): writes of this process to
        one file are made one at a time, each from the text the one before left."""
        agent_ref, name = _name_block(agent, label, block_id)
        agent_id = await self.resolve_agent(agent_ref)
        async with self.backend.block_locks.hold(f"{agent_id}/{name}"):
            yield await self._find(agent_id, name, None)

    async def update_block(
        self, value: str, agent: str | None = None, label: str | None = None, block_id: str | None = None
    ) -> BlockEdit:
        async with self._held(agent, label, block_id) as (agent_id, before):
            after = before.with_body(value)
            await self._write(agent_id, before, after, f"update_block {after.label}")
        return BlockEdit(
            id=after.path,
            label=after.label,
            chars=len(value),
            changed=f"replaced {len(before.body)} chars with {len(value)}",
            preview=value[:PREVIEW_CHARS],
        )

    async def apply_edit(self, agent: str | None, label: str | None, block_id: str | None, edit: Edit) -> BlockEdit:
        async with self._held(agent, label, block_id) as (agent_id, before):
            edited = apply_edit(before.body, edit, before.label)
            after = before.with_body(edited.value)
            await self._write(agent_id, before, after, f"edit_block {after.label}")
        return BlockEdit(
            id=after.path,
            label=after.label,
            chars=len(edited.value),
            changed=edited.changed,
            preview=edited.preview[: PREVIEW_CHARS * 2],
        )

    async def memory_history(self, agent: str, label: str | None = None, limit: int = 20) -> MemoryHistory:
        agent_id = await self.resolve_agent(agent)
        path = ""
        if label:
            path = await self._path_in_history(agent_id, label)
        query: dict[str, Any] = {"agent_id": agent_id, "limit": limit}
        if path:
            query["file_path"] = path
        answer = await self.socket.request("memory_history", **query)
        listed = [c for c in answer.get("commits") or [] if c.get("sha")]
        diffs: dict[str, list[FileChange]] = {}
        lost: list[Exception] = []

        async def read_diff(sha: str) -> None:
            try:
                said = await self.socket.request("memory_commit_diff", agent_id=agent_id, sha=sha)
            except AppServerError:
                return  # the commit is listed without its changes
            except (Disconnected, NoAnswer) as exc:
                lost.append(exc)  # raised alone below, so it is translated (and retried) as any read's
                return
            diffs[sha] = [c for c in changes(str(said.get("diff") or "")) if not path or c.path == path]

        async with anyio.create_task_group() as tasks:
            for c in listed[:DIFF_COMMITS]:
                tasks.start_soon(read_diff, str(c["sha"]))
        if lost:
            raise lost[0]
        commits = [
            Commit(
                sha=c["sha"],
                message=c.get("message") or "",
                date=c.get("timestamp"),
                author=c.get("author_name"),
                changes=diffs.get(c["sha"]),
            )
            for c in listed
        ]
        return MemoryHistory(agent_id=agent_id, path=path or None, commits=commits)

    async def _path_in_history(self, agent_id: str, label: str) -> str:
        """The file a label names: the one there now, else (a deleted block) the first path git knows."""
        try:
            return (await self._find(agent_id, label, None))[1].path
        except NotFound:
            pass
        for path in candidates(label):
            known = await self.socket.request("memory_history", agent_id=agent_id, file_path=path, limit=1)
            if known.get("commits"):
                return path
        raise NotFound(no_such_label(agent_id, label))

    async def restore_block(self, agent: str, label: str, commit: str) -> BlockEdit:
        sha = commit_id(commit)
        agent_id = await self.resolve_agent(agent)
        path = await self._path_in_history(agent_id, label)
        async with self.backend.block_locks.hold(f"{agent_id}/{label_of(path)}"):
            try:
                then = await self.socket.request("memory_file_at_ref", agent_id=agent_id, file_path=path, ref=sha)
            except AppServerError:
                then = {}
            if then.get("content") is None:
                raise NotFound(
                    f"Block {label!r} has no text at commit {sha!r} (no such commit, or the block did not exist "
                    f"then). Call memory_history with agent={agent!r} and label={label!r} for its commits."
                )
            old = parse(path, str(then["content"]))
            try:
                now: MemoryFile | None = (await self._find(agent_id, path, None))[1]
            except NotFound:
                now = None
            if now is not None and now.text() == old.text():
                return BlockEdit(
                    id=path,
                    label=old.label,
                    chars=len(old.body),
                    changed=f"already as at commit {sha[:12]}: nothing committed",
                    preview=old.body[:PREVIEW_CHARS],
                )
            await self._write(agent_id, now, old, f"restore_block {old.label} to {sha[:12]}")
        return BlockEdit(
            id=path,
            label=old.label,
            chars=len(old.body),
            changed=f"restored the text of commit {sha[:12]} ({len(old.body)} chars), as a new commit",
            preview=old.body[:PREVIEW_CHARS],
        )

    async def delete_block(self, agent: str, label: str) -> Deleted:
        agent_id = await self.resolve_agent(agent)
        async with self._held(agent_id, label, None) as (_, found):
            answer = await self.socket.request(
                "delete_memory_file",
                agent_id=agent_id,
                path=found.path,
                commit_message=f"{COMMIT_PREFIX} delete_block {found.label}",
            )
        if answer.get("committed") is False:
            raise LettaMCPError(f"Letta's App Server deleted nothing: {found.path} was not on disk.")
        await self.request.resources_updated([agent_block_uri(agent_id, found.label)])
        return Deleted(id=found.path, name=found.label, what="memory block (restore_block brings it back)")

    async def block_text(self, agent: str | None, label: str | None, block_id: str | None) -> str:
        return (await self._find(agent, label, block_id))[1].body

    async def labels(self, agent: str, prefix: str) -> list[str]:
        agent_id = await self.resolve_agent(agent)
        return [f.label for f in await self.memory(agent_id) if f.label.startswith(prefix)]

    async def block_ids(self, prefix: str) -> list[str]:
        return []


__all__ = ["AppMemory", "parse"]
