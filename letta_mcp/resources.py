"""letta:// resources: agents and their memory as context a client can attach without a tool call.

- ``letta://agents`` (and ``letta://agents?cursor=…`` for further pages): the agents the caller sees.
- ``letta://agents/{agent_id}``: one agent with its memory blocks (descriptions and values).
- ``letta://agents/{agent_id}/blocks/{label}``: one block's value, as text.
- ``letta://blocks/{block_id}``: a standalone or shared block's value, as text.

Plus argument completion for agent ids/names, block labels and block ids.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.types import Completion, CompletionArgument, CompletionContext, PromptReference, ResourceTemplateReference
from pydantic import BaseModel

from letta_mcp import errors
from letta_mcp.models import AgentContext, Block, fit
from letta_mcp.state import AppContext, Ctx, RequestState, app

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

T = TypeVar("T")
AGENTS_URI = "letta://agents"
PAGE = 50


def agent_uri(agent_id: str) -> str:
    return f"letta://agents/{agent_id}"


def block_uris(block_id: str, agent_ids: list[str], label: str) -> list[str]:
    """Every URI under which a block can be read."""
    return [f"letta://blocks/{block_id}", *(f"{agent_uri(a)}/blocks/{quote(label, safe='')}" for a in agent_ids)]


async def _guard(state: RequestState, uri: str, read: Callable[[], Awaitable[T]]) -> T:
    """Letta failures as resource errors: not-found as -32602 with what to do, the rest translated."""
    import letta_client as lc

    try:
        return await read()
    except errors.NotFound as exc:
        raise ResourceNotFoundError(str(exc)) from None
    except lc.NotFoundError:
        raise ResourceNotFoundError(f"Unknown resource {uri}: Letta has no such agent or block.") from None
    except ResourceError:
        raise
    except Exception as exc:  # noqa: BLE001 — translated into a message the client can act on
        translated = errors.translate(
            exc, tool=uri, base_url=state.settings.base_url, write=False, secrets=state.secrets()
        )
        raise ResourceError(str(translated)) from None


def _json(model: BaseModel, state: RequestState) -> str:
    return fit(model, state.settings.max_result_chars).model_dump_json(exclude_none=True, indent=1)


def register_resources(server: MCPServer[AppContext]) -> None:
    from letta_mcp.models import AgentList
    from letta_mcp.toolsets._common import check_block_scope, given, page_cursor, resolve_agent, scope_tags
    from letta_mcp.toolsets.agents import detail, summary

    @server.resource(
        "letta://agents{?cursor}",
        name="agents",
        title="Letta agents",
        mime_type="application/json",
        description="The Letta agents you can use: id, name, description, model, tags. Paged: when next_cursor is "
        "set, read letta://agents?cursor=<next_cursor>.",
    )
    async def agents_index(ctx: Ctx, cursor: str = "") -> str:
        state = app(ctx)

        async def read() -> str:
            page = await state.letta.agents.list(
                limit=PAGE + 1,
                order="desc",
                include=["agent.tags"],
                match_all_tags=True,
                **given(after=cursor or None, tags=scope_tags(state)),
            )
            items = page.items
            result = AgentList(
                agents=[summary(a) for a in items[:PAGE]], next_cursor=page_cursor([a.id for a in items], PAGE)
            )
            return _json(result, state)

        return await _guard(state, AGENTS_URI, read)

    @server.resource(
        "letta://agents/{agent_id}",
        name="agent",
        title="A Letta agent and its memory",
        mime_type="application/json",
        description="One agent (by id or exact name): model, description, tags, tools, and every core memory block "
        "with its description and value.",
    )
    async def agent_resource(ctx: Ctx, agent_id: str) -> str:
        state = app(ctx)

        async def read() -> str:
            resolved = await resolve_agent(state, agent_id)
            a = await state.letta.agents.retrieve(resolved, include=["agent.blocks", "agent.tools", "agent.tags"])
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
            return _json(AgentContext(agent=detail(a), memory=memory), state)

        return await _guard(state, agent_uri(agent_id), read)

    @server.resource(
        "letta://agents/{agent_id}/blocks/{label}",
        name="agent-block",
        title="An agent's memory block",
        mime_type="text/plain",
        description="The value of one core memory block of an agent (by agent id or name).",
    )
    async def agent_block(ctx: Ctx, agent_id: str, label: str) -> str:
        state = app(ctx)

        async def read() -> str:
            import letta_client as lc

            resolved = await resolve_agent(state, agent_id)
            try:
                block = await state.letta.agents.blocks.retrieve(label, agent_id=resolved)
            except lc.NotFoundError:
                raise errors.NotFound(
                    f"Agent {agent_id!r} has no block labelled {label!r}: read "
                    f"letta://agents/{agent_id} to see its labels."
                ) from None
            return str(block.value or "")

        return await _guard(state, f"{agent_uri(agent_id)}/blocks/{label}", read)

    @server.resource(
        "letta://blocks/{block_id}",
        name="block",
        title="A memory block",
        mime_type="text/plain",
        description="The value of a memory block by id: standalone, shared between agents, or an agent's own.",
    )
    async def block_resource(ctx: Ctx, block_id: str) -> str:
        state = app(ctx)

        async def read() -> str:
            await check_block_scope(state, block_id)
            return str((await state.letta.blocks.retrieve(block_id)).value or "")

        return await _guard(state, f"letta://blocks/{block_id}", read)


async def complete(
    state: RequestState,
    ref: PromptReference | ResourceTemplateReference,
    argument: CompletionArgument,
    context: CompletionContext | None,
) -> Completion:
    """Suggestions for agent ids/names, block labels and block ids, from what Letta holds."""
    from letta_mcp.toolsets._common import given, resolve_agent, scope_tags

    value = argument.value.strip()
    letta = state.letta
    values: list[str] = []
    if argument.name in ("agent_id", "agent"):
        # Names are matched by Letta; an id prefix is matched here, among the newest agents.
        by_id = value.startswith("agent-")
        query = given(query_text=None if by_id else value or None, tags=scope_tags(state))
        agents = (await letta.agents.list(limit=100, order="desc", **query)).items
        names = [a.name for a in agents if a.name.lower().startswith(value.lower())]
        ids = [a.id for a in agents if a.id.startswith(value)]
        values = ids if by_id else names + ids
    elif argument.name == "label":
        agent = (context.arguments or {}).get("agent_id") if context else None
        if agent:
            try:
                agent_id = await resolve_agent(state, agent)
                blocks = (await letta.agents.blocks.list(agent_id, limit=100)).items
            except Exception:  # noqa: BLE001 — no suggestions for an agent that does not resolve
                return Completion(values=[])
            values = [b.label or "" for b in blocks if (b.label or "").startswith(value)]
    elif argument.name == "block_id" and state.scope_tag is None:
        standalone = (await letta.blocks.list(limit=100)).items
        values = [b.id or "" for b in standalone if (b.id or "").startswith(value)]
    unique = list(dict.fromkeys(v for v in values if v))
    return Completion(values=unique[:100], total=len(unique), has_more=len(unique) > 100)


__all__ = ["AGENTS_URI", "agent_uri", "block_uris", "complete", "register_resources"]
