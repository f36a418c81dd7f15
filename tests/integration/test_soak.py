"""A short soak in the test suite (the long one is `python -m bench.soak`): concurrent HTTP clients, mixed
reads and writes, no errors, every write in Letta exactly once, memory steady."""

from __future__ import annotations

import pytest

from bench.soak import run_soak
from tests.stack.letta_stack import Stack

pytestmark = pytest.mark.anyio


async def test_short_soak(stack: Stack) -> None:
    result = await run_soak(stack, clients=10, seconds=20)
    print(f"\n[soak] {result}")
    assert result["errors"] == 0, result["error_samples"]
    assert result["calls_measured"] > 100
    assert result["writes"] > 50
    assert result["duplicates"] == 0
    assert result["missing"] == 0
    assert result["rss_growth_pct"] < 25
