"""The client's project folder: its first MCP root, asked once per connection.

Only handshake-era clients that declare roots are asked; from protocol 2026-07-28 roots are deprecated and
a server may not send requests. The App Server backend runs a local person's turns there (see
`backends.app.workspace`), through `state.Surface.client_root`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
import weakref
from typing import Any
from urllib.parse import unquote, urlsplit

import anyio

from letta_mcp.server.sdk import connection_of

logger = logging.getLogger(__name__)

ROOTS_WAIT = 2.0
"""How long the client's answer to roots/list may take before letta-mcp's own directory is used."""

_roots: weakref.WeakKeyDictionary[Any, str | None] = weakref.WeakKeyDictionary()
"""Per client connection: its first root as a local path (None: it gave none)."""


def _path_of(uri: str) -> str | None:
    parts = urlsplit(uri)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = unquote(parts.path)
    return path if os.path.isdir(path) else None


async def client_root(ctx: Any) -> str | None:
    """The client's first root as a local folder (None: it gave none, or cannot be asked)."""
    session = ctx.request_context.session
    connection = connection_of(session)
    try:
        return _roots[connection]
    except (KeyError, TypeError):
        pass
    found: str | None = None
    capabilities = getattr(session, "client_capabilities", None)
    from mcp_types.version import MODERN_PROTOCOL_VERSIONS

    if getattr(capabilities, "roots", None) is not None and ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
        try:
            with anyio.fail_after(ROOTS_WAIT), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # deprecated from 2026-07-28, which is never asked here
                listed = await session.list_roots()
            found = next((p for p in (_path_of(str(r.uri)) for r in listed.roots) if p), None)
        except Exception:  # no root: letta-mcp's own directory, as for a client without roots
            logger.debug("the client did not list its roots", exc_info=True)
    with contextlib.suppress(TypeError):  # a connection that cannot be weakly held is asked each time
        _roots[connection] = found
    return found


__all__ = ["client_root"]
