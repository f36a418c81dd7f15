"""The `archival` toolset: an agent's long-term memory — store passages, search them, delete them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Protocol

from pydantic import Field

from letta_mcp.contract import declare, toolset
from letta_mcp.models import Deleted, Passage, PassageList
from letta_mcp.toolsets._args import AgentRef

Tags = Annotated[list[str] | None, Field(max_length=20, description="Tags to file it under / filter by.")]
Archive = Annotated[
    str | None,
    Field(max_length=300, description="A shared archive attached to the agent (id or name); omit for its own."),
]


class Archival(Protocol):
    """The contract of the `archival` toolset."""

    @declare("Store in archival memory", read_only=False)
    async def insert_archival(
        self,
        agent: AgentRef,
        text: Annotated[str, Field(min_length=1, max_length=50_000, description="The fact or note to store.")],
        tags: Tags = None,
        archive: Archive = None,
    ) -> Passage:
        """Store a passage in an agent's archival memory: long-term storage the agent searches when it
        needs to (unlike memory blocks, it is not always in its context, and it has no size limit).

        Use it for facts, decisions and notes worth keeping but not worth constant attention. Not
        idempotent: calling twice stores two passages. Next: search_archival to find it again.
        """
        ...

    @declare("Search archival memory", read_only=True)
    async def search_archival(
        self,
        agent: AgentRef,
        query: Annotated[str, Field(min_length=1, max_length=2_000, description="What to look for (semantic search).")],
        tags: Tags = None,
        match_all_tags: Annotated[bool, Field(description="With tags: every tag must match (else any).")] = False,
        limit: Annotated[int, Field(ge=1, le=50, description="Most passages to return.")] = 10,
        after: Annotated[datetime | None, Field(description="Only passages stored after this time (ISO 8601).")] = None,
        before: Annotated[
            datetime | None, Field(description="Only passages stored before this time (ISO 8601).")
        ] = None,
        archive: Archive = None,
    ) -> PassageList:
        """Search an agent's archival memory by meaning, optionally filtered by tags and a date range.
        Best matches first. Returns passage ids, which delete_archival takes.
        """
        ...

    @declare("Delete from archival memory", read_only=False, destructive=True, idempotent=True)
    async def delete_archival(
        self,
        agent: AgentRef,
        passage_id: Annotated[str, Field(min_length=1, max_length=200, description="The passage's id (passage-…).")],
    ) -> Deleted:
        """Delete one passage from an agent's archival memory for good (find its id with search_archival)."""
        ...


TOOLSET = toolset(
    "archival",
    "An agent's long-term memory: store passages, search them by meaning, delete them.",
    default=True,
    contract=Archival,
)
