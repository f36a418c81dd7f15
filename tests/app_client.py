"""The App Server spoken to directly (not through letta-mcp): what tests read its state back with."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import websockets


class Direct:
    """Raw requests on a WebSocket of the test's own."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        rid = uuid.uuid4().hex
        await self.ws.send(json.dumps({"type": kind, "request_id": rid, **fields}))
        answer_type = "input_accepted" if kind == "input" else f"{kind}_response"
        with anyio.fail_after(30):
            while True:
                frame = json.loads(await self.ws.recv())
                if frame.get("request_id") == rid and frame.get("type") == answer_type:
                    return dict(frame)

    async def file(self, agent_id: str, path: str) -> str:
        return str((await self.request("read_memory_file", agent_id=agent_id, path=path))["content"])

    async def commits(self, agent_id: str, path: str = "") -> list[dict[str, Any]]:
        fields: dict[str, Any] = {"agent_id": agent_id, "limit": 50}
        if path:
            fields["file_path"] = path
        return list((await self.request("memory_history", **fields))["commits"])

    async def messages(self, agent_id: str, conversation: str = "default") -> list[dict[str, Any]]:
        answer = await self.request(
            "conversation_messages_list", conversation_id=conversation, query={"agent_id": agent_id, "limit": 100}
        )
        return list(answer["messages"])


@asynccontextmanager
async def direct(url: str, token: str | None = None) -> AsyncIterator[Direct]:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    async with websockets.connect(url.rstrip("/") + "/ws", additional_headers=headers, max_size=None) as ws:
        yield Direct(ws)
