"""The steps some tools take in the same order on every backend, written once: a backend's toolset class
inherits the tool from here and fills in only the step that is its own (how it fetches or writes)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from letta_mcp.core import approvals
from letta_mcp.core.approvals import Answer
from letta_mcp.core.config import Settings
from letta_mcp.core.errors import InvalidInput, redact
from letta_mcp.core.models import NO_DETAIL, Agent, AgentList, Block, BlockEdit, Detail, MessageList, Reply
from letta_mcp.toolsets.agents import MemoryBlockIn, ToolRuleIn, UniqueBy
from letta_mcp.toolsets.memory import DEFAULT_READ_CHARS, Edit, page_of
from letta_mcp.toolsets.messages import Role

if TYPE_CHECKING:
    from letta_mcp.core.state import RequestState

MAX_ASKED = 20
"""The most tool calls of one turn asked of the person in one tool call (then the reply says what waits)."""

Order = Literal["newest_first", "oldest_first"]
MatchBy = Literal["name", "tags"]
"""How create_agent knows an agent is already there: by its name, or by carrying all the tags asked for."""


@dataclass(frozen=True)
class AgentQuery:
    """Which agents list_agents was asked for."""

    name: str | None
    tags: list[str] | None
    match_all_tags: bool
    query: str | None

    def has_tags(self, tags: list[str] | None) -> bool:
        """Whether an agent carrying `tags` has the tags asked for: all of them, or any one."""
        wanted, own = set(self.tags or []), set(tags or [])
        return not wanted or (wanted <= own if self.match_all_tags else bool(wanted & own))


class ListsAgents(ABC):
    """list_agents: the query as one record, then that backend's page of the caller's agents."""

    async def list_agents(
        self,
        name: str | None = None,
        tags: list[str] | None = None,
        match_all_tags: bool = False,
        query: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> AgentList:
        return await self.agents_page(AgentQuery(name, tags, match_all_tags, query), limit, cursor)

    @abstractmethod
    async def agents_page(self, query: AgentQuery, limit: int, cursor: str | None) -> AgentList:
        """Up to `limit` of the caller's agents matching `query`, after the agent `cursor`."""


@dataclass(frozen=True)
class AgentDraft:
    """What create_agent was asked to make, its tags already in the caller's scope."""

    name: str
    description: str | None
    memory_blocks: list[MemoryBlockIn]
    model: str | None
    embedding: str | None
    tools: list[str] | None
    tool_rules: list[ToolRuleIn] | None
    tags: list[str] | None
    context_window_limit: int | None
    sleeptime: bool
    secrets: dict[str, str] | None


class CreatesAgents(ABC):
    """create_agent: refuse what the backend cannot make, put the tags in scope, return the agent that
    already answers to the name (or tags) instead of a duplicate, and only then make one."""

    async def create_agent(
        self,
        name: str,
        description: str | None = None,
        memory_blocks: list[MemoryBlockIn] | None = None,
        model: str | None = None,
        embedding: str | None = None,
        tools: list[str] | None = None,
        tool_rules: list[ToolRuleIn] | None = None,
        tags: list[str] | None = None,
        context_window_limit: int | None = None,
        sleeptime: bool = False,
        secrets: dict[str, str] | None = None,
        unique_by: UniqueBy = "name",
    ) -> Agent:
        draft = AgentDraft(
            name,
            description,
            list(memory_blocks or []),
            model,
            embedding,
            tools,
            tool_rules,
            tags,
            context_window_limit,
            sleeptime,
            secrets,
        )
        self.refuse_unmade(draft)
        draft = replace(draft, tags=self.scope_tags(draft.tags))
        if unique_by == "tags" and not draft.tags:
            raise InvalidInput("unique_by='tags' needs tags: give the tags that identify this agent.")
        if unique_by != "none":
            existing = await self.existing_agent(draft, unique_by)
            if existing is not None:
                return existing
        return await self.make_agent(draft)

    @abstractmethod
    def scope_tags(self, tags: list[str] | None) -> list[str] | None: ...

    @abstractmethod
    def refuse_unmade(self, draft: AgentDraft) -> None:
        """Raise `InvalidInput` for what was asked that this backend cannot make."""

    @abstractmethod
    async def existing_agent(self, draft: AgentDraft, unique_by: MatchBy) -> Agent | None:
        """The caller's agent with the draft's name (or all its tags), marked existed=True; None if none."""

    @abstractmethod
    async def make_agent(self, draft: AgentDraft) -> Agent:
        """Make it, tell the request the agents changed, and return it marked existed=False."""


