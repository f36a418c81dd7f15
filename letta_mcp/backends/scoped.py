"""What every backend must do with the caller's scope, written once: the lookups of agents, runs and
conversations within it, the tags a scoped caller may put on an agent, and the words a model reads
when something is missing, out of scope (which reads the same) or ambiguous.

A backend's toolset class subclasses `Scoped` and supplies only how it fetches: an agent by id, the
agents with a name, an agent's tags. It cannot skip a rule, because the lookups that apply them live
here and the backends call these, never their own copies (`tests/unit/test_structure.py` holds that).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from letta_mcp.core import scope as scope_rule
from letta_mcp.core.errors import InvalidInput, NotFound
from letta_mcp.core.state import RequestState

A = TypeVar("A")
"""An agent as the backend's own client has it."""


def agent_not_found(agent_id: str) -> NotFound:
    """A missing agent and another scope's read the same, naming nothing but what the caller gave."""
    return out_of_scope(f"agent {agent_id}")


def out_of_scope(what: str) -> NotFound:
    """What a caller reads for something outside its scope: the same as for something that does not exist."""
    return NotFound(f"Not found: {what}. Call list_agents to see the agents you can use.")


def no_agent_named(name: str) -> NotFound:
    return NotFound(f"No agent named {name!r}. Call list_agents to see the agents and their ids.")


def several_named(name: str, ids: Iterable[str]) -> InvalidInput:
    return InvalidInput(f"Several agents are named {name!r} ({', '.join(ids)}): pass the id instead of the name.")


def no_conversation(agent_id: str, conversation: str) -> NotFound:
    return NotFound(
        f"Agent {agent_id} has no conversation {conversation!r}. Call list_conversations to see its "
        "conversations, or omit conversation for its default thread."
    )


def empty_agent() -> InvalidInput:
    return InvalidInput("agent is empty: pass an agent's id or exact name (see list_agents).")


class Scoped(Generic[A]):
    """A toolset's implementation for one request, with the caller's scope rules. Subclasses supply how
    their backend fetches (`is_agent_id`, `fetch_agent`, `agents_named`, `agent_tags`, `agent_id_of`)."""

    request: RequestState

    # What a backend supplies.

    def is_agent_id(self, ref: str) -> bool:
        raise NotImplementedError

    async def fetch_agent(self, agent_id: str) -> A | None:
        """The agent with this id as the backend has it, or None when there is none."""
        raise NotImplementedError

    async def agents_named(self, name: str) -> list[A]:
        """The agents with exactly this name (the backend may narrow by scope tag; the rule is applied here)."""
        raise NotImplementedError

    def agent_tags(self, agent: A) -> list[str]:
        raise NotImplementedError

    def agent_id_of(self, agent: A) -> str:
        raise NotImplementedError

    # The rules.

    @property
    def scope(self) -> str | None:
        """When set, only agents with this tag (and no other scope's) exist for this caller."""
        return self.request.scope_tag

    def holds(self, tags: Iterable[str] | None) -> bool:
        """Whether an agent with `tags` is in this caller's scope (see `letta_mcp.core.scope`)."""
        return scope_rule.holds(self.scope, self.request.caller.other_scopes, tags)

    def holds_tool(self, tags: Iterable[str] | None) -> bool:
        """A thing another scope made (it carries that scope's tag) is not this caller's to use."""
        return not scope_rule.foreign(self.scope, self.request.caller.other_scopes, tags)

    def refuse_foreign(self, tags: Iterable[str] | None) -> None:
        """Refuse tags that would put an agent in another scope (see `letta_mcp.core.scope`)."""
        bad = scope_rule.foreign(self.scope, self.request.caller.other_scopes, tags)
        if bad:
            raise InvalidInput(
                f"tags {', '.join(repr(t)[:80] for t in bad[:5])} name another scope than yours ({self.scope!r}): "
                "leave them out. Nothing was changed."
            )

    def scope_tags(self, tags: list[str] | None = None) -> list[str] | None:
        """The tags an agent of this caller gets: `tags` (refused if one names another scope) plus the
        caller's scope tag, if it has one."""
        self.refuse_foreign(tags)
        return self.with_scope(tags)

    def with_scope(self, tags: list[str] | None = None) -> list[str] | None:
        """`tags` plus the caller's scope tag: what a look-up filters by. Nothing is refused: a filter naming
        another scope's tag finds nothing (`holds`), and refusing it would say which tags are other scopes'."""
        scope = self.scope
        if scope is None:
            return tags
        return [*(t for t in tags or [] if t != scope), scope]

    def in_scope(self, agent: A) -> bool:
        return self.holds(self.agent_tags(agent))

    async def agent_record(self, ref: str) -> A:
        """An agent by id or exact name, within the caller's scope: out of scope reads as not found."""
        ref = ref.strip()
        if not ref:  # an empty name would match every agent where a backend reads it as no filter
            raise empty_agent()
        if self.is_agent_id(ref):
            found = await self.fetch_agent(ref)
            if found is None or not self.in_scope(found):
                raise agent_not_found(ref)
            return found
        matches = [a for a in await self.agents_named(ref) if self.in_scope(a)]
        if not matches:
            raise no_agent_named(ref)
        if len(matches) > 1:
            raise several_named(ref, (self.agent_id_of(a) for a in matches))
        return matches[0]

    async def resolve_agent(self, ref: str) -> str:
        """An agent's id. An id is taken as it is when no scope must be checked (a wrong one fails on use)."""
        stripped = ref.strip()
        if stripped and self.scope is None and self.is_agent_id(stripped):
            return stripped
        return self.agent_id_of(await self.agent_record(stripped))

    async def check_agent_scope(self, agent_id: str) -> None:
        """Raise `NotFound` unless the agent exists and is the caller's."""
        if not self.is_agent_id(agent_id):
            raise agent_not_found(agent_id)
        await self.agent_record(agent_id)

    async def check_run_owner(self, agent_id: str | None, missing: NotFound) -> None:
        """A run is the caller's when its agent is: another scope's run reads exactly as a missing one
        (`missing`), naming neither the agent nor its scope."""
        if self.scope is None:
            return
        if not agent_id:
            raise missing
        try:
            await self.check_agent_scope(agent_id)
        except NotFound:
            raise missing from None


__all__ = [
    "Scoped",
    "agent_not_found",
    "empty_agent",
    "no_agent_named",
    "no_conversation",
    "out_of_scope",
    "several_named",
]
