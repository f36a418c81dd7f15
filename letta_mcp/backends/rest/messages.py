"""The `messages` toolset on Letta's REST API."""

from __future__ import annotations

import json
from typing import Any, Literal

import letta_client as lc

from letta_mcp.backends.flows import ListsMessages, Order, SendsMessages
from letta_mcp.backends.rest._base import RestBase, given, iso, text_of
from letta_mcp.backends.rest.replies import build_reply, calls_of, message_type, to_message
from letta_mcp.backends.rest.runs import Conversation
from letta_mcp.core.approvals import REFUSED_WAIT, STOPPED, Answer, check_answered, denied_reason, not_waiting
from letta_mcp.core.errors import InvalidInput, LettaMCPError
from letta_mcp.core.models import TERMINAL, Detail, MessageList, MessageSearch, Reply, SearchHit, clip, run_status
from letta_mcp.toolsets.messages import Messages, Role


def _newest_first(items: list[Any]) -> list[Any]:
    """Letta 0.16 returns an agent's `desc` page oldest first (it reverses twice); newer servers may not, and a
    conversation's page comes in the order asked. Normalise."""
    dated = len(items) > 1 and getattr(items[0], "date", None) and getattr(items[-1], "date", None)
    if dated and items[0].date > items[-1].date:
        return list(items)
    return list(reversed(items))


def _unsupported_search(exc: Exception) -> bool:
    if isinstance(exc, lc.NotFoundError):
        return True
    return isinstance(exc, (lc.BadRequestError, lc.APIStatusError)) and getattr(exc, "status_code", 0) in (
        400,
        404,
        405,
        501,
    )


def _hits(payload: Any, limit: int) -> list[SearchHit]:
    """conversation_search's answer (JSON text, or plain text) as search hits."""
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError:
            payload = {"results": [{"content": payload}]}
    rows = payload.get("results", []) if isinstance(payload, dict) else []
    return [
        SearchHit(role=r.get("role"), date=r.get("timestamp"), text=str(r.get("content", "")))
        for r in rows[:limit]
        if isinstance(r, dict)
    ]


