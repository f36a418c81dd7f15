"""The agents toolset's REST-only arguments against the real Letta server: state is read back with the Letta SDK.

What both backends do with agents is tested once for both in `contract/test_agents.py`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import call

pytestmark = pytest.mark.anyio


async def test_create_agent_with_described_blocks_rules_and_secrets(client: Any, letta: Any, uid: str) -> None:
    out = await call(
        client,
        "create_agent",
        name=f"{uid}-helper",
        description="helps with tests",
        memory_blocks=[
            {"label": "persona", "value": "I am careful.", "description": "who I am", "limit": 4000},
            {"label": "project", "value": "", "description": "the project's conventions"},
        ],
        tags=[uid, "project:x"],
        tools=["conversation_search"],
        tool_rules=[{"type": "exit_loop", "tool": "conversation_search"}],
        context_window_limit=16000,
        secrets={"SERVICE_TOKEN": "s3cret-value"},
    )
    assert out["existed"] is False
    assert out["name"] == f"{uid}-helper"
    state = await letta.agents.retrieve(out["id"], include=["agent.blocks", "agent.tags", "agent.secrets"])
    assert sorted(state.tags) == sorted([uid, "project:x"])
    blocks = {b.label: b for b in state.blocks}
    assert blocks["persona"].description == "who I am"
    assert blocks["persona"].limit == 4000
    assert blocks["project"].description == "the project's conventions"
    assert state.llm_config.context_window == 16000
    assert [s.key for s in state.secrets] == ["SERVICE_TOKEN"]
    assert any(r.tool_name == "conversation_search" and r.type == "exit_loop" for r in state.tool_rules)
    # What the model sees: labels and sizes, secret names but never values.
    assert {b["label"] for b in out["blocks"]} == {"persona", "project"}
    assert out["secrets"] == ["SERVICE_TOKEN"]
    assert "s3cret-value" not in str(out)
    assert {"type": "exit_loop", "tool": "conversation_search"} in out["tool_rules"]
