"""The App Server's `memory_updated` push names files, not the agent whose memory they are: it becomes
resource updates only for the person at their own machine, never behind authentication, where a guess
would tell one team when another's memory changed."""

from __future__ import annotations

import json

import pytest

from letta_mcp.backends.app import AppBackend
from letta_mcp.core.config import Settings

pytestmark = pytest.mark.anyio

PUSH = {"type": "memory_updated", "affected_paths": ["human.md"]}


async def _pushed(settings: Settings) -> list[str]:
    backend = AppBackend(settings)
    backend.turns.start("agent-local-x", "local-conv-1").finished.set()
    heard: list[str] = []

    async def changed(uris: list[str]) -> None:
        heard.extend(uris)

    backend.watch(changed)
    await backend._on_push(PUSH)
    return heard


async def test_a_push_reaches_the_local_user() -> None:
    heard = await _pushed(Settings(base_url="ws://127.0.0.1:9"))
    assert heard == ["letta://agents/agent-local-x", "letta://agents/agent-local-x/blocks/human"]


async def test_a_push_is_not_guessed_at_behind_authentication() -> None:
    tokens = json.dumps([{"name": "x", "token": "x" * 20, "agent_tag": "team:x"}])
    settings = Settings(base_url="ws://127.0.0.1:9", transport="http", auth="token", tokens=tokens)
    assert await _pushed(settings) == []
