"""The `agents` toolset: find, inspect, create, change and delete Letta agents."""

from __future__ import annotations

from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, Field

from letta_mcp.core.contract import Line, declare, needs, toolset
from letta_mcp.core.models import Agent, AgentContext, AgentList, Deleted, ModelList
from letta_mcp.toolsets._args import AgentName, AgentRef, Cursor, Limit, Stripped


class MemoryBlockIn(BaseModel):
    """A core memory block to create with the agent."""

    label: str = Field(min_length=1, max_length=100, description="Name, e.g. 'human'.")
    value: str = Field("", max_length=100_000, description="Initial text.")
    description: str | None = Field(None, max_length=2_000, description="What belongs there.")
    limit: int | None = Field(None, ge=1, le=1_000_000, description="Max characters.")


class ToolRuleIn(BaseModel):
    """A constraint on how the agent uses a tool."""

    type: Literal["exit_loop", "run_first", "continue", "child"] = Field(
        description="exit_loop: ends the turn; run_first: called first; continue: keep going after it; child: "
        "only children may follow."
    )
    tool: str = Field(min_length=1, max_length=200, description="Tool name.")
    children: list[str] | None = Field(None, max_length=50, description="For child: allowed next tools.")


UniqueBy = Literal["name", "tags", "none"]


class Agents(Protocol):
    """The contract of the `agents` toolset."""

    @declare("List agents", read_only=True, hint="letta find list agents by name or tag")
    async def list_agents(
        self,
        name: Annotated[str | None, Field(max_length=300, description="Exact name.")] = None,
        tags: Annotated[list[str] | None, Field(max_length=20, description="Tags to match.")] = None,
        match_all_tags: Annotated[bool, Field(description="Require all tags.")] = False,
        query: Annotated[str | None, Field(max_length=300, description="Text in the name.")] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AgentList:
        """Find agents by name, tag or text, newest first. Next: get_agent, send_message."""
        ...

    @declare("Get an agent", read_only=True, hint="letta agent details model system prompt tools blocks")
    async def get_agent(self, agent: AgentRef) -> Agent:
        """An agent in full: model, tags, tools, memory blocks. Next: get_block."""
        ...

    @declare("Create an agent", read_only=False, hint="letta create new stateful agent", idempotent=True)
    async def create_agent(
        self,
        name: Annotated[str, Stripped, Field(min_length=1, max_length=200, description="Unique name."), AgentName],
        description: Annotated[str | None, Field(max_length=2_000, description="What it is for.")] = None,
        memory_blocks: Annotated[
            list[MemoryBlockIn] | None,
            Field(max_length=20, description="Core memory blocks."),
        ] = None,
        model: Annotated[
            str | None,
            Field(max_length=200, description="Model handle (list_models)."),
        ] = None,
        embedding: Annotated[
            str | None,
            Field(max_length=200, description="Embedding handle."),
        ] = None,
        tools: Annotated[
            list[str] | None,
            Field(max_length=50, description="Existing tools to attach.", json_schema_extra=needs("tools")),
        ] = None,
        tool_rules: Annotated[
            list[ToolRuleIn] | None,
            Field(max_length=50, description="Tool use constraints.", json_schema_extra=needs("tools")),
        ] = None,
        tags: Annotated[
            list[str] | None,
            Field(max_length=20, description="Tags, e.g. 'project:x'."),
        ] = None,
        context_window_limit: Annotated[
            int | None, Field(ge=1_000, le=2_000_000, description="Max context tokens.")
        ] = None,
        sleeptime: Annotated[bool, Field(description="Add sleep-time memory.")] = False,
        secrets: Annotated[
            dict[str, str] | None,
            Field(description="Env vars for its tools; never shown back.", json_schema_extra=needs("tools")),
        ] = None,
        unique_by: Annotated[
            UniqueBy,
            Field(description="Reuse an agent matching name or tags; none: new."),
        ] = "name",
    ) -> Agent:
        """Create a persistent agent; describe each memory block (it stores by that). Returns an existing match. Next:
        send_message.
        """
        ...

    @declare("Update an agent", read_only=False, hint="letta change agent model system prompt tags", idempotent=True)
    async def update_agent(
        self,
        agent: AgentRef,
        name: Annotated[
            str | None, Stripped, Field(min_length=1, max_length=200, description="New name."), AgentName
        ] = None,
        description: Annotated[str | None, Field(max_length=2_000, description="New description.")] = None,
        model: Annotated[str | None, Field(max_length=200, description="New model handle.")] = None,
        tags: Annotated[list[str] | None, Field(max_length=20, description="Replaces the tags.")] = None,
        context_window_limit: Annotated[
            int | None, Field(ge=1_000, le=2_000_000, description="New context limit.")
        ] = None,
        system: Annotated[str | None, Field(max_length=100_000, description="New system prompt.")] = None,
        secrets: Annotated[
            dict[str, str] | None, Field(description="Replaces its tools' env vars.", json_schema_extra=needs("tools"))
        ] = None,
        sleeptime: Annotated[bool | None, Field(description="Sleep-time on/off.")] = None,
    ) -> Agent:
        """Change an agent's settings; only what you pass. Memory: edit_block."""
        ...

    @declare("Delete an agent", read_only=False, hint="letta delete remove agent", destructive=True, idempotent=False)
    async def delete_agent(self, agent: AgentRef) -> Deleted:
        """Delete an agent and its history for good; check with get_agent first."""
        ...

    @declare("List models", read_only=True, hint="letta llm models handles for agents")
    async def list_models(self) -> ModelList:
        """Model and embedding handles (for create_agent)."""
        ...

    # ---- not tools: what resources and completions read ----

    async def agent_context(self, agent: str) -> AgentContext:
        """One agent with the values of its core memory blocks (`letta://agents/{agent_id}`)."""
        ...

    async def agent_names(self, prefix: str) -> list[str]:
        """Names, then ids, of agents starting with `prefix` (argument completion)."""
        ...


def closest(handle: str, known: list[str], n: int = 3) -> list[str]:
    """The known handles most like `handle` (for an error that names the valid ones)."""
    import difflib

    found = difflib.get_close_matches(handle, known, n=n, cutoff=0.3)
    return found or sorted(known)[:n]


def unknown_handle(kind: str, handle: str, known: list[str], setting: str | None = None) -> str:
    """The error for a model or embedding handle this Letta does not offer."""
    names = ", ".join(closest(handle, known)) or "none"
    where = f" (the default, from {setting})" if setting else ""
    return f"This Letta has no {kind} {handle!r}{where}. Closest: {names}. Call list_models for all handles."


TOOLSET = toolset(
    "agents",
    "Find, inspect, create, change and delete agents.",
    default=True,
    contract=Agents,
    lines=(Line("Agents: list_agents finds one, create_agent makes one.", ("list_agents", "create_agent")),),
)
