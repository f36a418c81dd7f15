"""The `archives` toolset: archival memory that several agents share."""

from __future__ import annotations

from typing import Annotated, Protocol

from pydantic import Field

from letta_mcp.core.contract import declare, toolset
from letta_mcp.core.models import ArchiveInfo, ArchiveList, Attachment
from letta_mcp.toolsets._args import AgentRef, Cursor, Limit, Stripped

ArchiveRef = Annotated[
    str, Stripped, Field(min_length=1, max_length=300, description="The archive: its id (archive-…) or its exact name.")
]


class Archives(Protocol):
    """The contract of the `archives` toolset."""

    @declare("List archives", read_only=True, hint="letta archives shared archival memory stores")
    async def list_archives(
        self,
        agent: Annotated[
            str | None, Field(max_length=300, description="Only the archives attached to this agent.")
        ] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> ArchiveList:
        """List archives: archival memory that agents can share. insert_archival and search_archival take
        one as `archive`.
        """
        ...

    @declare("Create an archive", read_only=False, hint="letta new shared archival memory archive", idempotent=True)
    async def create_archive(
        self,
        name: Annotated[str, Field(min_length=1, max_length=200, description="A unique name.")],
        description: Annotated[str | None, Field(max_length=2_000, description="What it holds.")] = None,
        embedding: Annotated[
            str | None, Field(max_length=200, description="Embedding handle; default from settings.")
        ] = None,
    ) -> ArchiveInfo:
        """Create a shared archive (returns the existing one with that name). Next: attach_archive to the
        agents that share it.
        """
        ...

    @declare(
        "Attach an archive", read_only=False, hint="letta share archival memory archive with agent", idempotent=True
    )
    async def attach_archive(self, agent: AgentRef, archive: ArchiveRef) -> Attachment:
        """Give an agent a shared archive: it searches those passages too."""
        ...

    @declare(
        "Detach an archive",
        read_only=False,
        hint="letta remove archival memory archive from agent",
        destructive=True,
        idempotent=True,
    )
    async def detach_archive(self, agent: AgentRef, archive: ArchiveRef) -> Attachment:
        """Take a shared archive away from an agent. The archive and its passages stay."""
        ...


TOOLSET = toolset(
    "archives",
    "Archival memory shared by several agents.",
    default=False,
    contract=Archives,
)
