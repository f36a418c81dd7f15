"""Streamable HTTP: the Starlette app around the MCP server, with /healthz, /readyz and Host/Origin checks."""

from __future__ import annotations

import ipaddress
import logging

from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from letta_mcp._version import __version__
from letta_mcp.core.config import Settings, backend_kind, shown_url
from letta_mcp.server import LettaServer, backend_for
from letta_mcp.transports.auth import AuthConfigError, BearerAuth, TokenTable, load_tokens
from letta_mcp.transports.keycheck import KeyCheck

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


def create_app(server: LettaServer, settings: Settings) -> ASGIApp:
    """The ASGI app: MCP at /mcp (stateless, so replicas need no sticky sessions, unless LETTA_MCP_HTTP_SESSIONS
    keeps sessions for 2025-11-25 clients), plus probes."""

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    async def readyz(_: Request) -> Response:
        """Letta answers, with the server's own credentials when it has any. The probe needs no token, so it
        names neither Letta's address nor the reason (both are logged)."""
        try:
            await server.backend.ready()
        except Exception as exc:  # noqa: BLE001 — any failure means not ready; the reason is logged
            logger.warning("readiness check failed: %s", type(exc).__name__)
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    app = server.streamable_http_app(
        streamable_http_path="/mcp",
        stateless_http=not settings.http_sessions,
        json_response=False,
        transport_security=transport_security(settings),
        host=settings.host,
        max_request_body_size=settings.max_request_bytes,
    )
    app.router.routes.extend([Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])])
    if settings.auth == "token":
        table = TokenTable(load_tokens(settings))
        return BearerAuth(app, table.caller)
    if settings.auth == "passthrough":
        return BearerAuth(app, KeyCheck(server.backend.accepts_key, settings.new_keys_per_minute).caller)
    return app


def check_letta_checks_keys(settings: Settings) -> None:
    """Passthrough lets Letta judge each caller's key, so Letta must judge: a Letta without a password takes
    any key, and every bearer would reach everything. Asked with a made-up key before serving, the way each
    caller's key is asked later (`keycheck`); a Letta that cannot be asked refuses the start too (it is
    retried by whatever restarts the server)."""
    import secrets

    import anyio

    async def ask() -> bool | None:
        backend = backend_for(settings)
        try:
            return await backend.accepts_key("letta-mcp-probe-" + secrets.token_hex(16))
        finally:
            await backend.aclose()

    accepted = anyio.run(ask)
    if accepted is None:
        raise AuthConfigError(
            f"LETTA_MCP_AUTH=passthrough must first check that Letta at {shown_url(settings.base_url)} refuses "
            "unknown keys, and it could not be asked: start Letta first"
        )
    if accepted:
        raise AuthConfigError(
            f"refusing LETTA_MCP_AUTH=passthrough: Letta at {shown_url(settings.base_url)} accepted a made-up key "
            "(it runs without a password), so any bearer would reach every agent. Give Letta a password "
            "(SECURE=true and LETTA_SERVER_PASSWORD) or use LETTA_MCP_AUTH=token"
        )


def check_http_settings(settings: Settings) -> None:
    """Refuse unsafe or incomplete HTTP settings before binding (AuthConfigError names the setting)."""
    if settings.auth == "none" and not is_loopback(settings.host):
        raise AuthConfigError(
            f"refusing to serve HTTP on {settings.host} without authentication: set LETTA_MCP_AUTH to token, "
            "passthrough or oauth, or bind a loopback address (LETTA_MCP_HOST=127.0.0.1)"
        )
    tokens = load_tokens(settings) if settings.auth == "token" else []
    own_keys = settings.auth == "passthrough" or any(entry.letta_api_key is not None for entry in tokens)
    if own_keys and backend_kind(settings) == "app":
        raise AuthConfigError(
            "callers' own Letta keys (LETTA_MCP_AUTH=passthrough, a token's letta_api_key) need Letta's REST API: "
            "the App Server backend keeps one connection, with LETTA_API_KEY as its token"
        )
    if settings.http_sessions and settings.workers > 1:
        raise AuthConfigError(
            "LETTA_MCP_HTTP_SESSIONS keeps each client session in one process: serve it with one worker "
            "(and sticky sessions across replicas)"
        )
    if settings.conversation == "per-session":
        raise AuthConfigError(
            "LETTA_MCP_CONVERSATION=per-session needs a client session that lasts, as stdio has; stateless HTTP "
            "has none: pass conversation ids instead (create_conversation)"
        )
    if settings.auth == "passthrough":
        check_letta_checks_keys(settings)
    if settings.auth == "oauth" and not (settings.oauth_issuer and settings.public_url):
        raise AuthConfigError("LETTA_MCP_AUTH=oauth needs LETTA_MCP_OAUTH_ISSUER and LETTA_MCP_PUBLIC_URL")
