"""letta:// resources: agents and their memory as context a client can attach without a tool call.

- ``letta://agents`` (and ``letta://agents?cursor=…`` for further pages): the agents the caller sees.
- ``letta://agents/{agent_id}``: one agent with its memory blocks (descriptions and values).
- ``letta://agents/{agent_id}/blocks/{label}``: one block's value, as text.
- ``letta://blocks/{block_id}``: a standalone or shared block's value, as text.

Plus argument completion for agent ids/names, block labels and block ids. Every read goes through the
backend's toolsets (`Agents.agent_context`, `Memory.block_text`, …), so resources work on every backend.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.types import Completion, CompletionArgument, CompletionContext, PromptReference, ResourceTemplateReference
from pydantic import BaseModel

from letta_mcp.core import errors
from letta_mcp.core.models import fit
from letta_mcp.core.state import AppContext, RequestState, app
from letta_mcp.core.uris import AGENTS_URI, agent_uri, block_uri
from letta_mcp.core.visibility import allowed
from letta_mcp.server.context import Ctx
from letta_mcp.toolsets.agents import Agents
from letta_mcp.toolsets.memory import Memory

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

T = TypeVar("T")
PAGE = 50


def may(request: RequestState, tool: str) -> bool:
    """A resource, a completion or a subscription gives what a tool would: only to a caller who may call it."""
    return allowed(tool, request.settings, request.caller, request.backend)


async def _guard(request: RequestState, uri: str, read: Callable[[], Awaitable[T]], tool: str) -> T:
    """Failures as resource errors: not-found as -32602 with what to do, the rest worded as for tools. A caller
    who may not call `tool` (the one that reads the same) gets what a missing resource gets."""
    if not may(request, tool):
        raise ResourceNotFoundError(f"Unknown resource {uri}.")
    try:
        return await read()
    except errors.NotFound as exc:
        raise ResourceNotFoundError(str(exc)) from None
    except ResourceError:
        raise
    except Exception as exc:  # noqa: BLE001 — translated into a message the client can act on
        translated = errors.translate(
            exc, tool=uri, write=False, secrets=request.secrets(), describe=request.backend.describe
        )
        if isinstance(translated, errors.NotFound):
            raise ResourceNotFoundError(f"Unknown resource {uri}: {translated}") from None
        raise ResourceError(str(translated)) from None


def _json(model: BaseModel, request: RequestState) -> str:
    return fit(model, request.settings.max_result_chars).model_dump_json(exclude_none=True, indent=1)


async def agents_index(ctx: Ctx, cursor: str = "") -> str:
    request = app(ctx)

    async def read() -> str:
        page = await request.use(Agents).list_agents(limit=PAGE, cursor=cursor or None)
        return _json(page, request)

    return await _guard(request, AGENTS_URI, read, "list_agents")


async def agent_resource(ctx: Ctx, agent_id: str) -> str:
    request = app(ctx)

    async def read() -> str:
        return _json(await request.use(Agents).agent_context(agent_id), request)

    return await _guard(request, agent_uri(agent_id), read, "get_agent")


async def agent_block(ctx: Ctx, agent_id: str, label: str) -> str:
    request = app(ctx)

    async def read() -> str:
        text: str = await request.use(Memory).block_text(agent_id, label, None)
        return text

    return await _guard(request, f"{agent_uri(agent_id)}/blocks/{label}", read, "get_block")


async def block_resource(ctx: Ctx, block_id: str) -> str:
    request = app(ctx)

    async def read() -> str:
        text: str = await request.use(Memory).block_text(None, None, block_id)
        return text

    return await _guard(request, block_uri(block_id), read, "get_block")


async def readable(request: RequestState, uri: str) -> bool:
    """Whether this caller could read `uri` now: what a subscription to it is allowed on (its updates say
    when another caller changes it, so they are as private as what it holds)."""
    from urllib.parse import unquote

    path = uri.removeprefix("letta://")
    parts = path.split("?", 1)[0].split("/")
    try:
        if parts == ["agents"]:
            return may(request, "list_agents")
        if len(parts) == 2 and parts[0] == "agents" and may(request, "get_agent"):
            await request.use(Agents).agent_context(unquote(parts[1]))
            return True
        if len(parts) == 4 and parts[0] == "agents" and parts[2] == "blocks" and may(request, "get_block"):
            await request.use(Memory).block_text(unquote(parts[1]), unquote(parts[3]), None)
            return True
        if len(parts) == 2 and parts[0] == "blocks" and may(request, "get_block"):
            await request.use(Memory).block_text(None, None, unquote(parts[1]))
            return True
    except Exception:  # noqa: BLE001 — missing, out of scope or unreachable: not subscribed, never leaked
        return False
    return False


RESOURCES: tuple[tuple[Callable[..., Awaitable[str]], dict[str, Any]], ...] = (
    (
        agents_index,
        {
            "uri": "letta://agents{?cursor}",
            "name": "agents",
            "title": "Letta agents",
            "mime_type": "application/json",
            "description": "The Letta agents you can use: id, name, description, model, tags. Paged: when "
            "next_cursor is set, read letta://agents?cursor=<next_cursor>.",
        },
    ),
    (
        agent_resource,
        {
            "uri": "letta://agents/{agent_id}",
            "name": "agent",
            "title": "A Letta agent and its memory",
            "mime_type": "application/json",
            "description": "One agent (by id or exact name): model, description, tags, tools, and every core memory "
            "block with its description and value.",
        },
    ),
    (
        agent_block,
        {
            "uri": "letta://agents/{agent_id}/blocks/{label}",
            "name": "agent-block",
            "title": "An agent's memory block",
            "mime_type": "text/plain",
            "description": "The value of one core memory block of an agent (by agent id or name).",
        },
    ),
    (
        block_resource,
        {
            "uri": "letta://blocks/{block_id}",
            "name": "block",
            "title": "A memory block",
            "mime_type": "text/plain",
            "description": "The value of a memory block by id: standalone, shared between agents, or an agent's own.",
        },
    ),
)
"""Each resource (template) and how it is listed."""


def register_resources(server: MCPServer[AppContext]) -> None:
    for read, listing in RESOURCES:
        options = dict(listing)
        server.resource(options.pop("uri"), **options)(read)


async def complete(
    request: RequestState,
    ref: PromptReference | ResourceTemplateReference,
    argument: CompletionArgument,
    context: CompletionContext | None,
) -> Completion:
    """Suggestions for agent ids/names, block labels and block ids, from what Letta holds."""
    value = argument.value.strip()
    values: list[str] = []
    if argument.name in ("agent_id", "agent") and may(request, "list_agents"):
        values = await request.use(Agents).agent_names(value)
    elif argument.name == "label" and may(request, "list_blocks"):
        agent = (context.arguments or {}).get("agent_id") if context else None
        if agent:
            try:
                values = await request.use(Memory).labels(agent, value)
            except Exception:  # noqa: BLE001 — no suggestions for an agent that does not resolve
                return Completion(values=[])
    elif argument.name == "block_id" and may(request, "get_block"):
        values = await request.use(Memory).block_ids(value)
    unique = list(dict.fromkeys(v for v in values if v))
    return Completion(values=unique[:100], total=len(unique), has_more=len(unique) > 100)


__all__ = ["complete", "may", "readable", "register_resources"]