@dataclass(frozen=True)
class AgentChanges:
    """What update_agent was asked to change (None: left as it is), its tags already in the caller's scope."""

    name: str | None
    description: str | None
    model: str | None
    tags: list[str] | None
    context_window_limit: int | None
    system: str | None
    secrets: dict[str, str] | None
    sleeptime: bool | None = None

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class UpdatesAgents(ABC):
    """update_agent: refuse what the backend cannot change, put new tags in scope, refuse an empty change,
    and only then find the agent and change it."""

    changeable: tuple[str, ...]
    """The fields this backend can change, named in the error for an empty change."""

    async def update_agent(
        self,
        agent: str,
        name: str | None = None,
        description: str | None = None,
        model: str | None = None,
        tags: list[str] | None = None,
        context_window_limit: int | None = None,
        system: str | None = None,
        secrets: dict[str, str] | None = None,
        sleeptime: bool | None = None,
    ) -> Agent:
        changes = AgentChanges(name, description, model, tags, context_window_limit, system, secrets, sleeptime)
        self.refuse_unchangeable(changes)
        if tags is not None:
            changes = replace(changes, tags=self.scope_tags(tags))
        if not changes.given():
            raise InvalidInput(f"Nothing to change: pass at least one of {', '.join(self.changeable)}.")
        return await self.change_agent(await self.resolve_agent(agent), changes)

    @abstractmethod
    def scope_tags(self, tags: list[str] | None) -> list[str] | None: ...

    @abstractmethod
    async def resolve_agent(self, agent: str) -> str: ...

    @abstractmethod
    def refuse_unchangeable(self, changes: AgentChanges) -> None:
        """Raise `InvalidInput` for what was asked that this backend cannot change."""

    @abstractmethod
    async def change_agent(self, agent_id: str, changes: AgentChanges) -> Agent:
        """Change it, tell the request what changed, and return it as it is now."""


class SendsMessages(ABC):
    """send_message: the agent and its thread (starting one if asked), the wait, then that backend's turn."""

    async def send_message(
        self,
        agent: str,
        message: str,
        conversation: str | None = None,
        include_reasoning: bool = False,
        include_tool_calls: bool = False,
        wait_seconds: float | None = None,
    ) -> Reply:
        agent_id = await self.resolve_agent(agent)
        wait = self.settings.wait_seconds if wait_seconds is None else wait_seconds
        detail = Detail(include_reasoning, include_tool_calls)
        resumed = self.request.resumed_approval()
        if resumed is not None:
            # The retry of a call whose first round sent the message and asked the person: never send it again.
            reply = await self.answer(resumed.run_id, resumed.answer, wait, detail)
        else:
            thread = await self.thread(agent_id, conversation, start=True)
            reply = await self.deliver(agent_id, thread, message, wait, detail)
        return await self.asking(agent, reply, wait, detail)

    async def respond_to_approval(self, run_id: str, approve: bool, reason: str | None = None) -> Reply:
        wait = self.settings.wait_seconds
        resumed = self.request.resumed_approval()
        if resumed is not None:  # the person was asked about a further call of the same turn, or by a task
            wait = wait if resumed.wait is None else resumed.wait
            reply = await self.answer(resumed.run_id, resumed.answer, wait, NO_DETAIL)
            if not resumed.ask_next:
                return approvals.waiting(self.shown(reply))
        else:
            reply = await self.answer(run_id, Answer(approve, reason), wait, NO_DETAIL)
        return await self.asking(reply.agent_id, reply, wait, NO_DETAIL)

    async def asking(self, agent: str, reply: Reply, wait: float, detail: Detail) -> Reply:
        """While the turn waits on a tool call and the person can be asked in their own client: ask them and
        pass their answer on, one call at a time. Otherwise (or unanswered) the reply says what waits."""
        for _ in range(MAX_ASKED):
            reply = self.shown(reply)
            if reply.approval is None or reply.run_id is None:
                break
            answer = await self.request.ask_approval(agent, reply.approval, reply.run_id)
            if answer is None:
                break
            reply = await self.answer(reply.run_id, answer, wait, detail)
        return approvals.waiting(self.shown(reply))

    def shown(self, reply: Reply) -> Reply:
        """The reply with the waiting call's arguments as anyone may see them: no secret of the caller's."""
        if reply.approval is None:
            return reply
        arguments = redact(reply.approval.arguments, self.request.secrets())
        return reply.model_copy(update={"approval": reply.approval.model_copy(update={"arguments": arguments})})

    settings: Settings
    request: RequestState

    @abstractmethod
    async def resolve_agent(self, agent: str) -> str: ...

    @abstractmethod
    async def thread(self, agent_id: str, conversation: str | None, *, start: bool) -> str | None: ...

    @abstractmethod
    async def deliver(self, agent_id: str, thread: str | None, message: str, wait: float, detail: Detail) -> Reply:
        """Send it and follow the turn for up to `wait` seconds: the reply, or the run to fetch later."""

    @abstractmethod
    async def answer(self, run_id: str, answer: Answer, wait: float, detail: Detail) -> Reply:
        """Pass the person's answer to the tool call run `run_id` of the caller's waits on (`approvals.not_waiting`
        when it waits on none: nothing is sent), then follow the turn as `deliver` does."""


