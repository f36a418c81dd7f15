"""The messages toolset's REST-only parts against the real Letta server and the tests' fake model: Letta's
own tools in a turn, usage, and search_messages.

What both backends do with turns, runs and history is tested once for both in `contract/test_messages.py`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import call

pytestmark = pytest.mark.anyio


async def test_send_message_with_reasoning_tool_calls_and_usage(client: Any, letta: Any, uid: str) -> None:
    agent = await call(
        client,
        "create_agent",
        name=f"{uid}-tools",
        memory_blocks=[{"label": "human", "value": "", "description": "the user"}],
    )
    out = await call(
        client,
        "send_message",
        agent=agent["id"],
        message="note this [[think:I should store it]] "
        '[[tool:memory_insert {"label": "human", "new_string": "likes tea"}]]',
        include_reasoning=True,
        include_tool_calls=True,
    )
    assert out["reasoning"] == ["I should store it"]
    step = out["tool_calls"][0]
    assert step["name"] == "memory_insert"
    assert "likes tea" in step["arguments"]
    assert step["status"] == "success"
    assert out["reply"].startswith("tool said:")
    assert out["usage"]["total_tokens"] > 0
    block = await letta.agents.blocks.retrieve("human", agent_id=agent["id"])
    assert "likes tea" in block.value
