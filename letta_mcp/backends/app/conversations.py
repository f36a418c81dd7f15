"""The `conversations` toolset on Letta's App Server."""

from __future__ import annotations

from typing import Any

from letta_mcp.backends.app._base import AppBase
from letta_mcp.core.errors import InvalidInput
from letta_mcp.core.models import Compaction, ConversationInfo, ConversationList
from letta_mcp.toolsets.conversations import Conversations, default_has_no_summary


def info(c: dict[str, Any], agent_id: str) -> ConversationInfo:
    return ConversationInfo(
        id=str(c["id"]),
        agent_id=str(c.get("agent_id") or agent_id),
        summary=c.get("summary") or None,
        created_at=c.get("created_at"),
        last_message_at=c.get("last_message_at"),
    )


class AppConversations(AppBase, Conversations):
    async def list_conversations(self, agent: str, limit: int = 20, cursor: str | None = None) -> ConversationList:
        agent_id = await self.resolve_agent(agent)
        found = (await self.socket.request("conversation_list", query={"agent_id": agent_id})).get("conversations")
        items = sorted(found or [], key=lambda c: str(c.get("created_at") or ""), reverse=True)
        start = next((i + 1 for i, c in enumerate(items) if c["id"] == cursor), 0) if cursor else 0
        page = items[start : start + limit]
        more = start + limit < len(items)
        return ConversationList(
            conversations=[info(c, agent_id) for c in page], next_cursor=page[-1]["id"] if more and page else None
        )

    async def create_conversation(self, agent: str, summary: str | None = None) -> ConversationInfo:
        agent_id = await self.resolve_agent(agent)
        body: dict[str, Any] = {"agent_id": agent_id, **({"summary": summary} if summary else {})}
        return info((await self.socket.request("conversation_create", body=body))["conversation"], agent_id)

    async def fork_conversation(self, agent: str, conversation: str | None = None) -> ConversationInfo:
        agent_id = await self.resolve_agent(agent)
        thread = await self.thread(agent_id, conversation, start=False)
        forked = await self.socket.request("conversation_fork", conversation_id=thread, body={"agent_id": agent_id})
        made = await self.socket.request("conversation_retrieve", conversation_id=forked["conversation"]["id"])
        return info(made.get("conversation") or forked["conversation"], agent_id)

    async def update_conversation(self, agent: str, conversation: str, summary: str) -> ConversationInfo:
        agent_id = await self.resolve_agent(agent)
        if conversation.strip() == "default":
            raise InvalidInput(default_has_no_summary(agent))
        thread = await self.thread(agent_id, conversation, start=False)
        updated = await self.socket.request("conversation_update", conversation_id=thread, body={"summary": summary})
        return info(updated.get("conversation") or {"id": thread, "summary": summary}, agent_id)

    async def compact_conversation(self, agent: str, conversation: str | None = None) -> Compaction:
        agent_id = await self.resolve_agent(agent)
        thread = await self.thread(agent_id, conversation, start=False)
        said = await self.socket.request("conversation_compact", conversation_id=thread, body={"agent_id": agent_id})
        done = said.get("compaction") or {}
        return Compaction(
            conversation=thread,
            messages_before=int(done.get("num_messages_before") or 0),
            messages_after=int(done.get("num_messages_after") or 0),
            summary=str(done.get("summary") or ""),
        )