class ListsMessages(ABC):
    """list_messages: the agent and its thread (never starting one), then that backend's paging."""

    async def list_messages(
        self,
        agent: str,
        conversation: str | None = None,
        order: Order = "newest_first",
        roles: list[Role] | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> MessageList:
        agent_id = await self.resolve_agent(agent)
        thread = await self.thread(agent_id, conversation, start=False)
        return await self.messages_in(agent_id, thread, order, set(roles or ()), limit, cursor)

    @abstractmethod
    async def resolve_agent(self, agent: str) -> str: ...

    @abstractmethod
    async def thread(self, agent_id: str, conversation: str | None, *, start: bool) -> str | None: ...

    @abstractmethod
    async def messages_in(
        self, agent_id: str, thread: str | None, order: Order, wanted: set[Role], limit: int, cursor: str | None
    ) -> MessageList:
        """A page of the thread's messages of the `wanted` kinds (all when empty), `cursor` the last one
        of the page before."""


class ReadsBlocks(ABC):
    """get_block: the block found whole by that backend, then the page of its text asked for."""

    async def get_block(
        self,
        agent: str | None = None,
        label: str | None = None,
        block_id: str | None = None,
        offset: int = 0,
        max_chars: int = DEFAULT_READ_CHARS,
    ) -> Block:
        whole = await self.read_block(agent, label, block_id)
        piece, next_offset = page_of(whole.value, offset, max_chars)
        return whole.model_copy(
            update={"value": piece, "chars": len(whole.value), "offset": offset, "next_offset": next_offset}
        )

    @abstractmethod
    async def read_block(self, agent: str | None, label: str | None, block_id: str | None) -> Block:
        """The block with its whole text."""


class EditsBlocks(ABC):
    """edit_block: the edit checked for sense before any block is looked up, then that backend's write."""

    async def edit_block(
        self,
        agent: str | None = None,
        label: str | None = None,
        block_id: str | None = None,
        old_text: str | None = None,
        new_text: str | None = None,
        insert_text: str | None = None,
        line: int | None = None,
    ) -> BlockEdit:
        return await self.apply_edit(agent, label, block_id, Edit.of(old_text, new_text, insert_text, line))

    @abstractmethod
    async def apply_edit(self, agent: str | None, label: str | None, block_id: str | None, edit: Edit) -> BlockEdit:
        """Find the block, apply `edit` to its current text and write it (never a stale one)."""


__all__ = [
    "AgentChanges",
    "AgentDraft",
    "AgentQuery",
    "CreatesAgents",
    "EditsBlocks",
    "ListsAgents",
    "ListsMessages",
    "MatchBy",
    "Order",
    "ReadsBlocks",
    "SendsMessages",
    "UpdatesAgents",
]
