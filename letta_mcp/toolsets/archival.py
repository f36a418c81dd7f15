"""The `archival` toolset: an agent's long-term memory — store passages, search them, delete them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Protocol

from pydantic import Field

from letta_mcp.core.contract import Line, declare, needs, toolset
from letta_mcp.core.models import Deleted, Passage, PassageList
from letta_mcp.toolsets._args import AgentRef

Tags = Annotated[list[str] | None, Field(max_length=20, description="Tags.")]
Archive = Annotated[
    str | None,
    Field(max_length=300, description="A shared archive of the agent.", json_schema_extra=needs("archives")),
]


class Archival(Protocol):
    """The contract of the `archival` toolset."""

    @declare("Store in archival memory", read_only=False, hint="letta remember save fact long-term archival memory")
    async def insert_archival(
        self,
        agent: AgentRef,
        text: Annotated[str, Field(min_length=1, max_length=50_000, description="Fact or note.")],
        tags: Tags = None,
        archive: Archive = None,
    ) -> Passage:
        """Store a fact in an agent's archival memory (searched when needed). Next: search_archival."""
        ...

    @declare("Search archival memory", read_only=True, hint="letta recall search long-term archival memory")
    async def search_archival(
        self,
        agent: AgentRef,
        query: Annotated[str, Field(min_length=1, max_length=2_000, description="Search text.")],
        tags: Tags = None,
        match_all_tags: Annotated[bool, Field(description="All tags must match.")] = False,
        limit: Annotated[int, Field(ge=1, le=50, description="Max results, 1-50.")] = 10,
        after: Annotated[datetime | None, Field(description="After (ISO 8601).")] = None,
        before: Annotated[datetime | None, Field(description="Before (ISO 8601).")] = None,
        archive: Archive = None,
    ) -> PassageList:
        """Search an agent's archival memory by meaning (ids for delete_archival)."""
        ...

    @declare(
        "Delete from archival memory",
        read_only=False,
        hint="letta forget delete archival memory passage",
        destructive=True,
        idempotent=True,
    )
    async def delete_archival(
        self,
        agent: AgentRef,
        passage_id: Annotated[str, Field(min_length=1, max_length=200, description="Passage id.")],
    ) -> Deleted:
        """Delete an archival passage (id from search_archival)."""
        ...


TOOLSET = toolset(
    "archival",
    "An agent's long-term memory: store passages, search them by meaning, delete them.",
    default=True,
    contract=Archival,
    about="archival memory (searchable long-term storage)",
    lines=(
        Line(
            "To remember something: insert_archival; to recall: search_archival.",
            ("insert_archival", "search_archival"),
        ),
    ),
)
