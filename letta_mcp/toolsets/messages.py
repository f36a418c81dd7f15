"""The `messages` toolset: talk to an agent, follow its runs, read and search its history."""

from __future__ import annotations

from typing import Annotated, Literal, Protocol

from pydantic import Field

from letta_mcp.contract import declare, toolset
from letta_mcp.models import MessageList, MessageSearch, Reply
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

    @declare("Send a message to an agent", read_only=False, open_world=True)
    async def send_message(
        self,
        agent: AgentRef,
        message: MessageText,
        conversation: ConversationRef = None,
        include_reasoning: IncludeReasoning = False,
        include_tool_calls: IncludeToolCalls = False,
        wait_seconds: Wait = None,
    ) -> Reply:
        """Send a message to a Letta agent and return its reply.

        The agent keeps its own memory and history: send only the new message, never the conversation so
        far. It may use tools and edit its memory first; its steps arrive as progress. If it is still
        working at the deadline, you get status='running' and a run_id: call get_run to collect the reply
        (the agent keeps working meanwhile). Not safe to retry blindly: a repeated call talks to the agent
        twice — after an error, check list_messages first.
        """
        ...

    @declare("Get a run's outcome", read_only=True)
    async def get_run(
        self,
        run_id: RunId,
        wait_seconds: Annotated[
            float,
            Field(
                ge=0,
                le=600,
                description="Seconds to wait for a running run to finish (capped at the "
                "server's LETTA_MCP_WAIT_SECONDS); 0 answers at once.",
            ),
        ] = 0,
        include_reasoning: IncludeReasoning = False,
        include_tool_calls: IncludeToolCalls = False,
    ) -> Reply:
        """Check a run that send_message handed back (status='running'): its status and, once it has
        finished, the agent's full reply in the same shape as send_message.

        Works from any letta-mcp process (the run lives in Letta). While status is 'running', call again
        (with wait_seconds to wait for it here).
        """
        ...

    @declare("Cancel a run", read_only=False, destructive=True, idempotent=True)
    async def cancel_run(self, run_id: RunId) -> Reply:
        """Stop a run that is still working (e.g. one send_message handed back). What the agent already did
        stays done. Returns the run's state afterwards; a finished run is left as it is.
        """
        ...

    @declare("List an agent's messages", read_only=True)
    async def list_messages(
        self,
        agent: AgentRef,
        conversation: ConversationRef = None,
        order: Annotated[
            Literal["newest_first", "oldest_first"], Field(description="Which end of the history to start from.")
        ] = "newest_first",
        roles: Annotated[
            list[Role] | None, Field(max_length=6, description="Only these kinds of message (default: all).")
        ] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> MessageList:
        """Read an agent's conversation history, page by page: user and assistant messages, reasoning,
        tool calls and tool results, with ids and dates.

        Use it to see what an agent was told or did (for example after a send_message that failed,
        before retrying). For a topic rather than a time, use search_messages.
        """
        ...

    @declare("Search an agent's history", read_only=True)
    async def search_messages(
        self,
        agent: AgentRef,
        query: Annotated[str, Field(min_length=1, max_length=1_000, description="What to look for.")],
        limit: Limit = 10,
    ) -> MessageSearch:
        """Search one agent's whole conversation history for a topic (not just recent messages).

        Works on Letta Cloud (semantic search) and on self-hosted servers (through the agent's own
        conversation_search tool, which needs that tool attached, as it is by default). For long-term
        facts stored on purpose, search_archival is the better place.
        """
        ...


TOOLSET = toolset(
    "messages",
    "Talk to an agent (progress while it works, a run to fetch when it is slow), read and search its history.",
    default=True,
    contract=Messages,
)
