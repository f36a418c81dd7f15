"""Catalog size: bytes of the tools/list result (compact JSON, as on the wire) for the default toolsets
and for all of them."""

from __future__ import annotations

import json
from typing import Any

import anyio
from mcp import Client

from letta_mcp.config import Settings
from letta_mcp.server import create_server


async def _size(settings: Settings) -> tuple[int, int]:
    async with Client(create_server(settings)) as client:
        result = await client.list_tools()
    data = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    return len(json.dumps(data, separators=(",", ":")).encode()), len(result.tools)


def measure() -> dict[str, Any]:
    # A Letta that is not there: the catalog is what the server lists on its own.
    default = anyio.run(_size, Settings(base_url="http://127.0.0.1:9"))
    every = anyio.run(_size, Settings(base_url="http://127.0.0.1:9", toolsets="all"))
    return {"default_bytes": default[0], "default_tools": default[1], "all_bytes": every[0], "all_tools": every[1]}
