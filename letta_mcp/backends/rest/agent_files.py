"""The `agent_files` toolset on Letta's REST API: export and import Letta agent files (.af)."""

from __future__ import annotations

import json
from typing import Any

from letta_mcp.backends.rest._base import RestBase, given
from letta_mcp.backends.rest.agents import summary
from letta_mcp.backends.rest.localfiles import read_local, within_limit, write_local
from letta_mcp.core.errors import InvalidInput
from letta_mcp.core.models import ExportedAgent, ImportedAgents
from letta_mcp.toolsets.agent_files import AF_MIME, AgentFilesToolset


def _counts(document: Any) -> tuple[int, int, int]:
    """Blocks, messages and tools in a .af document (v2: separate lists; v1: inline)."""
    if not isinstance(document, dict):
        return 0, 0, 0
    agents = document.get("agents") or [document]
    messages = sum(len(a.get("messages") or []) for a in agents if isinstance(a, dict))
    blocks = len(document.get("blocks") or []) or sum(
        len(a.get("core_memory") or a.get("memory_blocks") or []) for a in agents if isinstance(a, dict)
    )
    return blocks, messages, len(document.get("tools") or [])


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


class RestAgentFiles(RestBase, AgentFilesToolset):
    def _refuse_beyond_scope(self, document: Any) -> None:
        """What a scoped caller may not import: an agent file is also a write to what Letta keeps for everyone
        (tools it upserts by name, MCP servers it registers), and it may carry another scope's tags."""
        if self.scope is None:
            return
        doc = document if isinstance(document, dict) else {}
        agents = _dicts(doc.get("agents")) or [doc]
        for a in agents:
            self.refuse_foreign([str(t) for t in a.get("tags") or []])
        tools = _dicts(doc.get("tools"))
        self.refuse_multi_agent(str(t.get("name")) for t in tools)
        own_code = sorted(str(t.get("name")) for t in tools if not str(t.get("tool_type") or "").startswith("letta_"))
        if own_code or _dicts(doc.get("mcp_servers")):
            what = f"tools of its own ({', '.join(own_code[:5])})" if own_code else "MCP servers"
            raise InvalidInput(
                f"This agent file carries {what}, which Letta keeps for everyone, not per agent: access scoped to "
                f"{self.scope!r} cannot import them. Remove them from the file (agents[].tool_ids and tools[], "
                "or mcp_servers[]) or ask an operator. Nothing was imported."
            )

    async def export_agent(self, agent: str, path: str | None = None, messages: bool = True) -> ExportedAgent:
        if path is not None and self.settings.transport != "stdio":
            raise InvalidInput("path works only on a stdio server (the file goes on the user's machine): omit it.")
        agent_id = await self.resolve_agent(agent)
        found = await self.letta.agents.retrieve(agent_id)
        text = await self.letta.agents.export_file(agent_id, scrub_messages=not messages)
        blocks, count, tools = _counts(json.loads(text))
        out = ExportedAgent(
            agent_id=agent_id, name=found.name, bytes=len(text.encode()), blocks=blocks, messages=count, tools=tools
        )
        if path is not None:
            written = await write_local(path, text, self.settings, "omit it to get the file attached")
            return out.model_copy(update={"path": written})
        return out.with_attachment(f"letta://agents/{agent_id}/agent.af", AF_MIME, text)

    async def import_agent(
        self, path: str | None = None, agent_file: dict[str, Any] | None = None, name: str | None = None
    ) -> ImportedAgents:
        if (path is None) == (agent_file is None):
            raise InvalidInput("Give the .af file as a path on this machine, or its JSON as agent_file — one of them.")
        if path is not None:
            data = await read_local(path, self.settings, "send agent_file instead")
        else:
            assert agent_file is not None
            data = within_limit(json.dumps(agent_file).encode(), self.settings)
        try:
            document = json.loads(data)
        except ValueError:
            raise InvalidInput("The agent file is not JSON: a .af file is the JSON export_agent returns.") from None
        self._refuse_beyond_scope(document)
        imported = await self.letta.agents.import_file(
            file=("agent.af", data, AF_MIME),
            append_copy_suffix=False,
            override_existing_tools=self.scope is None,
            **given(name=name),
        )
        agents = [await self.letta.agents.retrieve(i, include=["agent.tags"]) for i in imported.agent_ids]
        if self.scope is not None:
            for a in agents:
                await self.letta.agents.update(a.id, tags=self.with_scope(list(a.tags or [])))
        await self.request.agents_changed()
        return ImportedAgents(agents=[summary(a) for a in agents])
