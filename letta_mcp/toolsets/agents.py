"""The `agents` toolset: find, inspect, create, change and delete Letta agents."""

from __future__ import annotations

from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, Field

from letta_mcp.contract import declare, toolset
from letta_mcp.models import Agent, AgentContext, AgentList, Deleted, ModelList
from letta_mcp.toolsets._args import AgentRef, Cursor, Limit


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


UniqueBy = Literal["name", "tags", "none"]


class Agents(Protocol):
    """The contract of the `agents` toolset."""

    @declare("List agents", read_only=True)
    async def list_agents(
        self,
        name: Annotated[str | None, Field(max_length=300, description="Only the agent with exactly this name.")] = None,
        tags: Annotated[list[str] | None, Field(max_length=20, description="Only agents carrying these tags.")] = None,
        match_all_tags: Annotated[bool, Field(description="True: every tag must match; false: any one.")] = False,
        query: Annotated[
            str | None, Field(max_length=300, description="Free text matched against agent names.")
        ] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AgentList:
        """List the Letta agents you can use, newest first: id, name, description, model and tags.

        Use it to find an agent's id or exact name before calling any tool that takes `agent`, or to
        check whether "the agent for project X" already exists (filter by tag or name). Results are
        paged: when next_cursor is set, call again with cursor=next_cursor. Next: get_agent for one
        agent's memory blocks and tools, or send_message to talk to it.
        """
        ...

    @declare("Get an agent", read_only=True)
    async def get_agent(self, agent: AgentRef) -> Agent:
        """Show one agent in full: model, description, tags, attached tools and tool rules, and its core
        memory blocks (label, id, size, limit, description; not their values).

        Use it before changing an agent, or to learn which block labels to read with get_block.
        """
        ...

    @declare("Create an agent", read_only=False, idempotent=True)
    async def create_agent(
        self,
        name: Annotated[str, Field(min_length=1, max_length=200, description="A unique, descriptive name.")],
        description: Annotated[str | None, Field(max_length=2_000, description="What the agent is for.")] = None,
        memory_blocks: Annotated[
            list[MemoryBlockIn] | None,
            Field(max_length=20, description="Core memory blocks; describe each so the agent knows what goes there."),
        ] = None,
        model: Annotated[
            str | None,
            Field(max_length=200, description="Model handle, e.g. 'openai/gpt-4o-mini'; default from settings."),
        ] = None,
        embedding: Annotated[
            str | None,
            Field(max_length=200, description="Embedding handle for archival memory; default from settings."),
        ] = None,
        tools: Annotated[
            list[str] | None, Field(max_length=50, description="Names of existing tools to attach.")
        ] = None,
        tool_rules: Annotated[
            list[ToolRuleIn] | None, Field(max_length=50, description="Constraints on tool use.")
        ] = None,
        tags: Annotated[
            list[str] | None,
            Field(max_length=20, description="Tags to find it by later, e.g. 'user:alice', 'project:x'."),
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
            UniqueBy,
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
        ...

    @declare("Update an agent", read_only=False, idempotent=True)
    async def update_agent(
        self,
        agent: AgentRef,
        name: Annotated[str | None, Field(min_length=1, max_length=200, description="New name.")] = None,
        description: Annotated[str | None, Field(max_length=2_000, description="New description.")] = None,
        model: Annotated[str | None, Field(max_length=200, description="New model handle.")] = None,
        tags: Annotated[list[str] | None, Field(max_length=20, description="Replaces all tags.")] = None,
        context_window_limit: Annotated[
            int | None, Field(ge=1_000, le=2_000_000, description="New context limit.")
        ] = None,
        system: Annotated[str | None, Field(max_length=100_000, description="Replaces the system prompt.")] = None,
        secrets: Annotated[
            dict[str, str] | None, Field(description="Replaces the environment variables of its tools.")
        ] = None,
    ) -> Agent:
        """Change an agent's name, description, model, tags, context limit, system prompt or tool secrets.

        Only what you pass changes. Memory blocks change with update_block / edit_block, tools with
        attach_tool / detach_tool. Returns the agent as it is afterwards.
        """
        ...

    @declare("Delete an agent", read_only=False, destructive=True, idempotent=False)
    async def delete_agent(self, agent: AgentRef) -> Deleted:
        """Delete an agent for good, with its history and its own (unshared) memory blocks. Cannot be undone.

        Shared blocks attached to other agents survive. Call get_agent first if unsure it is the right one.
        """
        ...

    @declare("List models", read_only=True)
    async def list_models(self) -> ModelList:
        """List the model handles this Letta offers: LLMs (with their context window) for an agent's model,
        and embeddings for its archival memory. create_agent and update_agent take these handles.
        """
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
)
