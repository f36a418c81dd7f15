"""Asking the person about a tool call their Letta agent waits on, in their own client (MCP elicitation).

Both protocol eras ask with the same form (allow or deny, and an optional reason):

- 2025-11-25 clients that declare elicitation are sent `elicitation/create` while the call runs. One who
  does not answer within `ASK_SECONDS` is not answered for: the reply says what waits.
- 2026-07-28 clients that declare it get the call's first round back as `input_required` with the form,
  and the request state (run and tool call, sealed by the SDK with `LETTA_MCP_STATE_KEYS` or a key of this
  process, and bound to the tool, its arguments and the caller); their retry brings the answer, which is
  passed on for the very call they were shown, and the turn goes on in the same tool call.

A person who declines or cancels the form denies the call. Clients that cannot ask get the reply saying
what waits, and respond_to_approval takes the answer later. Nothing is ever decided for them.
"""

from __future__ import annotations

import json
import logging
import secrets
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
    capabilities = getattr(ctx, "client_capabilities", None)
    return getattr(capabilities, "elicitation", None) is not None


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
    if _modern(ctx):
        if _elicits(ctx):
            raise AskOnRetry(agent, approval, run_id)
        return None
    if not _elicits(ctx):
        return None
    try:
        with anyio.fail_after(ASK_SECONDS):
            result = await ctx.elicit(approvals.question(agent, approval), schema=ApprovalForm)
    except TimeoutError:
        return None
    except Exception:
        # The client said it could elicit and then could not: the call stays waiting, answerable later.
        logger.warning("the client could not ask its user about a waiting tool call", exc_info=True)
        return None
    return _answer(result.data if result.action == "accept" else None, result.action)


def input_required(ask: AskOnRetry) -> InputRequiredResult:
    """The call's round that asks: the form, and what its retry needs to pass the answer on."""
    form = ElicitRequestFormParams(
        message=approvals.question(ask.agent, ask.approval) + f" (run {ask.run_id})",
        requested_schema=render_elicitation_schema(ApprovalForm),
    )
    state = {"kind": STATE_KIND, "agent": ask.agent, "run_id": ask.run_id, **ask.approval.model_dump()}
    return InputRequiredResult(input_requests={INPUT_KEY: ElicitRequest(params=form)}, request_state=json.dumps(state))


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
    form: ApprovalForm | None = None
    if response.action == "accept":
        try:
            form = ApprovalForm.model_validate(response.content or {})
        except ValidationError:
            raise AskOnRetry(str(state["agent"]), approval, run_id) from None
    return Resumed(run_id, _answer(form, response.action, approval.request_id))


__all__ = [
    "ASK_SECONDS",
    "STATE_SECONDS",
    "ApprovalForm",
    "ask_approval",
    "can_ask",
    "input_required",
    "resumed_approval",
    "state_security",
]
