"""The `ask` toolset: chosen Letta agents as MCP tools of their own (`ask_<slug>`).

An agent is exposed when it carries the expose tag (``LETTA_MCP_EXPOSE_TAG``) or is named in
``LETTA_MCP_EXPOSE_AGENTS``. The set follows Letta: it is read again when tools are listed (cached for
``LETTA_MCP_ASK_CACHE_SECONDS``), and this server announces `tools/list_changed` when one of its own
tools changes it. Each caller sees the agents their own credentials can see.

The first listing of a process never waits for Letta (that would cost a cold start the import of the
Letta client and a round trip): it lists the fixed tools, looks the agents up right after, and
announces `tools/list_changed` when it finds some. Over stateless HTTP, where no notification can
follow, the first listing waits instead.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import anyio
from mcp.server.mcpserver.tools import Tool
from mcp.types import Tool as MCPTool
from mcp.types import ToolAnnotations
from pydantic import Field

from letta_mcp.models import Reply
from letta_mcp.registry import ToolSpec, wrap
from letta_mcp.schema import compact, shallow
from letta_mcp.state import Ctx, app
from letta_mcp.toolsets._common import given, scope_tags

if TYPE_CHECKING:
    from letta_mcp.config import Settings
    from letta_mcp.state import RequestState

logger = logging.getLogger(__name__)

PREFIX = "ask_"
MAX_NAME = 48
"""Clients prefix tool names (Claude Code: `mcp__letta__`) and models accept at most 64 characters."""
MAX_EXPOSED = 200
DESCRIPTION_CHARS = 700

Message = Annotated[
    str, Field(min_length=1, max_length=100_000, description="Your message: only the new one, the agent remembers.")
]
IncludeReasoning = Annotated[bool, Field(description="Also return the agent's reasoning.")]
IncludeToolCalls = Annotated[bool, Field(description="Also return its tool calls and their results.")]
Wait = Annotated[
    float | None,
    Field(
        ge=0,
        le=600,
        description="Seconds to wait before returning a run to fetch with get_run; default LETTA_MCP_WAIT_SECONDS.",
    ),
]


@dataclass(frozen=True)
class Exposed:
    """One agent exposed as a tool."""

    agent_id: str
    agent_name: str
    tool_name: str
    description: str


def slugify(name: str) -> str:
    """A stable, lower-case tool-name piece from any agent name (unicode folded to ASCII where it can be)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_")
    if not slug:
        slug = "agent_" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return slug[: MAX_NAME - len(PREFIX)].rstrip("_")


def tool_names(agents: list[tuple[str, str, str]]) -> dict[str, str]:
    """Agent id → tool name, distinct even when names slug alike.

    `agents` holds (id, name, created) tuples. The oldest agent of a slug keeps the plain name, so an
    agent's tool name does not change when a look-alike appears later; the others get a suffix from
    their id, which is stable too.
    """
    by_slug: dict[str, list[tuple[str, str, str]]] = {}
    for agent in agents:
        by_slug.setdefault(slugify(agent[1]), []).append(agent)
    names: dict[str, str] = {}
    for slug, group in by_slug.items():
        group.sort(key=lambda a: (a[2], a[0]))
        for i, (agent_id, _, _) in enumerate(group):
            if i == 0:
                names[agent_id] = PREFIX + slug
            else:
                suffix = "_" + hashlib.sha256(agent_id.encode()).hexdigest()[:6]
                names[agent_id] = PREFIX + slug[: MAX_NAME - len(PREFIX) - len(suffix)] + suffix
    return names


def describe(agent: Any) -> str:
    """The agent's own description, else its persona, plus what calling the tool does."""
    own = (agent.description or "").strip()
    if not own:
        blocks = agent.blocks or getattr(getattr(agent, "memory", None), "blocks", None) or []
        persona = next((b.value for b in blocks if b.label == "persona" and b.value), "")
        own = (
            f"Letta agent {agent.name!r}. Its persona: {persona.strip()}" if persona else f"Letta agent {agent.name!r}."
        )
    own = own[: DESCRIPTION_CHARS - 3] + "…" if len(own) > DESCRIPTION_CHARS else own
    return (
        f"{own}\n\nCalling this sends your message to the Letta agent {agent.name!r} and returns its reply; it "
        "remembers earlier conversations, so send only the new message. If it is still working at the deadline "
        "you get status='running' and a run_id: collect the reply with get_run."
    )


async def discover(state: RequestState) -> list[Exposed]:
    """The agents these settings expose, as this caller's credentials and scope see them."""
    letta, settings, scope = state.letta, state.settings, state.scope_tag
    found: dict[str, Any] = {}
    include: Any = ["agent.tags", "agent.blocks"]
    after: str | None = None
    while len(found) < MAX_EXPOSED:
        tags = [settings.expose_tag, *([scope] if scope else [])]
        page = await letta.agents.list(tags=tags, match_all_tags=True, limit=100, include=include, **given(after=after))
        for a in page.items:
            found[a.id] = a
        if len(page.items) < 100:
            break
        after = page.items[-1].id
    for ref in settings.expose_agents:
        if ref.startswith("agent-"):
            try:
                a = await letta.agents.retrieve(ref, include=include)
            except Exception:  # noqa: BLE001 — a configured agent that is gone is skipped, and said
                logger.warning("LETTA_MCP_EXPOSE_AGENTS names %s, which Letta does not have", ref)
                continue
            if scope is None or scope in (a.tags or []):
                found[a.id] = a
        else:
            matches = (
                await letta.agents.list(name=ref, limit=5, include=include, **given(tags=scope_tags(state)))
            ).items
            if not matches:
                logger.warning("LETTA_MCP_EXPOSE_AGENTS names %r, which Letta does not have", ref)
            for a in matches:
                found[a.id] = a
    agents = list(found.values())[:MAX_EXPOSED]
    names = tool_names([(a.id, a.name, str(a.created_at or "")) for a in agents])
    return sorted((Exposed(a.id, a.name, names[a.id], describe(a)) for a in agents), key=lambda e: e.tool_name)


