"""The `mcp_servers` toolset: MCP servers that Letta itself calls, and their tools for its agents."""

from __future__ import annotations

from typing import Annotated, Literal, Protocol

from pydantic import Field

from letta_mcp.core.contract import declare, toolset
from letta_mcp.core.models import Attachment, McpServerInfo, McpServerList, McpToolList
from letta_mcp.toolsets._args import AgentRef, Stripped

ServerRef = Annotated[
    str, Stripped, Field(min_length=1, max_length=300, description="The MCP server: its id (mcp_server-…) or its name.")
]


class McpServers(Protocol):
    """The contract of the `mcp_servers` toolset."""

    @declare("List Letta's MCP servers", read_only=True, hint="letta mcp servers registered")
    async def list_mcp_servers(self) -> McpServerList:
        """List the MCP servers registered in Letta (whose tools Letta's agents can call)."""
        ...

    @declare("Add an MCP server to Letta", read_only=False, hint="letta add register mcp server", open_world=True)
    async def add_mcp_server(
        self,
        name: Annotated[str, Field(min_length=1, max_length=100, description="A unique name.")],
        url: Annotated[
            str | None, Field(max_length=2_000, description="The server's URL (streamable HTTP or SSE).")
        ] = None,
        transport: Annotated[
            Literal["streamable_http", "sse", "stdio"], Field(description="How Letta talks to it.")
        ] = "streamable_http",
        headers: Annotated[
            dict[str, str] | None, Field(description="HTTP headers Letta sends (e.g. Authorization); never shown back.")
        ] = None,
        command: Annotated[
            str | None, Field(max_length=1_000, description="stdio: the command Letta runs (if its server allows).")
        ] = None,
        args: Annotated[list[str] | None, Field(max_length=50, description="stdio: its arguments.")] = None,
    ) -> McpServerInfo:
        """Register an MCP server with Letta so its tools can be given to agents. Letta connects to it
        itself (public URLs only, by Letta's rule). Next: list_mcp_server_tools, attach_mcp_tools.
        """
        ...

    @declare(
        "Remove an MCP server from Letta",
        read_only=False,
        hint="letta remove mcp server",
        destructive=True,
        idempotent=True,
    )
    async def remove_mcp_server(self, server: ServerRef) -> McpServerList:
        """Unregister an MCP server from Letta; agents that had its tools lose them."""
        ...

    @declare("List an MCP server's tools", read_only=True, hint="letta mcp server tools", open_world=True)
    async def list_mcp_server_tools(self, server: ServerRef) -> McpToolList:
        """List the tools an MCP server registered in Letta offers (Letta asks the server)."""
        ...

    @declare(
        "Attach MCP tools to an agent",
        read_only=False,
        hint="letta give agent mcp server tools",
        idempotent=True,
        open_world=True,
    )
    async def attach_mcp_tools(
        self,
        agent: AgentRef,
        server: ServerRef,
        tools: Annotated[
            list[str] | None, Field(max_length=100, description="Tool names to attach; omit for all of them.")
        ] = None,
    ) -> Attachment:
        """Give an agent an MCP server's tools (all, or the ones named); it can call them from its next turn."""
        ...


TOOLSET = toolset(
    "mcp_servers",
    "MCP servers that Letta calls: register them, list their tools, give those to agents.",
    default=False,
    contract=McpServers,
)
