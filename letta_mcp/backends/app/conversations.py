"""The `conversations` toolset on Letta's App Server."""

from __future__ import annotations

from typing import Any

from letta_mcp.backends.app._base import AppBase
from letta_mcp.core.models import ConversationInfo, ConversationList
from letta_mcp.toolsets.conversations import Conversations


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
