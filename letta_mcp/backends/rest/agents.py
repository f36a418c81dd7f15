"""The `agents` toolset on Letta's REST API."""

from __future__ import annotations

from typing import Any, Literal

from letta_mcp.backends import flows
from letta_mcp.backends.rest._base import RestBase, block_summary, given, iso, page_cursor
from letta_mcp.core.errors import InvalidInput
from letta_mcp.core.models import (
    Agent,
    AgentContext,
    AgentList,
    AgentSummary,
    Block,
    Deleted,
    ModelInfo,
    ModelList,
    ToolRuleOut,
)
from letta_mcp.core.uris import agent_uri
from letta_mcp.toolsets.agents import Agents, ToolRuleIn, unknown_handle

Include = Literal[
    "agent.blocks",
    "agent.identities",
    "agent.managed_group",
    "agent.pending_approval",
    "agent.secrets",
    "agent.sources",
    "agent.tags",
    "agent.tools",
]
FULL: list[Include] = ["agent.blocks", "agent.tools", "agent.tags", "agent.secrets"]
# Letta's names for the tool-rule kinds we offer.
_RULE_TYPES = {
    "exit_loop": "exit_loop",
    "run_first": "run_first",
    "continue": "continue_loop",
    "child": "constrain_child_tools",
}
_RULE_NAMES = {v: k for k, v in _RULE_TYPES.items()}


def summary(a: Any) -> AgentSummary:
    return AgentSummary(
        id=a.id, name=a.name, description=a.description or None, model=_model(a), tags=list(a.tags or [])
    )


def _model(a: Any) -> str | None:
    llm = getattr(a, "llm_config", None)
    return getattr(a, "model", None) or (getattr(llm, "handle", None) if llm else None)


def _rule_out(r: Any) -> ToolRuleOut:
    kind = str(getattr(r, "type", ""))
    return ToolRuleOut(
        type=_RULE_NAMES.get(kind, kind),
        tool=str(getattr(r, "tool_name", "")),
        children=list(getattr(r, "children", None) or []) or None,
    )


def blocks_of(a: Any) -> list[Any]:
    return list(a.blocks or getattr(getattr(a, "memory", None), "blocks", None) or [])


def detail(a: Any, existed: bool | None = None) -> Agent:
    llm = getattr(a, "llm_config", None)
    emb = getattr(a, "embedding_config", None)
    return Agent(
        id=a.id,
        name=a.name,
        description=a.description or None,
        model=_model(a),
        embedding=getattr(a, "embedding", None) or (getattr(emb, "handle", None) if emb else None),
        context_window=getattr(llm, "context_window", None) if llm else None,
        tags=list(a.tags or []),
        tools=sorted(t.name for t in (a.tools or []) if t.name),
        tool_rules=[_rule_out(r) for r in a.tool_rules or []],
        blocks=[block_summary(b) for b in blocks_of(a)],
        secrets=sorted(s.key for s in (a.secrets or [])),
        sleeptime=bool(a.enable_sleeptime),
        created_at=iso(a.created_at),
        existed=existed,
    )


def rules_in(tool_rules: list[ToolRuleIn] | None) -> list[dict[str, Any]]:
    """Our tool rules as Letta's, checked before anything is sent."""
    rules: list[dict[str, Any]] = []
    for rule in tool_rules or []:
        if rule.type == "child" and not rule.children:
            raise InvalidInput(f"The 'child' rule for {rule.tool!r} needs children: the tools allowed after it.")
        entry: dict[str, Any] = {"type": _RULE_TYPES[rule.type], "tool_name": rule.tool}
        if rule.type == "child":
            entry["children"] = rule.children
        rules.append(entry)
    return rules


