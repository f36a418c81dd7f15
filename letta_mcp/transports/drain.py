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
from uvicorn.protocols.http.h11_impl import H11Protocol

from letta_mcp.core.config import Settings
from letta_mcp.transports.asgi import send_json

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


def header_deadline(seconds: float) -> type[H11Protocol]:
    """uvicorn's HTTP/1.1 protocol, closing a connection that has not sent a request's headers within
    `seconds` of opening (uvicorn has no such limit: a client trickling its headers would hold a connection
    open as long as it likes). Between requests uvicorn's own keep-alive timeout applies."""

    class Protocol(H11Protocol):
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._header_timer = self.loop.call_later(seconds, self._headers_late)

        def _headers_late(self) -> None:
            if self.cycle is None and not self.transport.is_closing():
                logger.info("closed a connection that sent no request headers within %g s", seconds)
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.cycle is not None:
                self._header_timer.cancel()

        def connection_lost(self, exc: Exception | None) -> None:
            self._header_timer.cancel()
            super().connection_lost(exc)

    return Protocol


def uvicorn_config(app: Any, settings: Settings) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # our stderr logging, configured once in cli
        timeout_graceful_shutdown=int(GRACE_SECONDS),
        server_header=False,
        http=header_deadline(settings.header_timeout),
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=5,
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
