"""The `messages` toolset: talk to an agent, follow its runs, read and search its history."""

from __future__ import annotations

from typing import Annotated, Literal, Protocol

from pydantic import Field

from letta_mcp.core.contract import Line, declare, toolset
from letta_mcp.core.models import MessageList, MessageSearch, Reply
from letta_mcp.toolsets._args import (
    AgentRef,
    ConversationRef,
    Cursor,
    IncludeReasoning,
    IncludeToolCalls,
    Limit,
    MessageText,
    RunId,
    Wait,
)

Role = Literal["user", "assistant", "reasoning", "tool_call", "tool_return", "system"]


class Messages(Protocol):
    """The contract of the `messages` toolset."""

    @declare(
        "Send a message to an agent",
        read_only=False,
        hint="letta message chat talk to agent",
        open_world=True,
        task=True,
    )
    async def send_message(
        self,
        agent: AgentRef,
        message: MessageText,
        conversation: ConversationRef = None,
        include_reasoning: IncludeReasoning = False,
        include_tool_calls: IncludeToolCalls = False,
        wait_seconds: Wait = None,
    ) -> Reply:
        """Talk to an agent: send only the new message; steps come as progress. Still running at the deadline:
        get_run(run_id). After an error, check list_messages first.
        """
        ...

    @declare("Get a run's outcome", read_only=True, hint="letta long agent reply run result")
    async def get_run(
        self,
        run_id: RunId,
        wait_seconds: Annotated[
            float,
            Field(
                ge=0,
                le=600,
                description="Seconds to wait.",
            ),
        ] = 0,
        include_reasoning: IncludeReasoning = False,
        include_tool_calls: IncludeToolCalls = False,
    ) -> Reply:
        """A handed-back run: its status, and the reply once done. Call again while running."""
        ...

    @declare("Cancel a run", read_only=False, hint="letta stop cancel agent run", destructive=True, idempotent=True)
    async def cancel_run(self, run_id: RunId) -> Reply:
        """Stop a running run (from send_message); what it did stays done."""
        ...

    @declare("Answer an approval", read_only=False, hint="letta approve deny allow tool call approval")
    async def respond_to_approval(
        self,
        run_id: RunId,
        approve: Annotated[bool, Field(description="The person's answer.")],
        reason: Annotated[str | None, Field(max_length=2_000, description="Why, for the agent.")] = None,
    ) -> Reply:
        """Answer a tool call a run waits on (requires_approval) with the person's answer: ask them first, never
        decide for them. The turn goes on."""
        ...

    @declare("List an agent's messages", read_only=True, hint="letta agent conversation history messages")
    async def list_messages(
        self,
        agent: AgentRef,
        conversation: ConversationRef = None,
        order: Annotated[
            Literal["newest_first", "oldest_first"], Field(description="Which end first.")
        ] = "newest_first",
        roles: Annotated[list[Role] | None, Field(max_length=6, description="Only these kinds.")] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> MessageList:
        """An agent's history (messages, reasoning, tool calls), by page; check after a failed send_message."""
        ...

    # ---- not tools: what tasks read ----

    async def run_owner(self, run_id: str) -> str:
        """The agent of a run of this caller's (`NotFound` otherwise), without following the run."""
        ...

    @declare("Search an agent's history", read_only=True, hint="letta search agent conversation history messages")
    async def search_messages(
        self,
        agent: AgentRef,
        query: Annotated[str, Field(min_length=1, max_length=1_000, description="Topic.")],
        limit: Limit = 10,
    ) -> MessageSearch:
        """Search an agent's whole history. Stored facts: search_archival."""
        ...


TOOLSET = toolset(
    "messages",
    "Talk to an agent (progress while it works, a run to fetch when it is slow), read and search its history.",
    default=True,
    contract=Messages,
    lines=(Line("Talk to one with send_message (send only the new message: it remembers).", ("send_message",)),),
)
