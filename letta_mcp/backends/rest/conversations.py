"""The `conversations` toolset on Letta's REST API."""

from __future__ import annotations

from typing import Any

from letta_mcp.backends.rest._base import RestBase, given, iso, page_cursor
from letta_mcp.core.errors import InvalidInput
from letta_mcp.core.models import Compaction, ConversationInfo, ConversationList
from letta_mcp.toolsets.conversations import Conversations, default_has_no_summary


def info(c: Any) -> ConversationInfo:
    return ConversationInfo(
        id=c.id,
        agent_id=c.agent_id or "",
        summary=c.summary or None,
        created_at=iso(c.created_at),
        last_message_at=iso(c.last_message_at),
    )


class RestConversations(RestBase, Conversations):
    async def list_conversations(self, agent: str, limit: int = 20, cursor: str | None = None) -> ConversationList:
        agent_id = await self.resolve_agent(agent)
        found = list(
            await self.letta.conversations.list(agent_id=agent_id, limit=limit + 1, order="desc", **given(after=cursor))
        )
        return ConversationList(
            conversations=[info(c) for c in found[:limit]], next_cursor=page_cursor([c.id for c in found], limit)
        )

    async def create_conversation(self, agent: str, summary: str | None = None) -> ConversationInfo:
        agent_id = await self.resolve_agent(agent)
        return info(await self.letta.conversations.create(agent_id=agent_id, **given(summary=summary)))

    async def fork_conversation(self, agent: str, conversation: str | None = None) -> ConversationInfo:
        agent_id = await self.resolve_agent(agent)
        thread = await self.thread(agent_id, conversation, start=False)
        if thread is None:
            # Letta 0.16 moves the default thread's messages into the fork: the default thread would lose them.
            raise InvalidInput(
                "This Letta cannot fork an agent's default thread without taking its history away from it: fork "
                "a conversation (see list_conversations), or start a new one with create_conversation."
            )
        return info(await self.letta.conversations.fork(thread, agent_id=agent_id))

    async def update_conversation(self, agent: str, conversation: str, summary: str) -> ConversationInfo:
        agent_id = await self.resolve_agent(agent)
        if conversation.strip() == "default":
            raise InvalidInput(default_has_no_summary(agent))
        thread = await self.thread(agent_id, conversation, start=False)
        assert thread is not None  # a conversation was named
        return info(await self.letta.conversations.update(thread, summary=summary))

    async def compact_conversation(self, agent: str, conversation: str | None = None) -> Compaction:
        agent_id = await self.resolve_agent(agent)
        thread = await self.thread(agent_id, conversation, start=False)
        if thread is None:
            done = await self.letta.conversations.messages.compact("default", agent_id=agent_id)
        else:
            done = await self.letta.conversations.messages.compact(thread)
        return Compaction(
            conversation=thread or "default",
            messages_before=done.num_messages_before,
            messages_after=done.num_messages_after,
            summary=done.summary,
        )
