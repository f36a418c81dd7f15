"""The `tools` toolset: Letta tools — list them, create them from Python source, attach them to agents."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from letta_mcp.errors import InvalidInput, NotFound
from letta_mcp.models import Attachment, ToolInfo, ToolList
from letta_mcp.registry import tool
from letta_mcp.state import Ctx, app
from letta_mcp.toolsets._common import AgentRef, Cursor, Limit, given, looks_like_id, page_cursor, resolve_agent

if TYPE_CHECKING:
    from letta_client import AsyncLetta

ToolRef = Annotated[str, Field(min_length=1, max_length=200, description="The tool: its id (tool-…) or its name.")]


def info(t: Any) -> ToolInfo:
    description = (t.description or "").strip()
    return ToolInfo(
        id=t.id or "",
        name=t.name or "",
        description=description.split("\n\n")[0][:300] or None,
        tags=list(t.tags or []),
        type=str(t.tool_type) if t.tool_type else None,
    )


def check_source(source: str) -> str:
    """The tool function's name, or an error a model can fix, before Letta ever sees the code."""
    try:
        module = ast.parse(source)
    except SyntaxError as exc:
        raise InvalidInput(
            f"Python syntax error at line {exc.lineno}: {exc.msg}. Fix the source and call again."
        ) from None
    functions = [n for n in module.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if not functions:
        raise InvalidInput("The source defines no top-level function: a tool is one Python function.")
    fn = functions[-1]
    if not ast.get_docstring(fn):
        raise InvalidInput(
            f"Function {fn.name!r} has no docstring: Letta builds the tool's description and argument "
            "schema from it (a summary line, then 'Args:' with one line per argument, and 'Returns:')."
        )
    return fn.name


async def _resolve_tool(letta: AsyncLetta, ref: str) -> Any:
    ref = ref.strip()
    if looks_like_id(ref, "tool"):
        return await letta.tools.retrieve(ref)
    found = (await letta.tools.list(name=ref, limit=2)).items
    if not found:
        raise NotFound(f"No tool named {ref!r}. Call list_tools to see the tools.")
    return found[0]


async def _tool_names(letta: AsyncLetta, agent_id: str) -> list[str]:
    page = await letta.agents.tools.list(agent_id, limit=200)
    return sorted(t.name or "" for t in page.items)


@tool("tools", "List tools", read_only=True)
async def list_tools(
    ctx: Ctx,
    agent: Annotated[
        str | None, Field(max_length=300, description="Only the tools attached to this agent (id or name).")
    ] = None,
    search: Annotated[str | None, Field(max_length=200, description="Text to match in tool names.")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ToolList:
    """List the tools on the Letta server (or those attached to one agent): id, name, a one-line
    description, tags and type. Next: attach_tool to give one to an agent.
    """
    state = app(ctx)
    letta = state.letta
    if agent:
        agent_id = await resolve_agent(state, agent)
        page = await letta.agents.tools.list(agent_id, limit=limit + 1, **given(after=cursor))
        items = [t for t in page.items if not search or search.lower() in (t.name or "").lower()]
    else:
        page = await letta.tools.list(limit=limit + 1, **given(after=cursor, search=search))
        items = page.items
    return ToolList(
        tools=[info(t) for t in items[:limit]], next_cursor=page_cursor([t.id or "" for t in page.items], limit)
    )


@tool("tools", "Create a tool from Python", read_only=False, idempotent=True, open_world=True)
async def create_tool(
    ctx: Ctx,
    source_code: Annotated[
        str, Field(min_length=1, max_length=100_000, description="One Python function, with a Google-style docstring.")
    ],
    tags: Annotated[list[str] | None, Field(max_length=20, description="Tags for the tool.")] = None,
    attach_to: Annotated[
        str | None, Field(max_length=300, description="An agent (id or name) to attach it to right away.")
    ] = None,
) -> ToolInfo:
    """Create (or update, if one with the same function name exists) a Letta tool from Python source.

    The source is one function; its docstring is the tool's description and documents each
    argument (Google style: a summary, 'Args:', 'Returns:'). It runs in Letta's sandbox when an
    agent calls it: import inside the function. Syntax errors and a missing docstring are reported
    before anything is sent. Next: attach_tool (or pass attach_to).
    """
    state = app(ctx)
    check_source(source_code)
    agent_id = await resolve_agent(state, attach_to) if attach_to else None
    created = await state.letta.tools.upsert(source_code=source_code, **given(tags=tags))
    if agent_id:
        await state.letta.agents.tools.attach(created.id or "", agent_id=agent_id)
    return info(created)


@tool("tools", "Attach a tool to an agent", read_only=False, idempotent=True)
async def attach_tool(ctx: Ctx, agent: AgentRef, tool: ToolRef) -> Attachment:
    """Give an agent a tool (by name or id) so it can call it from its next turn on.

    Letta does not confirm attachments itself, so the result lists the agent's tools as read back
    after the change.
    """
    state = app(ctx)
    agent_id = await resolve_agent(state, agent)
    found = await _resolve_tool(state.letta, tool)
    before = await _tool_names(state.letta, agent_id)
    if found.name in before:
        return Attachment(agent_id=agent_id, attached=before, changed=False)
    await state.letta.agents.tools.attach(found.id or "", agent_id=agent_id)
    after = await _tool_names(state.letta, agent_id)
    if found.name not in after:
        raise InvalidInput(f"Letta accepted the request but {found.name!r} is not among the agent's tools afterwards.")
    return Attachment(agent_id=agent_id, attached=after, changed=True)


@tool("tools", "Detach a tool from an agent", read_only=False, destructive=True, idempotent=True)
async def detach_tool(ctx: Ctx, agent: AgentRef, tool: ToolRef) -> Attachment:
    """Take a tool (by name or id) away from an agent. The tool stays on the server for other agents."""
    state = app(ctx)
    agent_id = await resolve_agent(state, agent)
    found = await _resolve_tool(state.letta, tool)
    before = await _tool_names(state.letta, agent_id)
    if found.name not in before:
        return Attachment(agent_id=agent_id, attached=before, changed=False)
    await state.letta.agents.tools.detach(found.id or "", agent_id=agent_id)
    after = await _tool_names(state.letta, agent_id)
    if found.name in after:
        raise InvalidInput(f"Letta accepted the request but {found.name!r} is still attached afterwards.")
    return Attachment(agent_id=agent_id, attached=after, changed=True)


TOOLS = [list_tools, create_tool, attach_tool, detach_tool]
