"""The `agents` toolset on Letta's App Server."""

from __future__ import annotations

from typing import Any

from letta_mcp.backends import flows
from letta_mcp.backends.app import reflection, workspace
from letta_mcp.backends.app._base import AppBase, block_summary, summary, tags_of
from letta_mcp.backends.app.memfs import MemoryFile
from letta_mcp.core.errors import InvalidInput
from letta_mcp.core.models import Agent, AgentContext, AgentList, Block, Deleted, ModelInfo, ModelList
from letta_mcp.core.uris import agent_uri
from letta_mcp.toolsets.agents import Agents, unknown_handle
from letta_mcp.toolsets.reflection import no_reflection_here

_NOT_HERE = "Letta's App Server has no {what}: leave {arg} out."


def detail(a: dict[str, Any], memory: list[MemoryFile], existed: bool | None = None, sleeptime: bool = False) -> Agent:
    llm = a.get("llm_config") or {}
    return Agent(
        id=a["id"],
        name=a.get("name") or "",
        description=a.get("description") or None,
        model=a.get("model"),
        context_window=llm.get("context_window") or (a.get("model_settings") or {}).get("context_window_limit"),
        tags=tags_of(a),
        tools=sorted(t.get("name", "") if isinstance(t, dict) else str(t) for t in a.get("tools") or []),
        blocks=[block_summary(f) for f in memory],
        sleeptime=sleeptime,
        existed=existed,
    )


def _refuse(**given: Any) -> None:
    """Arguments that mean nothing on the App Server: refused by name, so the model drops them."""
    what = {
        "embedding": "archival memory (so no embedding)",
        "tools": "Letta tools to attach",
        "tool_rules": "tool rules",
        "secrets": "tool secrets",
    }
    for arg, value in given.items():
        if value:
            raise InvalidInput(_NOT_HERE.format(what=what[arg], arg=arg))


