"""Streamable HTTP: the Starlette app around the MCP server, with /healthz, /readyz and Host/Origin checks."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from letta_mcp import __version__
from letta_mcp.config import Settings

logger = logging.getLogger(__name__)

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]", "::1")


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """Allowed Host and Origin values: loopback names, the bound address, and what the operator adds."""
    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*", *settings.allowed_hosts]
    origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*", *settings.allowed_origins]
    if not is_loopback(settings.host) and settings.host not in ("0.0.0.0", "::"):
        hosts.append(f"{settings.host}:*")
        hosts.append(settings.host)
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def create_app(server: MCPServer[Any], settings: Settings) -> Starlette:
    """The ASGI app: MCP at /mcp (stateless, so replicas need no sticky sessions), plus probes."""

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    async def readyz(_: Request) -> Response:
        from letta_mcp.server import make_letta

        client = make_letta(settings)
        try:
            await client.agents.list(limit=1)
        except Exception as exc:  # noqa: BLE001 — any failure means not ready; the reason is logged
            logger.warning("readiness check failed: %s", type(exc).__name__)
            return JSONResponse(
                {"status": "unavailable", "letta": settings.base_url, "reason": type(exc).__name__}, status_code=503
            )
        finally:
            await client.close()
        return JSONResponse({"status": "ready", "letta": settings.base_url})

    app = server.streamable_http_app(
        streamable_http_path="/mcp",
        stateless_http=True,
        json_response=False,
        transport_security=transport_security(settings),
        host=settings.host,
    )
    app.router.routes.extend([Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])])
    return app


def serve(server: MCPServer[Any], settings: Settings) -> None:
    import uvicorn

    app = create_app(server, settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # our stderr logging, configured once in cli
        timeout_graceful_shutdown=30,
        server_header=False,
    )
    logger.info("serving MCP at http://%s:%d/mcp", settings.host, settings.port)
    uvicorn.Server(config).run()