class RestAgents(RestBase, flows.ListsAgents, flows.CreatesAgents, flows.UpdatesAgents, Agents):
    async def agents_page(self, query: flows.AgentQuery, limit: int, cursor: str | None) -> AgentList:
        # Scoped and "any of these tags": Letta cannot combine the two, so ask for the scope and filter here.
        any_of = self.scope is not None and bool(query.tags) and not query.match_all_tags
        query_tags = self.with_scope() if any_of else self.with_scope(query.tags)
        page = await self.letta.agents.list(
            **given(name=query.name, tags=query_tags, query_text=query.query, after=cursor),
            match_all_tags=query.match_all_tags or self.scope is not None,
            limit=limit + 1,
            order="desc",
            include=["agent.tags"],
        )
        items = page.items
        shown = [a for a in items[:limit] if (not any_of or query.has_tags(a.tags)) and self.holds(a.tags)]
        return AgentList(agents=[summary(a) for a in shown], next_cursor=page_cursor([a.id for a in items], limit))

    async def get_agent(self, agent: str) -> Agent:
        agent_id = await self.resolve_agent(agent)
        return detail(await self.letta.agents.retrieve(agent_id, include=FULL))

    def refuse_unmade(self, draft: flows.AgentDraft) -> None:
        self.refuse_foreign(draft.tags)
        self.refuse_multi_agent(draft.tools)

    async def make_agent(self, draft: flows.AgentDraft) -> Agent:
        rules = rules_in(draft.tool_rules)
        model = await self.check_handle("model", draft.model, "LETTA_MCP_DEFAULT_MODEL")
        embedding = await self.check_handle("embedding", draft.embedding, "LETTA_MCP_DEFAULT_EMBEDDING")
        created = await self.letta.agents.create(
            name=draft.name,
            model=model,
            embedding=embedding,
            memory_blocks=[b.model_dump(exclude_none=True) for b in draft.memory_blocks],  # type: ignore[misc]
            enable_sleeptime=draft.sleeptime,
            **given(
                description=draft.description,
                tools=draft.tools,
                tool_rules=rules or None,
                tags=draft.tags,
                context_window_limit=draft.context_window_limit,
                secrets=draft.secrets,
            ),
        )
        await self.request.agents_changed()
        return detail(await self.letta.agents.retrieve(created.id, include=FULL), existed=False)

    async def existing_agent(self, draft: flows.AgentDraft, unique_by: flows.MatchBy) -> Agent | None:
        query: dict[str, Any] = {"tags": draft.tags, "match_all_tags": True}
        if unique_by == "name":
            query = {"name": draft.name, **given(tags=self.with_scope()), "match_all_tags": True}
        # Never another scope's agent (one that carries another scope's tag beside ours).
        found = [
            a
            for a in (await self.letta.agents.list(**query, limit=10, include=["agent.tags"])).items
            if self.holds(a.tags)
        ]
        if not found:
            return None
        return detail(await self.letta.agents.retrieve(found[0].id, include=FULL), existed=True)

    changeable = ("name", "description", "model", "tags", "context_window_limit", "system", "secrets", "sleeptime")

    def refuse_unchangeable(self, changes: flows.AgentChanges) -> None:
        self.refuse_foreign(changes.tags)

    async def change_agent(self, agent_id: str, changes: flows.AgentChanges) -> Agent:
        if changes.model is not None:
            await self.check_handle("model", changes.model, None)
        body = changes.given()
        if "sleeptime" in body:
            body["enable_sleeptime"] = body.pop("sleeptime")
        await self.letta.agents.update(agent_id, **body)
        await self.request.resources_updated([agent_uri(agent_id)])
        await self.request.agents_changed(listed=changes.name is not None)
        return detail(await self.letta.agents.retrieve(agent_id, include=FULL))

    async def delete_agent(self, agent: str) -> Deleted:
        agent_id = await self.resolve_agent(agent)
        found = await self.letta.agents.retrieve(agent_id)
        await self.letta.agents.delete(agent_id)
        await self.request.agents_changed()
        return Deleted(id=agent_id, name=found.name, what="agent")

    async def list_models(self) -> ModelList:
        llms, embeddings = await self.backend.handles(self.letta)
        return ModelList(
            models=[ModelInfo(handle=h, context_window=w) for h, w in llms],
            embeddings=[ModelInfo(handle=h, context_window=w) for h, w in embeddings],
        )

    async def check_handle(self, kind: Literal["model", "embedding"], handle: str | None, setting: str | None) -> str:
        """`handle`, or the default from settings, once this Letta is known to offer it."""
        default = self.settings.default_model if kind == "model" else self.settings.default_embedding
        chosen = handle or default
        llms, embeddings = await self.backend.handles(self.letta)
        known = [h for h, _ in (llms if kind == "model" else embeddings)]
        if chosen not in known:
            raise InvalidInput(unknown_handle(kind, chosen, known, setting if handle is None else None))
        return chosen

    async def agent_context(self, agent: str) -> AgentContext:
        agent_id = await self.resolve_agent(agent)
        a = await self.letta.agents.retrieve(agent_id, include=["agent.blocks", "agent.tools", "agent.tags"])
        memory = [
            Block(
                id=b.id or "",
                label=b.label or "",
                description=b.description or None,
                value=b.value or "",
                chars=len(b.value or ""),
                limit=b.limit,
                read_only=bool(b.read_only),
            )
            for b in a.blocks or []
        ]
        return AgentContext(agent=detail(a), memory=memory)

    async def agent_names(self, prefix: str) -> list[str]:
        # Names are matched by Letta; an id prefix is matched here, among the newest agents.
        by_id = prefix.startswith("agent-")
        query = given(query_text=None if by_id else prefix or None, tags=self.with_scope())
        listed = (await self.letta.agents.list(limit=100, order="desc", include=["agent.tags"], **query)).items
        agents = [a for a in listed if self.holds(a.tags)]
        ids = [a.id for a in agents if a.id.startswith(prefix)]
        if by_id:
            return ids
        return [a.name for a in agents if a.name.lower().startswith(prefix.lower())] + ids
