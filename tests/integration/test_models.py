"""Embedding handles (REST only: the App Server has no archival memory); model handles are tested on every
backend in `contract/test_models.py`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import call_error

pytestmark = pytest.mark.anyio


async def test_an_unknown_embedding_is_refused_with_the_closest(client: Any, letta: Any, uid: str) -> None:
    message = await call_error(client, "create_agent", name=f"{uid}-bad", embedding="openai/nope")
    assert "text-embedding" in message, "the closest valid handles are named"
    assert not (await letta.agents.list(name=f"{uid}-bad", limit=1)).items, "nothing was created"
