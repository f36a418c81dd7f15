"""Files on the user's own machine, which only a stdio server can reach (it runs there; an HTTP one does not)."""

from __future__ import annotations

import anyio

from letta_mcp.core.config import Settings
from letta_mcp.core.errors import InvalidInput


def _local(settings: Settings, instead: str) -> None:
    if settings.transport != "stdio":
        raise InvalidInput(f"path works only on a stdio server (it must be on the user's machine): {instead}.")


async def read_local(path: str, settings: Settings, instead: str) -> bytes:
    """A local file's bytes, within LETTA_MCP_MAX_UPLOAD_BYTES."""
    _local(settings, instead)
    local = await anyio.Path(path).expanduser()
    if not await local.is_file():
        raise InvalidInput(f"No file at {path!r} on this machine.")
    limit = settings.max_upload_bytes
    if (await local.stat()).st_size > limit:
        raise InvalidInput(f"{path!r} is larger than {limit} bytes (LETTA_MCP_MAX_UPLOAD_BYTES).")
    return await local.read_bytes()


async def write_local(path: str, text: str, settings: Settings, instead: str) -> str:
    """Write `text` to a local file; its absolute path."""
    _local(settings, instead)
    local = await (await anyio.Path(path).expanduser()).absolute()
    await local.write_text(text, encoding="utf-8")
    return str(local)


def within_limit(data: bytes, settings: Settings) -> bytes:
    if len(data) > settings.max_upload_bytes:
        raise InvalidInput(
            f"It has {len(data)} bytes; the limit is {settings.max_upload_bytes} (LETTA_MCP_MAX_UPLOAD_BYTES)."
        )
    return data


__all__ = ["read_local", "within_limit", "write_local"]