class AppAgents(AppBase, flows.ListsAgents, flows.CreatesAgents, flows.UpdatesAgents, Agents):
    async def agents_page(self, query: flows.AgentQuery, limit: int, cursor: str | None) -> AgentList:
        found = []
        for a in await self.agents():
            if query.name is not None and a.get("name") != query.name:
                continue
            if not query.has_tags(a.get("tags")):
                continue
            if query.query and query.query.lower() not in (a.get("name") or "").lower():
                continue
            found.append(a)
        start = next((i + 1 for i, a in enumerate(found) if a["id"] == cursor), 0) if cursor else 0
        page = found[start : start + limit]
        more = start + limit < len(found)
        return AgentList(agents=[summary(a) for a in page], next_cursor=page[-1]["id"] if more and page else None)

    async def get_agent(self, agent: str) -> Agent:
        found = await self.agent(agent)
        return detail(found, await self.memory(found["id"]), sleeptime=await reflection.sleeptime(self, found["id"]))

    def _refuse_reflection(self, sleeptime: bool | None) -> None:
        if sleeptime and workspace.shared(self.settings):
            raise InvalidInput(no_reflection_here())

    def refuse_unmade(self, draft: flows.AgentDraft) -> None:
        _refuse(embedding=draft.embedding, tools=draft.tools, tool_rules=draft.tool_rules, secrets=draft.secrets)
        self._refuse_reflection(draft.sleeptime)

    async def existing_agent(self, draft: flows.AgentDraft, unique_by: flows.MatchBy) -> Agent | None:
        for a in await self.agents():
            same = (
                a.get("name") == draft.name
                if unique_by == "name"
                else set(draft.tags or []) <= set(a.get("tags") or [])
            )
            if same:
                reflects = await reflection.sleeptime(self, a["id"])
                return detail(a, await self.memory(a["id"]), existed=True, sleeptime=reflects)
        return None

    async def make_agent(self, draft: flows.AgentDraft) -> Agent:
        chosen, note = await self.check_model(draft.model, "LETTA_MCP_DEFAULT_MODEL" if draft.model is None else None)
        body: dict[str, Any] = {
            "name": draft.name,
            # Always a model: without one the App Server gives the agent one that points nowhere.
            "model": chosen,
            "memory_blocks": [b.model_dump(exclude_none=True) for b in draft.memory_blocks],
        }
        for key, value in (
            ("description", draft.description),
            ("tags", draft.tags),
            ("context_window_limit", draft.context_window_limit),
        ):
            if value is not None:
                body[key] = value
        created = (await self.socket.request("agent_create", body=body))["agent"]
        if not workspace.shared(self.settings):
            # Letta Code's agents reflect by default; here sleeptime says whether, as on REST.
            await reflection.set_trigger(self, created["id"], "step-count" if draft.sleeptime else "off")
        await self.request.agents_changed()
        made = detail(created, await self.memory(created["id"]), existed=False, sleeptime=draft.sleeptime)
        return made.model_copy(update={"note": note}) if note else made

    async def check_model(self, handle: str | None, setting: str | None) -> tuple[str, str | None]:
        """The model to use, and a note when no provider is connected yet: the agent is made with the handle
        asked for (or LETTA_MCP_DEFAULT_MODEL) and answers once a provider offers it."""
        chosen = handle or self.settings.default_model
        known = [h for h, _ in await self.backend.models()]
        if not known:
            return chosen, (
                f"No model provider is connected to Letta's App Server yet: the agent (model {chosen}) answers once "
                "one is. Connect one with `letta --backend local connect <provider>`; memory works meanwhile."
            )
        if chosen not in known:
            raise InvalidInput(unknown_handle("model", chosen, known, setting))
        return chosen, None

    changeable = ("name", "description", "model", "tags", "context_window_limit", "system", "sleeptime")

    def refuse_unchangeable(self, changes: flows.AgentChanges) -> None:
        _refuse(secrets=changes.secrets)
        self._refuse_reflection(changes.sleeptime)

    async def change_agent(self, agent_id: str, changes: flows.AgentChanges) -> Agent:
        body = changes.given()
        body.pop("sleeptime", None)
        if changes.model is not None:
            body["model"] = (await self.check_model(changes.model, None))[0]
        if changes.sleeptime is not None and not workspace.shared(self.settings):
            await reflection.switch(self, agent_id, on=changes.sleeptime)
        if body:
            updated = (await self.socket.request("agent_update", agent_id=agent_id, body=body))["agent"]
        else:
            updated = await self.agent(agent_id)
        await self.request.resources_updated([agent_uri(agent_id)])
        await self.request.agents_changed(listed=changes.name is not None)
        return detail(updated, await self.memory(agent_id), sleeptime=await reflection.sleeptime(self, agent_id))

    async def delete_agent(self, agent: str) -> Deleted:
        found = await self.agent(agent)
        await self.socket.request("agent_delete", agent_id=found["id"])
        await self.request.agents_changed()
        return Deleted(id=found["id"], name=found.get("name"), what="agent")

    async def list_models(self) -> ModelList:
        return ModelList(
            models=[ModelInfo(handle=h, context_window=w) for h, w in await self.backend.models()], embeddings=[]
        )

    async def agent_context(self, agent: str) -> AgentContext:
        found = await self.agent(agent)
        memory = await self.memory(found["id"])
        blocks = [
            Block(id=f.path, label=f.label, description=f.description, value=f.body, chars=len(f.body)) for f in memory
        ]
        return AgentContext(agent=detail(found, memory), memory=blocks)

    async def agent_names(self, prefix: str) -> list[str]:
        agents = await self.agents()
        ids = [a["id"] for a in agents if a["id"].startswith(prefix)]
        if prefix.startswith("agent-"):
            return ids
        return [a.get("name") or "" for a in agents if (a.get("name") or "").lower().startswith(prefix.lower())] + ids
