"""Asking the person about a tool call their Letta agent waits on, in their own client (MCP elicitation).

Both protocol eras ask with the same form (allow or deny, and an optional reason):

- 2025-11-25 clients that declare elicitation are sent `elicitation/create` while the call runs. One who
  does not answer within `ASK_SECONDS` is not answered for: the reply says what waits.
- 2026-07-28 clients that declare it get the call's first round back as `input_required` with the form,
  and the request state (run and tool call, sealed by the SDK with `LETTA_MCP_STATE_KEYS` or a key of this
  process, and bound to the tool, its arguments and the caller); their retry brings the answer, which is
  passed on for the very call they were shown, and the turn goes on in the same tool call.

A call followed as an MCP task asks the standard way of each Tasks version: at 2025-11-25 the task is
`input_required` and its tasks/result sends `elicitation/create` naming the task (`for_task`); in the
2026-07-28 extension tasks/get carries the form as an `inputRequests` entry keyed by the waiting call, and
tasks/update brings the answer (`task_input`, `task_answer`).

A person who declines or cancels the form denies the call. Clients that cannot ask get the reply saying
what waits, and respond_to_approval takes the answer later. Nothing is ever decided for them.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal

import anyio
from mcp.server.elicitation import render_elicitation_schema
from mcp.server.request_state import RequestStateSecurity, authenticated_principal
from mcp_types import ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, Field, ValidationError

from letta_mcp.core import approvals
from letta_mcp.core.approvals import Answer, AskOnRetry, Resumed
from letta_mcp.core.callers import LOCAL, caller_of
from letta_mcp.core.config import Settings
from letta_mcp.core.models import Approval

logger = logging.getLogger(__name__)

ASK_SECONDS = 300.0
"""How long the person's answer may take before the turn is handed back, still waiting (2025-11-25)."""

STATE_SECONDS = 3_600.0
"""How long a 2026-07-28 client may take to come back with the answer (afterwards: respond_to_approval)."""

INPUT_KEY = "approval"
STATE_KIND = "letta-mcp/approval"
RELATED_TASK = "io.modelcontextprotocol/related-task"
TASK_KEY = "approval-"
"""A task's input request for a waiting call is keyed by it (`approval-<its id>`): unique for the task's life."""

_TASK: ContextVar[str | None] = ContextVar("letta_mcp_asking_task", default=None)


@contextmanager
def for_task(task_id: str) -> Iterator[None]:
    """Within it, the person is asked about the calls of task `task_id`: at 2025-11-25 the question names the
    task; at 2026-07-28 nobody is asked during the request (tasks/get shows the question instead)."""
    token = _TASK.set(task_id)
    try:
        yield
    finally:
        _TASK.reset(token)


class ApprovalForm(BaseModel):
    """What the person fills in."""

    decision: Literal["allow", "deny"] = Field(description="Allow the tool call, or deny it.")
    reason: str = Field("", max_length=2_000, description="Why (optional; the agent is told).")


DECLINED = "The user declined to allow this tool call."


def state_security(settings: Settings) -> RequestStateSecurity:
    """How the state of a question asked at 2026-07-28 is sealed: the configured keys (any replica holding
    them continues the call), else a key of this process; bound to the caller who was asked."""

    def principal(ctx: Any) -> str | None:
        # The SDK binds only its own access tokens; letta-mcp's static and passthrough tokens are callers of
        # its own, so the binding names the caller (its name, credential digest and scope) as well.
        caller = caller_of(ctx, settings)
        if caller is LOCAL:
            return None
        return json.dumps([caller.name, caller.cache_key, authenticated_principal(ctx)])

    keys: list[str | bytes] = [*settings.state_key_list()] or [secrets.token_bytes(32)]
    return RequestStateSecurity(keys=keys, ttl=STATE_SECONDS, bind_principal=principal)


def _elicits(ctx: Any) -> bool:
    # A tool's Context has the client's capabilities; a request handler's context has them on its session.
    capabilities = getattr(ctx, "client_capabilities", None)
    if capabilities is None and hasattr(ctx, "session"):
        capabilities = getattr(ctx.session, "client_capabilities", None)
    return getattr(capabilities, "elicitation", None) is not None


def elicits(ctx: Any) -> bool:
    """Whether this request's client declared it can show the person a form (either protocol era)."""
    return _elicits(ctx)


def _modern(ctx: Any) -> bool:
    return ctx.protocol_version in MODERN_PROTOCOL_VERSIONS


def can_ask(ctx: Any) -> bool:
    """Whether this request's client can be asked while the call runs: a 2025-11-25 client that declared
    elicitation."""
    return not _modern(ctx) and _elicits(ctx)


def _answer(result: ElicitResult | ApprovalForm | None, action: str, request_id: str | None = None) -> Answer:
    if action == "accept" and isinstance(result, ApprovalForm):
        return Answer(result.decision == "allow", result.reason.strip() or None, request_id)
    return Answer(False, DECLINED, request_id)


