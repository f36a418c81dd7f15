"""The sealing of a question asked at protocol 2026-07-28 (the round trip itself is tested against the real
servers in tests/integration/test_approvals.py)."""

from __future__ import annotations

import pytest
from mcp.server.request_state import InvalidRequestState
from pydantic import SecretStr

from letta_mcp.core.config import Settings
from letta_mcp.core.models import Approval
from letta_mcp.server.approvals import STATE_SECONDS, state_security

A, B = "a" * 32, "b" * 32


def test_the_state_lasts_an_hour_and_replicas_with_the_same_keys_open_it() -> None:
    one, two = (
        state_security(Settings(state_keys=SecretStr(f"{A},{B}"))),
        state_security(Settings(state_keys=SecretStr(f"{A},{B}"))),
    )
    assert one.ttl == STATE_SECONDS == 3_600
    sealed = one.codec.seal(b"asked")
    assert two.codec.unseal(sealed) == b"asked"
    rotated = state_security(Settings(state_keys=SecretStr(f"{B},{A}")))
    assert rotated.codec.unseal(sealed) == b"asked", "the old key still opens during a rotation"
    retired = state_security(Settings(state_keys=SecretStr(B)))
    with pytest.raises(InvalidRequestState):
        retired.codec.unseal(sealed)


def test_without_keys_each_server_has_its_own() -> None:
    one, two = state_security(Settings()), state_security(Settings())
    with pytest.raises(InvalidRequestState):
        two.codec.unseal(one.codec.seal(b"asked"))


def test_a_task_answer_is_taken_only_for_the_call_it_waits_on() -> None:
    """tasks/update (Tasks extension): the form is keyed by the waiting call; answers under another key (a
    call answered already, one never asked) are ignored; a malformed answer under the right key is refused."""
    from letta_mcp.server.approvals import task_answer, task_input

    waiting = Approval(tool="Write", arguments='{"file_path": "/tmp/x"}', request_id="call_1")
    reply = {"agent_id": "agent-1", "run_id": "run-1", "stop_reason": "requires_approval"}
    asked = task_input(reply, waiting)
    assert list(asked) == ["approval-call_1"]
    assert asked["approval-call_1"]["method"] == "elicitation/create"
    assert "Write" in asked["approval-call_1"]["params"]["message"]

    allow = {"action": "accept", "content": {"decision": "allow", "reason": "ok"}}
    assert task_answer(waiting, {"approval-call_0": allow}) is None, "another call's answer is ignored"
    answer = task_answer(waiting, {"approval-call_1": allow})
    assert answer is not None
    assert (answer.approve, answer.reason, answer.request_id) == (True, "ok", "call_1")
    dismissed = task_answer(waiting, {"approval-call_1": {"action": "cancel"}})
    assert dismissed is not None
    assert dismissed.approve is False, "a dismissed form denies"
    with pytest.raises(ValueError, match="decision"):
        task_answer(waiting, {"approval-call_1": {"action": "accept", "content": {"decision": "maybe"}}})
    with pytest.raises(ValueError, match="not an elicitation result"):
        task_answer(waiting, {"approval-call_1": "yes"})