class RestMessages(RestBase, SendsMessages, ListsMessages, Messages):
    def conversation(self) -> Conversation:
        return Conversation(
            self.request.ctx, self.backend, self.letta, self.settings.timeout, self.request.spawn, lease=self.request
        )

    async def deliver(self, agent_id: str, thread: str | None, message: str, wait: float, detail: Detail) -> Reply:
        reply = await self.conversation().converse(agent_id, thread, message, wait, detail)
        return reply.model_copy(update={"conversation_id": thread}) if thread else reply

    async def get_run(
        self,
        run_id: str,
        wait_seconds: float = 0,
        include_reasoning: bool = False,
        include_tool_calls: bool = False,
    ) -> Reply:
        if self.scope is not None:
            await self.run_in_scope(run_id)
        wait = min(wait_seconds, self.settings.wait_seconds)
        return await self.conversation().await_run(run_id, wait, Detail(include_reasoning, include_tool_calls))

    async def answer(self, run_id: str, answer: Answer, wait: float, detail: Detail) -> Reply:
        run = await self.run_in_scope(run_id)
        agent_id = str(run.agent_id)
        thread = getattr(run, "conversation_id", None)
        thread = thread if thread and thread != "default" else None
        if str(run.stop_reason or "") != "requires_approval":
            raise not_waiting(run_id)
        conversation = self.conversation()
        messages = await conversation.run_messages(run_id)
        reply = build_reply(agent_id, messages, run_id=run_id, stop_reason="requires_approval")
        if reply.approval is None:
            raise not_waiting(run_id)
        check_answered(answer, run_id, reply.approval.request_id)
        if thread is None:
            # The default thread waits only while its last message is that request: a later one answered it.
            found = await self.letta.agents.retrieve(agent_id, include=["agent.pending_approval"])
            pending = getattr(found, "pending_approval", None)
            if pending is None or reply.approval.request_id not in {
                str(getattr(c, "tool_call_id", "") or "") for c in calls_of(pending)
            }:
                raise not_waiting(run_id)
        said = [
            {
                "type": "approval",
                "approvals": [
                    {
                        "type": "approval",
                        "tool_call_id": reply.approval.request_id,
                        "approve": answer.approve,
                        **given(reason=answer.reason if answer.approve else denied_reason(answer)),
                    }
                ],
            }
        ]
        try:
            out = await conversation.converse(agent_id, thread, said, wait, detail)
        except lc.APIStatusError as exc:
            if "awaiting approval" in str(getattr(exc, "body", "") or exc):
                raise not_waiting(run_id) from None
            raise
        return out.model_copy(update={"conversation_id": thread}) if thread else out

    async def cancel_run(self, run_id: str) -> Reply:
        run = await self.run_in_scope(run_id)
        if str(run.stop_reason or "") == "requires_approval":
            # The run ended paused on a call; stopping the turn refuses that call (else the agent takes no new
            # message), and if the agent goes on after the refusal, that run is stopped too.
            try:
                refused = await self.answer(run_id, STOPPED, REFUSED_WAIT, Detail())
            except InvalidInput:
                refused = None  # answered already: nothing waits
            if refused is not None:
                if refused.status == "running" and refused.run_id:
                    await self.letta.agents.messages.cancel(run.agent_id, run_ids=[refused.run_id])
                stopped = await self.conversation().await_run(run_id, 0, Detail())
                return stopped.model_copy(
                    update={"status": "cancelled", "stop_reason": "cancelled", "approval": None, "note": None}
                )
        if run_status(run.status) not in TERMINAL:
            await self.letta.agents.messages.cancel(run.agent_id, run_ids=[run_id])
        return await self.conversation().await_run(run_id, 0, Detail())

    async def run_owner(self, run_id: str) -> str:
        return str((await self.run_in_scope(run_id)).agent_id)

    async def messages_in(
        self, agent_id: str, thread: str | None, order: Order, wanted: set[Role], limit: int, cursor: str | None
    ) -> MessageList:
        newest_first = order == "newest_first"
        found: list[Any] = []
        edge = cursor
        # Letta applies its limit before any type filter, so filter here, fetching pages until enough match.
        batch = limit + 1 if not wanted else 100
        for _ in range(20):
            # Letta's cursors are chronological: `before` walks back in time, `after` forward.
            cursor_arg = given(before=edge) if newest_first else given(after=edge)
            page = await self._page(agent_id, thread, batch, "desc" if newest_first else "asc", cursor_arg)
            items = _newest_first(page.items) if newest_first and thread is None else list(page.items)
            found += [m for m in items if not wanted or message_type(m) in wanted]
            if len(items) < batch or len(found) > limit:
                break
            edge = items[-1].id
        keep = min(limit, len(found))
        # One Letta message can show as several (reasoning + reply) sharing an id: never split them.
        while 0 < keep < len(found) and found[keep].id == found[keep - 1].id:
            keep += 1
        more = keep < len(found)
        return MessageList(
            messages=[to_message(m) for m in found[:keep]], next_cursor=found[keep - 1].id if more and keep else None
        )

    async def _page(
        self, agent_id: str, thread: str | None, limit: int, order: Literal["asc", "desc"], cursor: dict[str, Any]
    ) -> Any:
        """One page of a thread's messages: a conversation's, or the agent's default thread."""
        if thread is not None:
            return await self.letta.conversations.messages.list(thread, limit=limit, order=order, **cursor)
        return await self.letta.agents.messages.list(
            agent_id, limit=limit, order=order, conversation_id="default", **cursor
        )

    async def search_messages(self, agent: str, query: str, limit: int = 10) -> MessageSearch:
        agent_id = await self.resolve_agent(agent)
        try:
            found = await self.letta.messages.search(query=query, agent_id=agent_id, limit=limit)
        except Exception as exc:
            if not _unsupported_search(exc):
                raise
        else:
            hits = [
                SearchHit(
                    role=message_type(m),
                    date=iso(getattr(m, "created_at", None)),
                    text=text_of(getattr(m, "content", None)) or str(getattr(m, "reasoning", "") or ""),
                )
                for m in found
            ]
            return MessageSearch(agent_id=agent_id, query=query, hits=hits, source="letta message search")
        # Self-hosted Letta has no message search index: the agent's own tool searches its history.
        result = await self.letta.agents.tools.run(
            "conversation_search", agent_id=agent_id, args={"query": query, "limit": limit}
        )
        if result.status != "success":
            said = clip(" ".join(str(x) for x in (result.stderr or [str(result.func_return)])), 300)
            raise LettaMCPError(
                f"History search failed in Letta: {said}. Is conversation_search attached to the agent?"
            )
        hits = _hits(result.func_return, limit)
        return MessageSearch(agent_id=agent_id, query=query, hits=hits, source="conversation_search (self-hosted)")