async def ask_approval(ctx: Any, agent: str, approval: Approval, run_id: str) -> Answer | None:
    """The person's answer (None: they cannot be asked here, or did not answer in time). Raises
    `AskOnRetry` at 2026-07-28, where the client asks between two rounds of this call."""
    task = _TASK.get()
    if _modern(ctx):
        if _elicits(ctx) and task is None:
            raise AskOnRetry(agent, approval, run_id)
        return None
    if not _elicits(ctx):
        return None
    try:
        with anyio.fail_after(ASK_SECONDS):
            if task is None:
                result = await ctx.elicit(approvals.question(agent, approval), schema=ApprovalForm)
                # Bound to the call they were shown: a late answer never goes to a later call of the turn.
                data = result.data if result.action == "accept" else None
                return _answer(data, result.action, approval.request_id)
            return await _ask_in_task(ctx, approvals.question(agent, approval), task, approval.request_id)
    except TimeoutError:
        return None
    except Exception:
        # The client said it could elicit and then could not: the call stays waiting, answerable later.
        logger.warning("the client could not ask its user about a waiting tool call", exc_info=True)
        return None


async def _ask_in_task(ctx: Any, message: str, task_id: str, request_id: str) -> Answer | None:
    """`elicitation/create` naming the task it is for (2025-11-25 Tasks)."""
    params = ElicitRequestFormParams.model_validate(
        {
            "message": message,
            "requestedSchema": render_elicitation_schema(ApprovalForm),
            "_meta": {RELATED_TASK: {"taskId": task_id}},
        }
    )
    # On the connection's own channel, not a request's: the question outlives the tasks/get that found it.
    result = await ctx.request_context.session.send_request(ElicitRequest(params=params), ElicitResult)
    form = _form(result)
    if result.action == "accept" and form is None:
        return None  # a form that is not the one asked: not an answer (the call stays waiting)
    return _answer(form, result.action, request_id)


def _form(result: ElicitResult) -> ApprovalForm | None:
    if result.action != "accept":
        return None
    try:
        return ApprovalForm.model_validate(result.content or {})
    except ValidationError:
        return None


def _form_request(agent: str, approval: Approval, run_id: str) -> ElicitRequest:
    form = ElicitRequestFormParams(
        message=approvals.question(agent, approval) + f" (run {run_id})",
        requested_schema=render_elicitation_schema(ApprovalForm),
    )
    return ElicitRequest(params=form)


def input_required(ask: AskOnRetry) -> InputRequiredResult:
    """The call's round that asks: the form, and what its retry needs to pass the answer on."""
    state = {"kind": STATE_KIND, "agent": ask.agent, "run_id": ask.run_id, **ask.approval.model_dump()}
    request = _form_request(ask.agent, ask.approval, ask.run_id)
    return InputRequiredResult(input_requests={INPUT_KEY: request}, request_state=json.dumps(state))


def waiting_call(reply: Mapping[str, Any]) -> Approval | None:
    """The call a run's reply (get_run's) waits on for the person, if it waits on one (Letta's REST API calls
    such a run completed, the App Server running: either way the turn goes on once they answer)."""
    raw = reply.get("approval")
    if reply.get("stop_reason") != "requires_approval" or not raw:
        return None
    return Approval.model_validate(raw)


def task_input(reply: Mapping[str, Any], approval: Approval) -> dict[str, Any]:
    """A task's `inputRequests` (Tasks extension): the form for the call it waits on, keyed by that call."""
    request = _form_request(str(reply.get("agent_id")), approval, str(reply.get("run_id")))
    return {TASK_KEY + approval.request_id: request.model_dump(by_alias=True, mode="json", exclude_none=True)}


def task_answer(approval: Approval, responses: Mapping[str, Any]) -> Answer | None:
    """The person's answer to the call a task waits on now, from a tasks/update's `inputResponses`. Answers
    under any other key (another call's, one answered already, one never asked) are ignored, as the extension
    says; an answer under the right key that is not an elicitation result is refused (`ValueError`)."""
    raw = responses.get(TASK_KEY + approval.request_id)
    if raw is None:
        return None
    try:
        result = ElicitResult.model_validate(raw)
    except ValidationError:
        raise ValueError(
            f"The answer under {TASK_KEY + approval.request_id!r} is not an elicitation result: send "
            '{"action": "accept", "content": {"decision": "allow" or "deny", "reason": "..."}}, or action '
            '"decline" or "cancel".'
        ) from None
    form = _form(result)
    if result.action == "accept" and form is None:
        raise ValueError('The form\'s content needs "decision": "allow" or "deny" (and an optional "reason").')
    return _answer(form, result.action, approval.request_id)


def resumed_approval(ctx: Any) -> Resumed | None:
    """The answer a retried call brings. A retry without a usable answer asks again (`AskOnRetry`)."""
    raw = getattr(ctx, "request_state", None)
    if not raw:
        return None
    # The SDK has unsealed it: only this server can have written it, for this tool, arguments and caller.
    state = json.loads(raw)
    if not isinstance(state, dict) or state.get("kind") != STATE_KIND:
        return None
    approval = Approval.model_validate({k: state[k] for k in ("tool", "arguments", "request_id")})
    run_id = str(state["run_id"])
    response = (getattr(ctx, "input_responses", None) or {}).get(INPUT_KEY)
    if not isinstance(response, ElicitResult):
        raise AskOnRetry(str(state["agent"]), approval, run_id)
    form = _form(response)
    if response.action == "accept" and form is None:
        raise AskOnRetry(str(state["agent"]), approval, run_id)
    return Resumed(run_id, _answer(form, response.action, approval.request_id))


__all__ = [
    "ASK_SECONDS",
    "RELATED_TASK",
    "STATE_SECONDS",
    "ApprovalForm",
    "ask_approval",
    "can_ask",
    "elicits",
    "for_task",
    "input_required",
    "resumed_approval",
    "state_security",
    "task_answer",
    "task_input",
    "waiting_call",
]
