"""A tool call that waits for a person: the words both backends use, and the person's answer.

letta-mcp never approves or denies on anyone's behalf, and nothing is decided by a timeout: a client that
can ask its user (MCP elicitation) asks them; otherwise the reply says what waits and the model must ask
the person before calling respond_to_approval.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from letta_mcp.core.errors import InvalidInput
from letta_mcp.core.models import Approval, Reply, clip

ASKED_CHARS = 600
"""How much of a waiting call's arguments the person is shown."""


@dataclass(frozen=True)
class Answer:
    """What the person said: approve or deny, and why (told to the agent). `request_id`: the call they were
    shown, when the answer comes back later (a retry): it answers that call and no other."""

    approve: bool
    reason: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class Resumed:
    """The person's answer reaching respond_to_approval or send_message other than as their arguments: a
    retried tool call bringing the answer to what its first round asked (protocol 2026-07-28), or a task's
    input (`given`). `wait`: how long the call follows the turn afterwards (None: the usual)."""

    run_id: str
    answer: Answer
    wait: float | None = None
    ask_next: bool = True
    """Whether the call asks the person about the turn's next waiting call itself (a task does not: its
    tasks/get and tasks/result do, one question at a time)."""


_GIVEN: ContextVar[Resumed | None] = ContextVar("letta_mcp_given_answer", default=None)


@contextmanager
def given(resumed: Resumed) -> Iterator[None]:
    """Within it, respond_to_approval passes on this answer, bound to the call the person was shown (a task's
    input: its tasks/result or tasks/update carries no tool arguments of its own)."""
    token = _GIVEN.set(resumed)
    try:
        yield
    finally:
        _GIVEN.reset(token)


def given_answer() -> Resumed | None:
    return _GIVEN.get()


class AskOnRetry(Exception):  # a signal, not a failure: the MCP surface turns it into input_required
    """The person can be asked, but only by the client between two rounds of the same tool call (protocol
    2026-07-28, where a server sends no requests): the call ends asking, and its retry brings the answer."""

    def __init__(self, agent: str, approval: Approval, run_id: str) -> None:
        super().__init__(f"asking about {approval.tool} in run {run_id}")
        self.agent = agent
        self.approval = approval
        self.run_id = run_id


def waiting_note(approval: Approval, run_id: str | None) -> str:
    return (
        f"The agent wants to run {approval.tool} {clip(approval.arguments, 300)}, which needs a person's approval, "
        "and waits; letta-mcp never approves on anyone's behalf. Ask the user whether to allow it, then call "
        f"respond_to_approval with run_id={run_id!r} and their answer (never answer for them). Until then the "
        "agent takes no new message in this thread."
    )


def question(agent: str, approval: Approval) -> str:
    """What the person is asked."""
    return (
        f"Letta agent {agent!r} wants to run the tool {approval.tool} with {clip(approval.arguments, ASKED_CHARS)}. "
        "Allow it?"
    )


STOPPED = Answer(approve=False, reason="The user stopped this turn (letta-mcp never approves tools).")
"""What cancel_run answers for a turn that waits on an approval: stopping a turn refuses its pending call, on
every backend (Letta takes no new message while one waits)."""
REFUSED_WAIT = 5.0
"""How long cancel_run lets a turn go on after refusing its call before stopping it outright."""


def denied_reason(answer: Answer) -> str:
    return answer.reason or "The user denied this tool call."


NOT_WAITING = "is not waiting for an approval"


def not_waiting(run_id: str) -> InvalidInput:
    return InvalidInput(
        f"Run {run_id!r} {NOT_WAITING} (it was answered already, or never asked): nothing was "
        "sent. Call get_run to see where it stands."
    )


def check_answered(answer: Answer, run_id: str, request_id: str) -> None:
    """Refuse an answer given to another call than the one the run waits on now (`not_waiting`)."""
    if answer.request_id is not None and answer.request_id != request_id:
        raise not_waiting(run_id)


def waiting(reply: Reply) -> Reply:
    """The reply, saying what waits when it does."""
    if reply.approval is None:
        return reply
    return reply.model_copy(
        update={"stop_reason": "requires_approval", "note": waiting_note(reply.approval, reply.run_id)}
    )


__all__ = [
    "ASKED_CHARS",
    "NOT_WAITING",
    "Answer",
    "AskOnRetry",
    "Resumed",
    "check_answered",
    "denied_reason",
    "given",
    "given_answer",
    "not_waiting",
    "question",
    "waiting",
    "waiting_note",
]
