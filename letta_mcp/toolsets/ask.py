"""The `ask` toolset: chosen Letta agents as MCP tools of their own (`ask_<slug>`).

Its tools are made at run time, one per exposed agent, all with the signature of `AskAgent.ask`;
`letta_mcp.server.exposed` keeps them. A backend finds the exposed agents (`Ask.exposed_agents`); the names
and descriptions are decided here, the same on every backend.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

from letta_mcp.core.contract import Line, ToolSpec, declare, toolset
from letta_mcp.core.models import Reply
from letta_mcp.toolsets._args import ConversationRef, IncludeReasoning, IncludeToolCalls, MessageText, Wait

PREFIX = "ask_"
MAX_NAME = 48
"""Clients prefix tool names (Claude Code: `mcp__letta__`) and models accept at most 64 characters."""
MAX_EXPOSED = 200
DESCRIPTION_CHARS = 700


@dataclass(frozen=True)
class Candidate:
    """An agent a backend found exposed, before it is named."""

    agent_id: str
    name: str
    created: str
    description: str
    persona: str = ""


@dataclass(frozen=True)
class Exposed:
    """One agent exposed as a tool."""

    agent_id: str
    agent_name: str
    tool_name: str
    description: str


class Ask(Protocol):
    """What a backend does for the `ask` toolset: find the agents exposed to this caller."""

    async def exposed_agents(self) -> list[Candidate]:
        """Agents with the expose tag, or named in LETTA_MCP_EXPOSE_AGENTS, as this caller sees them."""
        ...


class AskAgent(Protocol):
    """The signature every ask_<agent> tool shares (the agent is bound when the tool is made)."""

    @declare("Ask an agent", read_only=False, hint="letta ask agent question", open_world=True, task=True)
    async def ask(
        self,
        message: MessageText,
        conversation: ConversationRef = None,
        include_reasoning: IncludeReasoning = False,
        include_tool_calls: IncludeToolCalls = False,
        wait_seconds: Wait = None,
    ) -> Reply:
        """Send your message to this agent and return its reply."""
        ...


def slugify(name: str) -> str:
    """A stable, lower-case tool-name piece from any agent name (unicode folded to ASCII where it can be)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_")
    if not slug:
        slug = "agent_" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return slug[: MAX_NAME - len(PREFIX)].rstrip("_")


def ask_tool_names(agents: list[tuple[str, str, str]]) -> dict[str, str]:
    """Agent id → ask_ tool name, distinct even when names slug alike.

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


def describe(candidate: Candidate) -> str:
    """The agent's own description, else its persona, plus what calling the tool does."""
    own = candidate.description.strip()
    name = candidate.name
    if not own:
        persona = candidate.persona.strip()
        own = f"Letta agent {name!r}. Its persona: {persona}" if persona else f"Letta agent {name!r}."
    own = own[: DESCRIPTION_CHARS - 3] + "…" if len(own) > DESCRIPTION_CHARS else own
    return (
        f"{own}\n\nCalling this sends your message to the Letta agent {name!r} and returns its reply; it "
        "remembers earlier conversations, so send only the new message. If it is still working at the deadline "
        "you get status='running' and a run_id: collect the reply with get_run."
    )


def name_all(candidates: list[Candidate]) -> list[Exposed]:
    """The exposed agents with their tool names and descriptions, sorted by tool name."""
    agents = candidates[:MAX_EXPOSED]
    names = ask_tool_names([(c.agent_id, c.name, c.created) for c in agents])
    return sorted(
        (Exposed(c.agent_id, c.name, names[c.agent_id], describe(c)) for c in agents), key=lambda e: e.tool_name
    )


TOOLSET = toolset(
    "ask",
    "Exposed agents as tools of their own: ask_<name> for each agent tagged mcp:expose "
    "(LETTA_MCP_EXPOSE_TAG) or named in LETTA_MCP_EXPOSE_AGENTS.",
    default=True,
    contract=None,
    template=AskAgent,
    lines=(Line("ask_<agent> tools are agents exposed as tools."),),
    writes_under="read_only_ask",
)
if TOOLSET.template is None:  # pragma: no cover — declared just above
    raise RuntimeError("the ask toolset declares its template")
ASK: ToolSpec = TOOLSET.template
"""The spec every ask_<agent> tool shares: its arguments, result and behaviour."""
