"""The `agent_files` toolset: agents as Letta agent files (.af), to move them between servers."""

from __future__ import annotations

from typing import Annotated, Any, Protocol

from pydantic import Field

from letta_mcp.core.contract import declare, toolset
from letta_mcp.core.models import ExportedAgent, ImportedAgents
from letta_mcp.toolsets._args import AgentRef

AF_MIME = "application/json"
"""A .af file is JSON."""


class AgentFilesToolset(Protocol):
    """The contract of the `agent_files` toolset."""

    @declare("Export an agent", read_only=True, hint="letta export agent file .af backup copy")
    async def export_agent(
        self,
        agent: AgentRef,
        path: Annotated[
            str | None,
            Field(max_length=4_096, description="Write the .af file here (stdio servers only); else it is attached."),
        ] = None,
        messages: Annotated[bool, Field(description="Include the conversation history.")] = True,
    ) -> ExportedAgent:
        """Export an agent as a Letta agent file (.af): its memory blocks, tools and messages, as Letta
        exports them. Written to `path` on a stdio server, or returned as an embedded resource.
        """
        ...

    @declare("Import an agent", read_only=False, hint="letta import agent file .af restore copy", open_world=True)
    async def import_agent(
        self,
        path: Annotated[
            str | None, Field(max_length=4_096, description="A .af file on this machine (stdio servers only).")
        ] = None,
        agent_file: Annotated[
            dict[str, Any] | None, Field(description="The .af file's JSON object, instead of path.")
        ] = None,
        name: Annotated[str | None, Field(max_length=200, description="A new name for the imported agent.")] = None,
    ) -> ImportedAgents:
        """Create an agent from a Letta agent file (.af), with its memory, tools and messages. Not
        idempotent: importing twice makes two agents.
        """
        ...


TOOLSET = toolset(
    "agent_files",
    "Agents as Letta agent files (.af): export, import.",
    default=False,
    contract=AgentFilesToolset,
)
