"""Stopping an HTTP server without cutting calls: on SIGTERM (or Ctrl-C) in-flight MCP requests finish,
up to GRACE_SECONDS, while new ones are turned away with 503 and /readyz fails, so that a load balancer
sends them to another replica. uvicorn alone would close streamed (SSE) responses at once, and MCP tool
calls are streamed. A second signal stops at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

import uvicorn

from letta_mcp.asgi import send_json
from letta_mcp.config import Settings

logger = logging.getLogger(__name__)

GRACE_SECONDS = 30.0
"""How long in-flight calls get to finish on SIGTERM (below Kubernetes' default 30 s + our pod's 45 s)."""


class Drain:
    """In-flight MCP requests, and whether the server is draining them before it stops."""

    def __init__(self) -> None:
        self.active = 0
        self.draining = False


class DrainMiddleware:
    """Counts in-flight requests to /mcp; while draining, turns new ones away with 503 (another replica
    takes them) and makes /readyz fail, so a load balancer stops sending traffic here."""

    def __init__(self, app: Any, drain: Drain) -> None:
        self.app = app
        self.drain = drain

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not (path.startswith("/mcp") or path == "/readyz"):
            await self.app(scope, receive, send)
            return
        if self.drain.draining:
            await send_json(send, 503, {"error": "shutting down, retry"}, [(b"retry-after", b"1")])
            return
        self.drain.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.drain.active -= 1


def uvicorn_config(app: Any, settings: Settings) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # our stderr logging, configured once in cli
        timeout_graceful_shutdown=int(GRACE_SECONDS),
        server_header=False,
    )


class DrainingServer(uvicorn.Server):
    """uvicorn's server, which drains before it stops (see the module doc). As a worker (`ignore_sigint`),
    it leaves Ctrl-C to its supervisor, which stops it with SIGTERM: a terminal's Ctrl-C reaches the whole
    process group, and a second signal would otherwise cut its calls."""

    def __init__(
        self, config: uvicorn.Config, drain: Drain, grace: float = GRACE_SECONDS, *, ignore_sigint: bool = False
    ):
        super().__init__(config)
        self.drain = drain
        self.grace = grace
        self.ignore_sigint = ignore_sigint

    def handle_exit(self, sig: int, frame: Any) -> None:
        if self.ignore_sigint and sig == signal.SIGINT:
            return
        if self.drain.draining:
            super().handle_exit(sig, frame)
            return
        self.drain.draining = True
        logger.info("draining %d in-flight request(s) before stopping (up to %.0f s)", self.drain.active, self.grace)
        asyncio.get_event_loop().create_task(self._stop_when_drained(sig, frame))

    async def _stop_when_drained(self, sig: int, frame: Any) -> None:
        deadline = asyncio.get_event_loop().time() + self.grace
        while self.drain.active > 0 and asyncio.get_event_loop().time() < deadline:  # noqa: ASYNC110 — a counter
            await asyncio.sleep(0.05)
        super().handle_exit(sig, frame)


__all__ = ["GRACE_SECONDS", "Drain", "DrainMiddleware", "DrainingServer", "uvicorn_config"]
