"""The `conversations` toolset: separate threads with one agent, sharing its memory but not its history."""

from __future__ import annotations

from typing import Annotated, Protocol

from pydantic import Field

from letta_mcp.core.contract import declare, toolset
from letta_mcp.core.models import Compaction, ConversationInfo, ConversationList
from letta_mcp.toolsets._args import AgentRef, ConversationRef, Cursor, Limit


class Conversations(Protocol):
    """The contract of the `conversations` toolset."""

    @declare("List an agent's conversations", read_only=True, hint="letta agent conversations threads")
    async def list_conversations(self, agent: AgentRef, limit: Limit = 20, cursor: Cursor = None) -> ConversationList:
        """List an agent's conversations (threads besides its default one), newest first: id and summary.

        Pass an id as `conversation` to send_message or list_messages to use that thread.
        """
        ...

    @declare("Start a conversation", read_only=False, hint="letta new conversation thread with agent")
    async def create_conversation(
        self,
        agent: AgentRef,
        summary: Annotated[str | None, Field(max_length=500, description="What the thread is about.")] = None,
    ) -> ConversationInfo:
        """Start a new conversation with an agent: a thread with its own history that shares the agent's
        memory. Next: send_message with conversation=<id>.
        """
        ...

    @declare("Fork a conversation", read_only=False, hint="letta fork branch copy conversation thread")
    async def fork_conversation(self, agent: AgentRef, conversation: ConversationRef = None) -> ConversationInfo:
        """Copy a conversation (default: the agent's default thread) into a new one that continues from
        the same history, to try another direction without touching the original.
        """
        ...

    @declare(
        "Rename a conversation", read_only=False, hint="letta rename retitle summarise conversation", idempotent=True
    )
    async def update_conversation(
        self,
        agent: AgentRef,
        conversation: Annotated[str, Field(min_length=1, max_length=200, description="Conversation id.")],
        summary: Annotated[str, Field(min_length=1, max_length=500, description="Its new title or summary.")],
    ) -> ConversationInfo:
        """Set a conversation's summary, the title list_conversations shows (the default thread has none)."""
        ...

    @declare(
        "Compact a conversation",
        read_only=False,
        hint="letta compact summarize shrink conversation context",
        destructive=True,
    )
    async def compact_conversation(self, agent: AgentRef, conversation: ConversationRef = None) -> Compaction:
        """Summarise a conversation's older messages (the agent's model writes the summary) to free context
        in a long thread. REST keeps the originals readable in list_messages; the App Server replaces them.
        """
        ...


def default_has_no_summary(agent: str) -> str:
    return (
        f"The default thread of {agent!r} is not a conversation of its own and has no summary to set: pass the id "
        "of one of its conversations (list_conversations)."
    )


TOOLSET = toolset(
    "conversations",
    "Separate threads with one agent (shared memory, separate history).",
    default=False,
    contract=Conversations,
)
