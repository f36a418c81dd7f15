"""What the REST toolsets share: the request's Letta client, agent lookup and the caller's scope,
and the conversions from Letta's types to letta-mcp's results.

`letta_client` is imported where it is used, not here: the `ask` lookup runs on this base without it
(see `client.Reader`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, cast

from letta_mcp.backends.rest.batches import Batches
from letta_mcp.backends.scoped import Scoped, no_conversation, out_of_scope
from letta_mcp.backends.shared import Handles
from letta_mcp.core.config import Settings
from letta_mcp.core.errors import InvalidInput, NotFound
from letta_mcp.core.locks import KeyedLocks
from letta_mcp.core.models import BlockSummary
from letta_mcp.core.state import RequestState

if TYPE_CHECKING:
    from letta_client import AsyncLetta

    from letta_mcp.toolsets.memory import Edit, Edited


class Connection(Protocol):
    """What the toolsets need of the REST backend: its settings, a client per caller, what Letta can do."""

    settings: Settings
    background_streams: bool | None
    block_locks: KeyedLocks
    block_edits: Batches[Edit, tuple[str, Edited]]

    def client_for(self, request: RequestState) -> AsyncLetta: ...

    async def read_json(self, request: RequestState, path: str, params: dict[str, Any]) -> Any:
        """A GET that returns Letta's JSON as it is, without building letta-client's models."""
        ...

    async def handles(self, letta: AsyncLetta) -> tuple[Handles, Handles]:
        """The model and embedding handles Letta offers, with their context window or dimensions (cached)."""
        ...


_ID = re.compile(r"^(agent|block|tool|passage|message|run)-[0-9a-fA-F-]{8,}$")


def looks_like_id(value: str, kind: str) -> bool:
    match = _ID.match(value)
    return bool(match and match.group(1) == kind)


def given(**kwargs: Any) -> dict[str, Any]:
    """Keyword arguments that were actually given (None means: leave Letta's default)."""
    return {k: v for k, v in kwargs.items() if v is not None}


def page_cursor(ids: list[str], limit: int) -> str | None:
    """Letta pages by id: with one item more than asked fetched, there is a next page iff it came."""
    return ids[limit - 1] if len(ids) > limit else None


def missing_run(run_id: str) -> NotFound:
    return NotFound(f"Not found: run {run_id}. Runs come from send_message; list_messages shows an agent's.")


async def retrieve_run(letta: Any, run_id: str) -> Any:
    """The run `run_id`, or NotFound saying where runs come from."""
    import letta_client as lc

    try:
        run = await letta.runs.retrieve(run_id)
    except (lc.NotFoundError, lc.UnprocessableEntityError):
        raise missing_run(run_id) from None
    if not hasattr(run, "status"):
        # A run_id that is another route's name (`tools`) gets that route's answer: it names no run.
        raise missing_run(run_id)
    return run


def text_of(content: Any) -> str:
    """Plain text from a Letta message content (a string or a list of parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            text = getattr(part, "text", None)
            if text is None and isinstance(part, dict):
                text = part.get("text")
            if text:
                parts.append(str(text))
        return "\n".join(parts)
    return str(content)


def iso(value: Any) -> str | None:
    if value is None:
        return None
    isoformat = getattr(value, "isoformat", None)
    return str(isoformat()) if callable(isoformat) else str(value)


def block_summary(b: Any) -> BlockSummary:
    """A Letta block without its value: what lists and agent details show."""
    return BlockSummary(
        label=b.label or "",
        id=b.id or "",
        description=b.description or None,
        chars=len(b.value or ""),
        limit=b.limit,
        read_only=bool(b.read_only),
    )


MULTI_AGENT_TOOLS = frozenset(
    {
        "send_message_to_agent_and_wait_for_reply",
        "send_message_to_agents_matching_tags",
        "send_message_to_agent_async",
    }
)
"""Letta's built-in tools through which one agent messages others (by id, or every agent with some tags)."""


class RestBase(Scoped[Any]):
    """A toolset's REST implementation, bound to one request."""

    def __init__(self, request: RequestState) -> None:
        self.request = request
        self.settings = request.settings
        self.backend = cast(Connection, request.backend)

    @cached_property
    def letta(self) -> AsyncLetta:
        """The caller's Letta client (made, and letta-client imported, on first use)."""
        return self.backend.client_for(request=self.request)

    def refuse_multi_agent(self, tools: Iterable[str] | None) -> None:
        """Letta's multi-agent tools let an agent message agents by id or tag, beyond any scope: a scoped
        caller's agents do not get them."""
        if self.scope is None:
            return
        bad = sorted(set(tools or ()) & MULTI_AGENT_TOOLS)
        if bad:
            raise InvalidInput(
                f"{', '.join(bad)}: Letta's multi-agent tools reach agents outside your scope ({self.scope!r}), so "
                "access scoped to a tag cannot give them to an agent. Nothing was changed."
            )

    async def run_in_scope(self, run_id: str) -> Any:
        """The run `run_id`, if this caller's: a missing run and another scope's read the same, naming no agent."""
        run = await retrieve_run(self.letta, run_id)
        await self.check_run_owner(run.agent_id, missing_run(run_id))
        return run

    # How the scope rules (`Scoped`) fetch on Letta's REST API.

    def is_agent_id(self, ref: str) -> bool:
        return looks_like_id(ref, "agent")

    async def fetch_agent(self, agent_id: str) -> Any:
        import letta_client as lc

        try:
            return await self.letta.agents.retrieve(agent_id, include=["agent.tags"])
        except (lc.NotFoundError, lc.UnprocessableEntityError):
            return None

    async def agents_named(self, name: str) -> list[Any]:
        page = await self.letta.agents.list(
            name=name, limit=3, **given(tags=self.with_scope(), include=["agent.tags"] if self.scope else None)
        )
        return list(page.items)

    def agent_tags(self, agent: Any) -> list[str]:
        return list(agent.tags or [])

    def agent_id_of(self, agent: Any) -> str:
        return str(agent.id)

    async def thread(self, agent_id: str, conversation: str | None, *, start: bool) -> str | None:
        """The conversation a call about `agent_id` uses: the one given (it must be the agent's), this client
        session's one (LETTA_MCP_CONVERSATION=per-session; made when `start` and there is none yet), or
        None for the agent's default thread."""
        if conversation:
            import letta_client as lc

            conversation = conversation.strip()
            try:
                found = await self.letta.conversations.retrieve(conversation)
            except (lc.NotFoundError, lc.UnprocessableEntityError):
                found = None
            if found is None or found.agent_id != agent_id:
                raise no_conversation(agent_id, conversation)
            return conversation
        if self.settings.conversation != "per-session":
            return None
        existing = self.request.session_thread(agent_id)
        if existing is not None or not start:
            return existing
        created = await self.letta.conversations.create(agent_id=agent_id, summary="letta-mcp session")
        self.request.remember_session_thread(agent_id, created.id)
        return str(created.id)

    async def check_block_scope(self, block_id: str) -> None:
        """A scoped caller reaches a block only through an agent in its scope."""
        if self.scope is None:
            return
        import letta_client as lc

        try:
            attached = await self.letta.blocks.agents.list(block_id, limit=100, include=["agent.tags"])
        except (lc.NotFoundError, lc.UnprocessableEntityError):
            raise out_of_scope(f"block {block_id}") from None  # missing and out of scope read the same
        if not any(self.holds(a.tags) for a in attached.items):
            raise out_of_scope(f"block {block_id}")
