"""The `files` toolset on Letta's REST API: folders (Letta's "sources") and their files."""

from __future__ import annotations

import mimetypes
import time
from typing import Any

import anyio

from letta_mcp.backends.rest._base import RestBase, given, page_cursor
from letta_mcp.backends.rest.localfiles import read_local, within_limit
from letta_mcp.core.errors import InvalidInput, NotFound
from letta_mcp.core.models import AgentFile, AgentFiles, Attachment, FileInfo, FileList, FolderInfo, FolderList
from letta_mcp.core.progress import Progress
from letta_mcp.toolsets.files import Files

UPLOAD_WAIT = 30.0
POLL_SECONDS = 0.5
DONE = ("completed", "error")


def folder_info(f: Any) -> FolderInfo:
    emb = getattr(f, "embedding_config", None)
    handle = getattr(emb, "handle", None) or (getattr(emb, "embedding_model", None) if emb else None)
    return FolderInfo(id=f.id, name=f.name, description=f.description or None, embedding=handle)


def file_info(f: Any, note: str | None = None) -> FileInfo:
    status = getattr(f, "processing_status", None)
    return FileInfo(
        id=f.id,
        name=getattr(f, "original_file_name", None) or f.file_name or "",
        folder_id=getattr(f, "source_id", None),
        status=str(status) if status else None,
        size=getattr(f, "file_size", None),
        chunks=getattr(f, "total_chunks", None),
        error=getattr(f, "error_message", None) or None,
        note=note,
    )


def agent_file(f: Any) -> AgentFile:
    return AgentFile(id=f.file_id, name=f.file_name or "", folder=f.folder_name, open=bool(f.is_open))


