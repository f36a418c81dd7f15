"""Catalog size: the bytes of tool definitions a model reads (name, description and input schema, as
compact JSON) for the default toolsets, and the whole tools/list result on the wire (with titles,
output schemas, annotations and `_meta`), for the default toolsets and for all of them."""

from __future__ import annotations

import json
from typing import Any

import anyio
from mcp import Client

from letta_mcp.core.config import Settings
from letta_mcp.server import create_server


def _compact(data: Any) -> int:
    return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())


async def _size(settings: Settings) -> dict[str, int]:
    async with Client(create_server(settings)) as client:
        result = await client.list_tools()
    wire = _compact(result.model_dump(mode="json", by_alias=True, exclude_none=True))
    definitions = sum(
        _compact({"name": t.name, "description": t.description, "inputSchema": t.input_schema}) for t in result.tools
    )
    return {"tools": len(result.tools), "definitions_bytes": definitions, "wire_bytes": wire}


def measure() -> dict[str, Any]:
    # A Letta that is not there: the catalog is what the server lists on its own.
    default = anyio.run(_size, Settings(base_url="http://127.0.0.1:9"))
    every = anyio.run(_size, Settings(base_url="http://127.0.0.1:9", toolsets="all"))
    return {"default": default, "all": every}


if __name__ == "__main__":
    print(json.dumps(measure(), indent=1))