def _bound(agent_id: str) -> Callable[..., Any]:
    async def ask(
        ctx: Ctx,
        message: Message,
        include_reasoning: IncludeReasoning = False,
        include_tool_calls: IncludeToolCalls = False,
        wait_seconds: Wait = None,
    ) -> Reply:
        from letta_mcp.toolsets._replies import Detail
        from letta_mcp.toolsets._runs import converse

        state = app(ctx)
        wait = state.settings.wait_seconds if wait_seconds is None else wait_seconds
        return await converse(ctx, state, agent_id, message, wait, Detail(include_reasoning, include_tool_calls))

    return ask


ANNOTATIONS = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)


class AskTools:
    """The exposed agents of each caller (cached), and their tools (built once per agent, name and text)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._cache: dict[str, tuple[float, list[Exposed]]] = {}
        self._tools: dict[Exposed, Tool] = {}
        self._template: Tool | None = None
        self._warming: set[str] = set()

    def template(self) -> Tool:
        if self._template is None:
            # One agent's function (they all share this signature), built once for its schemas.
            spec = ToolSpec(_bound("template"), "ask", "Ask an agent", read_only=False, open_world=True)
            self._template = Tool.from_function(wrap(spec), name="ask_template", description="", structured_output=True)
            self._template.parameters = compact(self._template.parameters)
            if self._template.fn_metadata.output_schema is not None:
                self._template.fn_metadata.output_schema = shallow(self._template.fn_metadata.output_schema)
        return self._template

    def tool(self, exposed: Exposed) -> Tool:
        built = self._tools.get(exposed)
        if built is None:
            spec = ToolSpec(
                _bound(exposed.agent_id), "ask", f"Ask {exposed.agent_name}", read_only=False, open_world=True
            )
            built = self.template().model_copy(
                update={
                    "fn": wrap(spec),
                    "name": exposed.tool_name,
                    "title": f"Ask {exposed.agent_name}",
                    "description": exposed.description,
                    "annotations": ANNOTATIONS,
                }
            )
            self._tools[exposed] = built
        return built

    def cached(self, key: str) -> list[Exposed] | None:
        entry = self._cache.get(key)
        return entry[1] if entry else None

    async def refresh(self, state: RequestState, key: str) -> list[Exposed]:
        exposed = await discover(state)
        self._cache[key] = (time.monotonic(), exposed)
        live = set(exposed)
        for stale in [e for e in self._tools if e not in live]:
            del self._tools[stale]
        return exposed

    async def listing(self, state: RequestState, key: str, on_found: Callable[[], Any] | None) -> list[Exposed]:
        """The exposed agents for a tools/list: fresh within the cache time; see the module doc for the first."""
        entry = self._cache.get(key)
        if entry and time.monotonic() - entry[0] < self.settings.ask_cache_seconds:
            return entry[1]
        if entry is None and on_found is not None:
            if key not in self._warming:
                self._warming.add(key)
                state.spawn(self._warm, state, key, on_found)
            return []
        try:
            return await self.refresh(state, key)
        except Exception as exc:  # noqa: BLE001 — Letta down must not break tools/list: keep what we had
            logger.warning("could not list exposed agents (%s); serving the last known set", type(exc).__name__)
            return entry[1] if entry else []

    async def _warm(self, state: RequestState, key: str, on_found: Callable[[], Any]) -> None:
        # Importing the Letta client takes ~0.2 s of CPU: done on the loop it would hold back the
        # tools/list answer that is still being written.
        await anyio.to_thread.run_sync(importlib.import_module, "letta_client")
        try:
            exposed = await self.refresh(state, key)
        except Exception as exc:  # noqa: BLE001 — logged; the next tools/list tries again
            logger.warning("could not list exposed agents (%s)", type(exc).__name__)
            self._warming.discard(key)
            return
        self._warming.discard(key)
        if exposed:
            await on_found()

    async def changed_by_us(self, ctx: Ctx) -> None:
        """After this server changed an agent: re-read the exposed set and announce a change."""
        state = app(ctx)
        if "ask" not in self.settings.toolsets:
            return
        key = state.cache_key
        before = self.cached(key)
        try:
            after = await self.refresh(state, key)
        except Exception as exc:  # noqa: BLE001 — the change itself succeeded; the listing catches up later
            logger.warning("could not re-read exposed agents (%s)", type(exc).__name__)
            return
        if before != after:
            from letta_mcp import notify

            await notify.tool_list_changed(ctx)

    async def find(self, state: RequestState, key: str, name: str) -> Tool | None:
        for exposed in self.cached(key) or await self.refresh(state, key):
            if exposed.tool_name == name:
                return self.tool(exposed)
        # Not in what we knew: Letta may have changed since; look once more.
        for exposed in await self.refresh(state, key):
            if exposed.tool_name == name:
                return self.tool(exposed)
        return None

    def mcp_tools(self, exposed: list[Exposed]) -> list[MCPTool]:
        out = []
        for e in exposed:
            t = self.tool(e)
            out.append(
                MCPTool(
                    name=t.name,
                    title=t.title,
                    description=t.description,
                    input_schema=t.parameters,
                    output_schema=t.output_schema,
                    annotations=t.annotations,
                )
            )
        return out


TOOLS: list[ToolSpec] = []
