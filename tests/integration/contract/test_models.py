"""Model handles on every backend: list_models, and create/update refusing a handle that points nowhere."""

from __future__ import annotations

import pytest

from tests.helpers import call, call_error
from tests.integration.contract.target import Target
from tests.stack.letta_stack import EMBEDDING

pytestmark = pytest.mark.anyio


async def test_list_models(target: Target) -> None:
    out = await call(target.mcp, "list_models")
    handles = {m["handle"]: m.get("context_window") for m in out["models"]}
    assert target.model in handles
    assert handles[target.model], "the context window comes with it"
    if target.kind == "rest":
        assert EMBEDDING in {m["handle"] for m in out["embeddings"]}
    else:
        assert sorted(handles) == ["openai-compatible/fake-model", "openai-compatible/fake-model-2"]
        assert out["embeddings"] == [], "no archival memory, so no embedding models"


async def test_unknown_model_handles_are_refused_with_the_closest(target: Target, uid: str) -> None:
    provider, _, model = target.model.partition("/")
    message = await call_error(target.mcp, "create_agent", name=f"{uid}-bad", model=f"openai/{model}")
    assert target.model in message, "the closest valid handle is named"
    assert "list_models" in message
    assert await target.read.agents_named(f"{uid}-bad") == [], "nothing was created"
    agent = await call(target.mcp, "create_agent", name=f"{uid}-ok")
    refused = await call_error(target.mcp, "update_agent", agent=agent["id"], model=f"{provider}/fake-modle")
    assert target.model in refused
    stored = await target.read.agent(agent["id"])
    assert stored is not None
    assert stored.model == agent["model"] == target.model, "unchanged"


async def test_a_default_model_that_points_nowhere_names_its_setting(target: Target, uid: str) -> None:
    async with target.connect(target.new_server(default_model="openai/gpt-4o-mini")) as client:
        message = await call_error(client, "create_agent", name=f"{uid}-default")
    assert "LETTA_MCP_DEFAULT_MODEL" in message
    assert target.model in message
    assert await target.read.agents_named(f"{uid}-default") == []
