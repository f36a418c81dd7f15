"""The `agents` toolset: find, inspect, create, change and delete Letta agents."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from letta_mcp import notify
from letta_mcp.errors import InvalidInput
from letta_mcp.models import Agent, AgentList, AgentSummary, Deleted, ToolRuleOut
from letta_mcp.registry import tool
from letta_mcp.resources import agent_uri
from letta_mcp.state import Ctx, app
from letta_mcp.toolsets._common import (
    AgentRef,
    Cursor,
    Limit,
    block_summary,
    given,
    iso,
    page_cursor,
    resolve_agent,
    scope_tags,
)

_Include = Literal[
    "agent.blocks",
    "agent.identities",
    "agent.managed_group",
    "agent.pending_approval",
    "agent.secrets",
    "agent.sources",
    "agent.tags",
    "agent.tools",
]
_FULL: list[_Include] = ["agent.blocks", "agent.tools", "agent.tags", "agent.secrets"]
# Letta's names for the tool-rule kinds we offer.
_RULE_TYPES = {
    "exit_loop": "exit_loop",
    "run_first": "run_first",
    "continue": "continue_loop",
    "child": "constrain_child_tools",
}
_RULE_NAMES = {v: k for k, v in _RULE_TYPES.items()}


class MemoryBlockIn(BaseModel):
    """A core memory block to create with the agent."""

    label: str = Field(min_length=1, max_length=100, description="Short name, e.g. 'persona', 'human', 'project'.")
    value: str = Field("", max_length=100_000, description="Initial content.")
    description: str | None = Field(
        None, max_length=2_000, description="What belongs in this block: the agent reads it to decide what to store."
    )
    limit: int | None = Field(None, ge=1, le=1_000_000, description="Most characters the block may hold.")


class ToolRuleIn(BaseModel):
    """A constraint on how the agent uses a tool."""

    type: Literal["exit_loop", "run_first", "continue", "child"] = Field(
        description="exit_loop: calling the tool ends the turn; run_first: call it first every turn; "
        "continue: keep going after it; child: after it, only `children` may be called."
    )
    tool: str = Field(min_length=1, max_length=200, description="The tool's name.")
    children: list[str] | None = Field(None, max_length=50, description="For type 'child': the allowed next tools.")


def summary(a: Any) -> AgentSummary:
    return AgentSummary(
        id=a.id, name=a.name, description=a.description or None, model=_model(a), tags=list(a.tags or [])
    )


def _model(a: Any) -> str | None:
    llm = getattr(a, "llm_config", None)
    return getattr(a, "model", None) or (getattr(llm, "handle", None) if llm else None)


def detail(a: Any, existed: bool | None = None) -> Agent:
    blocks = [block_summary(b) for b in (a.blocks or getattr(getattr(a, "memory", None), "blocks", None) or [])]
    rules = []
    for r in a.tool_rules or []:
        kind = str(getattr(r, "type", ""))
        rules.append(
            ToolRuleOut(
                type=_RULE_NAMES.get(kind, kind),
                tool=str(getattr(r, "tool_name", "")),
                children=list(getattr(r, "children", None) or []) or None,
            )
        )
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
        tool_rules=rules,
        blocks=blocks,
        secrets=sorted(s.key for s in (a.secrets or [])),
        sleeptime=bool(a.enable_sleeptime),
        created_at=iso(a.created_at),
        existed=existed,
    )


@tool("agents", "List agents", read_only=True)
async def list_agents(
    ctx: Ctx,
    name: Annotated[str | None, Field(max_length=300, description="Only the agent with exactly this name.")] = None,
    tags: Annotated[list[str] | None, Field(max_length=20, description="Only agents carrying these tags.")] = None,
    match_all_tags: Annotated[bool, Field(description="True: every tag must match; false: any one.")] = False,
    query: Annotated[str | None, Field(max_length=300, description="Free text matched against agent names.")] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> AgentList:
    """List the Letta agents you can use, newest first: id, name, description, model and tags.

    Use it to find an agent's id or exact name before calling any tool that takes `agent`, or to
    check whether "the agent for project X" already exists (filter by tag or name). Results are
    paged: when next_cursor is set, call again with cursor=next_cursor. Next: get_agent for one
    agent's memory blocks and tools, or send_message to talk to it.
    """
    state = app(ctx)
    letta = state.letta
    # Scoped and "any of these tags": Letta cannot combine the two, so ask for the scope and filter here.
    any_of = state.scope_tag is not None and bool(tags) and not match_all_tags
    query_tags = scope_tags(state) if any_of else scope_tags(state, tags)
    page = await letta.agents.list(
        **given(name=name, tags=query_tags, query_text=query, after=cursor),
        match_all_tags=match_all_tags or state.scope_tag is not None,
        limit=limit + 1,
        order="desc",
        include=["agent.tags"],
    )
    items = page.items
    wanted = set(tags or [])
    shown = [a for a in items[:limit] if not any_of or wanted & set(a.tags or [])]
    return AgentList(agents=[summary(a) for a in shown], next_cursor=page_cursor([a.id for a in items], limit))


@tool("agents", "Get an agent", read_only=True)
async def get_agent(ctx: Ctx, agent: AgentRef) -> Agent:
    """Show one agent in full: model, description, tags, attached tools and tool rules, and its core
    memory blocks (label, id, size, limit, description; not their values).

    Use it before changing an agent, or to learn which block labels to read with get_block.
    """
    state = app(ctx)
    letta = state.letta
    agent_id = await resolve_agent(state, agent)
    return detail(await letta.agents.retrieve(agent_id, include=_FULL))


@tool("agents", "Create an agent", read_only=False, idempotent=True)
async def create_agent(
    ctx: Ctx,
    name: Annotated[str, Field(min_length=1, max_length=200, description="A unique, descriptive name.")],
    description: Annotated[str | None, Field(max_length=2_000, description="What the agent is for.")] = None,
    memory_blocks: Annotated[
        list[MemoryBlockIn] | None,
        Field(max_length=20, description="Core memory blocks; describe each so the agent knows what goes there."),
    ] = None,
    model: Annotated[
        str | None, Field(max_length=200, description="Model handle, e.g. 'openai/gpt-4o-mini'; default from settings.")
    ] = None,
    embedding: Annotated[
        str | None, Field(max_length=200, description="Embedding handle for archival memory; default from settings.")
    ] = None,
    tools: Annotated[list[str] | None, Field(max_length=50, description="Names of existing tools to attach.")] = None,
    tool_rules: Annotated[list[ToolRuleIn] | None, Field(max_length=50, description="Constraints on tool use.")] = None,
    tags: Annotated[
        list[str] | None, Field(max_length=20, description="Tags to find it by later, e.g. 'user:alice', 'project:x'.")
    ] = None,
    context_window_limit: Annotated[
        int | None, Field(ge=1_000, le=2_000_000, description="Most tokens of context the agent may use.")
    ] = None,
    sleeptime: Annotated[
        bool, Field(description="Also run a sleep-time agent that reorganises memory between turns.")
    ] = False,
    secrets: Annotated[
        dict[str, str] | None,
        Field(description="Environment variables for the agent's tools (e.g. API keys); never shown back."),
    ] = None,
    unique_by: Annotated[
        Literal["name", "tags", "none"],
        Field(
            description="Return the existing agent instead of creating a second one when an agent with this "
            "name ('name') or with all these tags ('tags') exists; 'none' always creates."
        ),
    ] = "name",
) -> Agent:
    """Create a Letta agent: a persistent assistant with its own memory blocks, history and tools.

    Give each memory block a description: the agent uses it to decide what to remember where.
    Safe to retry: by default an agent with the same name is returned (existed=true) instead of
    creating a duplicate; with unique_by='tags', one carrying all the given tags is (use that for
    "the agent for user X / project Y"). Next: send_message to talk to it, get_block to read its memory.
    """
    state = app(ctx)
    letta = state.letta
    tags = scope_tags(state, tags)
    if unique_by == "tags" and not tags:
        raise InvalidInput("unique_by='tags' needs tags: give the tags that identify this agent.")
    if unique_by != "none":
        query: dict[str, Any] = {"tags": tags, "match_all_tags": True}
        if unique_by == "name":
            query = {"name": name, **given(tags=scope_tags(state)), "match_all_tags": True}
        existing = (await state.letta.agents.list(**query, limit=1)).items
        if existing:
            return detail(await state.letta.agents.retrieve(existing[0].id, include=_FULL), existed=True)
    rules: list[dict[str, Any]] = []
    for rule in tool_rules or []:
        if rule.type == "child" and not rule.children:
            raise InvalidInput(f"The 'child' rule for {rule.tool!r} needs children: the tools allowed after it.")
        entry: dict[str, Any] = {"type": _RULE_TYPES[rule.type], "tool_name": rule.tool}
        if rule.type == "child":
            entry["children"] = rule.children
        rules.append(entry)
    created = await letta.agents.create(
        name=name,
        model=model or state.settings.default_model,
        embedding=embedding or state.settings.default_embedding,
        memory_blocks=[b.model_dump(exclude_none=True) for b in memory_blocks or []],  # type: ignore[misc]
        enable_sleeptime=sleeptime,
        **given(
            description=description,
            tools=tools,
            tool_rules=rules or None,
            tags=tags,
            context_window_limit=context_window_limit,
            secrets=secrets,
        ),
    )
    await notify.resource_list_changed(ctx)
    await state.ask.changed_by_us(ctx)
    return detail(await letta.agents.retrieve(created.id, include=_FULL), existed=False)


@tool("agents", "Update an agent", read_only=False, idempotent=True)
async def update_agent(
    ctx: Ctx,
    agent: AgentRef,
    name: Annotated[str | None, Field(min_length=1, max_length=200, description="New name.")] = None,
    description: Annotated[str | None, Field(max_length=2_000, description="New description.")] = None,
    model: Annotated[str | None, Field(max_length=200, description="New model handle.")] = None,
    tags: Annotated[list[str] | None, Field(max_length=20, description="Replaces all tags.")] = None,
    context_window_limit: Annotated[int | None, Field(ge=1_000, le=2_000_000, description="New context limit.")] = None,
    system: Annotated[str | None, Field(max_length=100_000, description="Replaces the system prompt.")] = None,
    secrets: Annotated[
        dict[str, str] | None, Field(description="Replaces the environment variables of its tools.")
    ] = None,
) -> Agent:
    """Change an agent's name, description, model, tags, context limit, system prompt or tool secrets.

    Only what you pass changes. Memory blocks change with update_block / edit_block, tools with
    attach_tool / detach_tool. Returns the agent as it is afterwards.
    """
    state = app(ctx)
    letta = state.letta
    changes = given(
        name=name,
        description=description,
        model=model,
        tags=scope_tags(app(ctx), tags) if tags is not None else None,
        context_window_limit=context_window_limit,
        system=system,
        secrets=secrets,
    )
    if not changes:
        raise InvalidInput(
            "Nothing to change: pass at least one of name, description, model, tags, "
            "context_window_limit, system, secrets."
        )
    agent_id = await resolve_agent(app(ctx), agent)
    await letta.agents.update(agent_id, **changes)
    await notify.resources_updated(ctx, [agent_uri(agent_id)])
    if name is not None:
        await notify.resource_list_changed(ctx)
    await app(ctx).ask.changed_by_us(ctx)
    return detail(await letta.agents.retrieve(agent_id, include=_FULL))


@tool("agents", "Delete an agent", read_only=False, destructive=True, idempotent=False)
async def delete_agent(ctx: Ctx, agent: AgentRef) -> Deleted:
    """Delete an agent for good, with its history and its own (unshared) memory blocks. Cannot be undone.

    Shared blocks attached to other agents survive. Call get_agent first if unsure it is the right one.
    """
    state = app(ctx)
    agent_id = await resolve_agent(state, agent)
    found = await state.letta.agents.retrieve(agent_id)
    await state.letta.agents.delete(agent_id)
    await notify.resource_list_changed(ctx)
    await state.ask.changed_by_us(ctx)
    return Deleted(id=agent_id, name=found.name, what="agent")


TOOLS = [list_agents, get_agent, create_agent, update_agent, delete_agent]
