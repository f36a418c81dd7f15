"""Model handles: list_models, and create/update refusing a handle that points nowhere."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from letta_mcp.server import create_server
from tests.conftest import settings_for
from tests.helpers import call, call_error
from tests.stack.letta_stack import Stack

pytestmark = pytest.mark.anyio


async def test_list_models(client: Any, stack: Stack) -> None:
    out = await call(client, "list_models")
    handles = {m["handle"]: m.get("context_window") for m in out["models"]}
    assert stack.model in handles
    assert handles[stack.model], "the context window comes with it"
    assert stack.embedding in {m["handle"] for m in out["embeddings"]}


async def test_unknown_handles_are_refused_with_the_closest(client: Any, letta: Any, uid: str) -> None:
    message = await call_error(client, "create_agent", name=f"{uid}-bad", model="openai/fake-model")
    assert "openai-proxy/fake-model" in message, "the closest valid handle is named"
    assert "list_models" in message
    assert not (await letta.agents.list(name=f"{uid}-bad", limit=1)).items, "nothing was created"
    bad_embedding = await call_error(client, "create_agent", name=f"{uid}-bad2", embedding="openai/nope")
    assert "text-embedding" in bad_embedding
    agent = await call(client, "create_agent", name=f"{uid}-ok")
    refused = await call_error(client, "update_agent", agent=agent["id"], model="openai-proxy/fake-modle")
    assert "openai-proxy/fake-model" in refused
    assert (await letta.agents.retrieve(agent["id"])).llm_config.handle == agent["model"], "unchanged"


async def test_a_default_model_that_points_nowhere_names_its_setting(stack: Stack, uid: str) -> None:
    async with Client(create_server(settings_for(stack, default_model="openai/gpt-4o-mini"))) as client:
        message = await call_error(client, "create_agent", name=f"{uid}-default")
    assert "LETTA_MCP_DEFAULT_MODEL" in message
    assert "openai-proxy/fake-model" in message
