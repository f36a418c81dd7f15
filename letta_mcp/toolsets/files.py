"""The `files` toolset: folders of documents that agents read (Letta splits and embeds them)."""

from __future__ import annotations

from typing import Annotated, Protocol

from pydantic import Field

from letta_mcp.core.contract import declare, toolset
from letta_mcp.core.models import AgentFiles, Attachment, FileInfo, FileList, FolderInfo, FolderList
from letta_mcp.toolsets._args import AgentRef, Cursor, Limit, Stripped

FolderRef = Annotated[
    str, Stripped, Field(min_length=1, max_length=300, description="The folder: its id (source-…) or its exact name.")
]
FileRef = Annotated[
    str,
    Stripped,
    Field(
        min_length=1,
        max_length=500,
        description="The file: its id (file-…), or its name as the agent lists it ('folder/name.md').",
    ),
]


class Files(Protocol):
    """The contract of the `files` toolset."""

    @declare("List folders", read_only=True, hint="letta folders of files documents")
    async def list_folders(self, limit: Limit = 50, cursor: Cursor = None) -> FolderList:
        """List the folders of documents on the Letta server. Next: list_files, or attach_folder."""
        ...

    @declare("Create a folder", read_only=False, hint="letta new folder for files documents", idempotent=True)
    async def create_folder(
        self,
        name: Annotated[str, Field(min_length=1, max_length=200, description="A unique name.")],
        description: Annotated[str | None, Field(max_length=2_000, description="What it holds.")] = None,
        embedding: Annotated[
            str | None, Field(max_length=200, description="Embedding handle; default from settings.")
        ] = None,
    ) -> FolderInfo:
        """Create a folder for documents (returns the existing one with that name). Next: upload_file,
        then attach_folder to give an agent access.
        """
        ...

    @declare("Upload a file", read_only=False, hint="letta upload file document pdf to folder", open_world=True)
    async def upload_file(
        self,
        folder: FolderRef,
        name: Annotated[
            str, Field(min_length=1, max_length=200, description="File name with its extension, e.g. 'notes.md'.")
        ],
        content: Annotated[str | None, Field(description="The file's text. Give this or path.")] = None,
        path: Annotated[
            str | None,
            Field(max_length=4_096, description="A file on this machine to upload (stdio servers only)."),
        ] = None,
        wait_seconds: Annotated[
            float | None, Field(ge=0, le=600, description="Seconds to wait for Letta's processing; default 30.")
        ] = None,
    ) -> FileInfo:
        """Upload a text document into a folder; Letta splits and embeds it so attached agents can
        search and open it. Waits for the processing (progress is reported); when it is slow, the file
        comes back with its status: check it later with list_files. Size-limited (LETTA_MCP_MAX_UPLOAD_BYTES).
        """
        ...

    @declare("List files", read_only=True, hint="letta files documents in folder")
    async def list_files(self, folder: FolderRef, limit: Limit = 50, cursor: Cursor = None) -> FileList:
        """List the files of a folder with their processing status (completed files are searchable)."""
        ...

    @declare("Attach a folder", read_only=False, hint="letta give agent folder files documents", idempotent=True)
    async def attach_folder(self, agent: AgentRef, folder: FolderRef) -> Attachment:
        """Give an agent a folder's files: it can search them and open them into its context."""
        ...

    @declare(
        "Detach a folder",
        read_only=False,
        hint="letta remove folder files from agent",
        destructive=True,
        idempotent=True,
    )
    async def detach_folder(self, agent: AgentRef, folder: FolderRef) -> Attachment:
        """Take a folder away from an agent. The folder and its files stay on the server."""
        ...

    @declare(
        "Open a file for an agent", read_only=False, hint="letta open file document in agent context", idempotent=True
    )
    async def open_file(self, agent: AgentRef, file: FileRef) -> AgentFiles:
        """Open one of an agent's files (from an attached folder) into its context window."""
        ...

    @declare(
        "Close a file for an agent", read_only=False, hint="letta close file document in agent context", idempotent=True
    )
    async def close_file(self, agent: AgentRef, file: FileRef) -> AgentFiles:
        """Close one of an agent's open files: it leaves its context window (it stays searchable)."""
        ...


TOOLSET = toolset(
    "files",
    "Folders of documents for agents: upload, list, attach, open and close.",
    default=False,
    contract=Files,
)
