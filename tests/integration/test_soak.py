"""A short soak in the test suite (the long one is `python -m bench.soak`): concurrent HTTP clients sharing
agents and one block, mixed reads and writes, no errors, every kind of write checked and each in Letta
exactly once, memory steady."""

from __future__ import annotations

import pytest

from bench.soak import run_soak
from tests.stack.letta_stack import Stack

pytestmark = pytest.mark.anyio


async def test_short_soak(stack: Stack) -> None:
    result = await run_soak(stack, clients=10, seconds=20, message_every=7)
    print(f"\n[soak] {result}")
    assert result["errors"] == 0, result["error_samples"]
    assert result["agents"] < 10, "clients share agents"
    checked = result["writes_checked"]
    assert all(n > 0 for n in checked.values()), f"every kind of write was checked at least once: {checked}"
    assert result["duplicates"] == 0
    assert result["missing"] == 0
    assert result["rss_growth_pct"] < 25