class RestFiles(RestBase, Files):
    async def folder_id(self, ref: str) -> str:
        ref = ref.strip()
        if ref.startswith("source-"):
            return ref
        found = (await self.letta.folders.list(name=ref, limit=2)).items
        if not found:
            raise NotFound(f"No folder named {ref!r}. Call list_folders to see the folders.")
        return str(found[0].id)

    async def list_folders(self, limit: int = 50, cursor: str | None = None) -> FolderList:
        page = await self.letta.folders.list(limit=limit + 1, **given(after=cursor))
        items = page.items
        return FolderList(
            folders=[folder_info(f) for f in items[:limit]], next_cursor=page_cursor([f.id for f in items], limit)
        )

    async def create_folder(
        self, name: str, description: str | None = None, embedding: str | None = None
    ) -> FolderInfo:
        existing = (await self.letta.folders.list(name=name, limit=1)).items
        if existing:
            return folder_info(existing[0])
        created = await self.letta.folders.create(
            name=name, embedding=embedding or self.settings.default_embedding, **given(description=description)
        )
        return folder_info(created)

    async def _content(self, content: str | None, path: str | None) -> bytes:
        """The bytes to upload, from the text given or a local file, within the size limit."""
        if (content is None) == (path is None):
            raise InvalidInput("Give the file's text as content, or a path to a file on this machine — one of them.")
        if path is not None:
            return await read_local(path, self.settings, "send content instead")
        assert content is not None
        return within_limit(content.encode(), self.settings)

    async def upload_file(
        self,
        folder: str,
        name: str,
        content: str | None = None,
        path: str | None = None,
        wait_seconds: float | None = None,
    ) -> FileInfo:
        data = await self._content(content, path)
        folder_id = await self.folder_id(folder)
        kind = mimetypes.guess_type(name)[0] or "text/plain"
        uploaded = await self.letta.folders.files.upload(folder_id, file=(name, data, kind), duplicate_handling="error")
        return await self._processed(folder_id, uploaded, UPLOAD_WAIT if wait_seconds is None else wait_seconds)

    async def _processed(self, folder_id: str, uploaded: Any, wait: float) -> FileInfo:
        """The file once Letta has split and embedded it, or as it stands at the deadline."""
        progress = Progress(self.request.ctx)
        deadline = time.monotonic() + wait
        current, last = uploaded, None
        while str(getattr(current, "processing_status", "") or "") not in DONE and time.monotonic() < deadline:
            status = str(getattr(current, "processing_status", "") or "pending")
            if status != last:
                await progress.step(f"Letta is processing {current.file_name}: {status}")
                last = status
            await anyio.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            current = await self.letta.folders.files.retrieve(uploaded.id, folder_id=folder_id)
        status = str(getattr(current, "processing_status", "") or "")
        if status == "error":
            raise InvalidInput(
                f"Letta could not process the file: {getattr(current, 'error_message', '') or 'no reason given'}."
            )
        note = (
            None
            if status == "completed"
            else f"Still {status or 'processing'} after {wait:g} s: check it with list_files."
        )
        return file_info(current, note)

    async def list_files(self, folder: str, limit: int = 50, cursor: str | None = None) -> FileList:
        folder_id = await self.folder_id(folder)
        page = await self.letta.folders.files.list(folder_id, limit=limit + 1, **given(after=cursor))
        items = page.items
        return FileList(
            files=[file_info(f) for f in items[:limit]], next_cursor=page_cursor([f.id for f in items], limit)
        )

    async def _folders_of(self, agent_id: str) -> list[str]:
        page = await self.letta.agents.folders.list(agent_id, limit=100)
        return sorted(f.name for f in page.items)

    async def attach_folder(self, agent: str, folder: str) -> Attachment:
        agent_id = await self.resolve_agent(agent)
        folder_id = await self.folder_id(folder)
        before = (await self.letta.agents.folders.list(agent_id, limit=100)).items
        if any(f.id == folder_id for f in before):
            return Attachment(agent_id=agent_id, attached=sorted(f.name for f in before), changed=False)
        await self.letta.agents.folders.attach(folder_id, agent_id=agent_id)
        return Attachment(agent_id=agent_id, attached=await self._folders_of(agent_id), changed=True)

    async def detach_folder(self, agent: str, folder: str) -> Attachment:
        agent_id = await self.resolve_agent(agent)
        folder_id = await self.folder_id(folder)
        before = (await self.letta.agents.folders.list(agent_id, limit=100)).items
        if not any(f.id == folder_id for f in before):
            return Attachment(agent_id=agent_id, attached=sorted(f.name for f in before), changed=False)
        await self.letta.agents.folders.detach(folder_id, agent_id=agent_id)
        return Attachment(agent_id=agent_id, attached=await self._folders_of(agent_id), changed=True)

    async def _agent_files(self, agent_id: str) -> list[Any]:
        return list((await self.letta.agents.files.list(agent_id, limit=100)).files)

    async def _set_open(self, agent: str, file: str, want_open: bool) -> AgentFiles:
        agent_id = await self.resolve_agent(agent)
        files = await self._agent_files(agent_id)
        match = [f for f in files if file.strip() in (f.file_id, f.file_name)]
        if not match:
            raise NotFound(
                f"Agent {agent!r} has no file {file!r}: attach its folder (attach_folder), and name the file by its id "
                "or 'folder/name'."
            )
        if bool(match[0].is_open) == want_open:
            return AgentFiles(agent_id=agent_id, files=[agent_file(f) for f in files], changed=False)
        if want_open:
            await self.letta.agents.files.open(match[0].file_id, agent_id=agent_id)
        else:
            await self.letta.agents.files.close(match[0].file_id, agent_id=agent_id)
        return AgentFiles(
            agent_id=agent_id, files=[agent_file(f) for f in await self._agent_files(agent_id)], changed=True
        )

    async def open_file(self, agent: str, file: str) -> AgentFiles:
        return await self._set_open(agent, file, True)

    async def close_file(self, agent: str, file: str) -> AgentFiles:
        return await self._set_open(agent, file, False)
