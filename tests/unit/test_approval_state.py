"""The sealing of a question asked at protocol 2026-07-28 (the round trip itself is tested against the real
servers in tests/integration/test_approvals.py)."""

from __future__ import annotations

import pytest
from mcp.server.request_state import InvalidRequestState
from pydantic import SecretStr

from letta_mcp.core.config import Settings
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
