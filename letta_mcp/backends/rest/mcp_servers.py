"""The `mcp_servers` toolset on Letta's REST API: MCP servers Letta calls, and their tools for agents."""

from __future__ import annotations

from typing import Any, Literal

from letta_mcp.backends.rest._base import RestBase
from letta_mcp.backends.rest.tools import info
from letta_mcp.core.errors import InvalidInput, NotFound
from letta_mcp.core.models import Attachment, McpServerInfo, McpServerList, McpToolList
from letta_mcp.toolsets.mcp_servers import McpServers


def server_info(s: Any) -> McpServerInfo:
    return McpServerInfo(
        id=s.id or "",
        name=s.server_name,
        type=str(getattr(s, "mcp_server_type", "") or ""),
        url=getattr(s, "server_url", None),
        command=getattr(s, "command", None),
    )


class RestMcpServers(RestBase, McpServers):
    async def _servers(self) -> list[Any]:
        return list(await self.letta.mcp_servers.list())

    async def _server(self, ref: str) -> Any:
        ref = ref.strip()
        for s in await self._servers():
            if ref in (s.id, s.server_name):
                return s
        raise NotFound(f"Letta has no MCP server {ref!r}. Call list_mcp_servers to see them.")

    async def list_mcp_servers(self) -> McpServerList:
        return McpServerList(servers=[server_info(s) for s in await self._servers()])

    async def add_mcp_server(
        self,
        name: str,
        url: str | None = None,
        transport: Literal["streamable_http", "sse", "stdio"] = "streamable_http",
        headers: dict[str, str] | None = None,
        command: str | None = None,
        args: list[str] | None = None,
    ) -> McpServerInfo:
        config: dict[str, Any] = {"mcp_server_type": transport}
        if transport == "stdio":
            if not command or url:
                raise InvalidInput("A stdio MCP server needs command (and args), not url.")
            config.update({"command": command, "args": list(args or [])})
        else:
            if not url or command:
                raise InvalidInput(f"A {transport} MCP server needs url, not command.")
            config["server_url"] = url
            if headers:
                config["custom_headers"] = headers
        for existing in await self._servers():
            if existing.server_name == name:
                raise InvalidInput(f"Letta already has an MCP server named {name!r} ({existing.id}): remove it first.")
        return server_info(await self.letta.mcp_servers.create(server_name=name, config=config))  # type: ignore[arg-type]

    async def remove_mcp_server(self, server: str) -> McpServerList:
        found = await self._server(server)
        await self.letta.mcp_servers.delete(found.id)
        return await self.list_mcp_servers()

    async def _tools(self, server_id: str) -> list[Any]:
        return list(await self.letta.mcp_servers.tools.list(server_id))

    async def list_mcp_server_tools(self, server: str) -> McpToolList:
        found = await self._server(server)
        return McpToolList(server_id=found.id, tools=[info(t) for t in await self._tools(found.id)])

    async def attach_mcp_tools(self, agent: str, server: str, tools: list[str] | None = None) -> Attachment:
        agent_id = await self.resolve_agent(agent)
        found = await self._server(server)
        offered = await self._tools(found.id)
        wanted = offered if tools is None else [t for t in offered if t.name in set(tools)]
        missing = sorted(set(tools or []) - {t.name for t in offered})
        if missing:
            names = ", ".join(sorted(t.name for t in offered)) or "none"
            raise InvalidInput(f"{found.server_name!r} has no tool {missing[0]!r}; it offers: {names}.")
        before = {t.id for t in (await self.letta.agents.tools.list(agent_id, limit=200)).items}
        for t in wanted:
            if t.id not in before:
                await self.letta.agents.tools.attach(t.id, agent_id=agent_id)
        after = (await self.letta.agents.tools.list(agent_id, limit=200)).items
        return Attachment(
            agent_id=agent_id,
            attached=sorted(t.name or "" for t in after),
            changed=any(t.id not in before for t in wanted),
        )
