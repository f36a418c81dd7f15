"""How HTTP callers authenticate: bearer tokens, pass-through keys, OAuth; each becomes a `Caller`.

Modes (``LETTA_MCP_AUTH``):

- ``none``: no authentication; only on a loopback address.
- ``token``: bearer tokens the operator configures, each with a name and optionally its own Letta API
  key, toolsets, read-only flag and agent scope (a tag). Compared in constant time, never logged.
- ``passthrough``: the caller's bearer token is their own Letta API key, used for their requests
  only. The server holds no key of its own.
- ``oauth``: an OAuth 2.1 resource server: JWTs verified against the issuer's published keys, whose
  scopes give the same limits a configured token has (`scoped_caller`).

The middleware attaches the `Caller` to the request (`callers.CALLER_KEY`); tools read it back with
`callers.caller_of` and never see how it was authenticated.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from mcp.server.auth.provider import AccessToken
from pydantic import BaseModel, Field, SecretStr, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from letta_mcp.core.callers import CALLER_KEY, Caller
from letta_mcp.core.config import Settings
from letta_mcp.transports.asgi import send_json
from letta_mcp.transports.keycheck import Limited

logger = logging.getLogger(__name__)


class TokenEntry(BaseModel):
    """One configured bearer token."""

    model_config = {"extra": "forbid"}

    name: str = Field(min_length=1, max_length=100)
    token: SecretStr = Field(min_length=16)
    letta_api_key: SecretStr | None = None
    toolsets: list[str] | None = None
    read_only: bool | None = None
    agent_tag: str | None = Field(None, min_length=1, max_length=200)

    def caller(self) -> Caller:
        return Caller(
            name=self.name,
            letta_api_key=self.letta_api_key.get_secret_value() if self.letta_api_key else None,
            toolsets=tuple(self.toolsets) if self.toolsets is not None else None,
            read_only=self.read_only,
            agent_tag=self.agent_tag,
        )


class AuthConfigError(ValueError):
    """The token configuration cannot be used; the message names the setting."""


def load_tokens(settings: Settings) -> list[TokenEntry]:
    """Tokens from LETTA_MCP_TOKENS (JSON) and/or LETTA_MCP_TOKENS_FILE (a JSON file): a list of entries."""
    raw: list[Any] = []
    if settings.tokens is not None:
        try:
            raw += json.loads(settings.tokens.get_secret_value())
        except json.JSONDecodeError as exc:
            raise AuthConfigError(f"LETTA_MCP_TOKENS is not valid JSON ({exc.msg})") from None
    if settings.tokens_file:
        try:
            raw += json.loads(Path(settings.tokens_file).read_text())
        except OSError as exc:
            raise AuthConfigError(f"LETTA_MCP_TOKENS_FILE cannot be read: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise AuthConfigError(f"LETTA_MCP_TOKENS_FILE is not valid JSON ({exc.msg})") from None
    try:
        entries = [TokenEntry.model_validate(item) for item in raw]
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise AuthConfigError(f"a token entry is invalid at {where!r}: {err['msg']}") from None
    if not entries:
        raise AuthConfigError("LETTA_MCP_AUTH=token needs tokens: set LETTA_MCP_TOKENS or LETTA_MCP_TOKENS_FILE")
    names = [e.name for e in entries]
    if len(set(names)) != len(names):
        raise AuthConfigError("token names must be unique")
    return entries


class TokenTable:
    """Bearer token → caller, by constant-time comparison of digests (every entry is compared)."""

    def __init__(self, entries: list[TokenEntry]) -> None:
        scopes = {e.agent_tag for e in entries if e.agent_tag}
        self._entries = [
            (
                hashlib.sha256(e.token.get_secret_value().encode()).digest(),
                dataclasses.replace(e.caller(), other_scopes=frozenset(scopes - {e.agent_tag})),
            )
            for e in entries
        ]

    async def caller(self, token: str) -> Caller | None:
        digest = hashlib.sha256(token.encode()).digest()
        found: Caller | None = None
        for known, caller in self._entries:
            if hmac.compare_digest(known, digest):
                found = caller
        return found


def bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            text = value.decode("latin-1")
            kind, _, token = text.partition(" ")
            if kind.lower() == "bearer" and token.strip():
                return str(token.strip())
    return None


class BearerAuth:
    """ASGI middleware for the `token` and `passthrough` modes: 401 without a valid bearer on /mcp."""

    def __init__(
        self,
        app: ASGIApp,
        authenticate: Callable[[str], Awaitable[Caller | Limited | None]],
        realm: str = "letta-mcp",
    ) -> None:
        self.app = app
        self.authenticate = authenticate
        self.realm = realm

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/mcp"):
            await self.app(scope, receive, send)
            return
        token = bearer(scope)
        caller = await self.authenticate(token) if token else None
        if isinstance(caller, Limited):
            wait = str(max(1, round(caller.retry_after)))
            body = {"error": "rate_limited", "error_description": f"too many new keys at once: retry in {wait} s"}
            await send_json(send, 429, body, [(b"retry-after", wait.encode())])
            return
        if caller is None:
            error = "invalid_token" if token else "invalid_request"
            challenge = f'Bearer realm="{self.realm}", error="{error}"'.encode()
            body = {"error": error, "error_description": "a valid bearer token is required"}
            await send_json(send, 401, body, [(b"www-authenticate", challenge)])
            return
        scope.setdefault("state", {})[CALLER_KEY] = caller
        await self.app(scope, receive, send)


class CallerToken(AccessToken):
    """The SDK's access token, carrying the caller it authenticates (read back by `callers.caller_of`)."""

    caller: Caller


def token_scopes(claims: dict[str, Any]) -> list[str]:
    """The scopes a JWT grants: `scope` (space-separated, RFC 8693/9068) or `scp` (a list, or a string)."""
    raw = claims.get("scope", claims.get("scp", ""))
    if isinstance(raw, str):
        return raw.split()
    return [str(s) for s in raw] if isinstance(raw, list) else []


def scoped_caller(name: str, scopes: list[str], prefix: str) -> tuple[Caller, list[str]]:
    """What an OAuth token may do, from its scopes (prefix `letta` by default), and the scopes granted:

    - `letta:read` reads; `letta:write` reads and writes.
    - `letta:agents:<tag>` reaches only agents tagged <tag> (like a token's `agent_tag`), `letta:agents:*`
      every agent. Exactly one is needed.
    - `letta:toolsets:<name>`, any number: only those toolsets (default: all the server serves).

    Least privilege: a token without read or write, or without exactly one agents scope, is granted
    nothing (the MCP endpoint answers 403 insufficient_scope).
    """
    mine = [s.removeprefix(prefix + ":") for s in scopes if s.startswith(prefix + ":")]
    writes = "write" in mine
    reads = writes or "read" in mine
    agents = [s.removeprefix("agents:") for s in mine if s.startswith("agents:")]
    toolsets = tuple(s.removeprefix("toolsets:") for s in mine if s.startswith("toolsets:"))
    nothing = Caller(name=name, read_only=True, toolsets=(), agent_tag="\x00none")
    if not reads or len(agents) != 1 or not agents[0]:
        return nothing, []
    tag = None if agents[0] == "*" else agents[0]
    granted = [f"{prefix}:read", *([f"{prefix}:write"] if writes else [])]
    return Caller(name=name, read_only=not writes, toolsets=toolsets or None, agent_tag=tag), granted


class JwtVerifier:
    """OAuth 2.1 resource server: accepts JWT access tokens signed by the issuer's published keys,
    issued by that issuer, for this server (audience), and not expired."""

    ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA")

    def __init__(self, settings: Settings) -> None:
        import jwt

        assert settings.oauth_issuer is not None
        self.prefix = settings.oauth_scope_prefix
        self.issuer = settings.oauth_issuer.rstrip("/")
        self.audience = settings.oauth_audience or settings.public_url
        jwks_url = settings.oauth_jwks_url or f"{self.issuer}/.well-known/jwks.json"
        # Keys come only from the cached key set, which expires: a key the issuer has removed is refused once
        # the set is fetched again (PyJWKClient's own per-key cache, cache_keys, never expires).
        self._keys = jwt.PyJWKClient(jwks_url, cache_keys=False, lifespan=settings.oauth_jwks_seconds, timeout=10)

    async def verify_token(self, token: str) -> Any:
        import anyio
        import jwt

        try:
            # Fetching the issuer's keys is blocking I/O (cached afterwards): keep it off the event loop.
            key = await anyio.to_thread.run_sync(self._keys.get_signing_key_from_jwt, token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=list(self.ALGORITHMS),
                audience=self.audience,
                issuer=[self.issuer, self.issuer + "/"],
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except Exception as exc:  # noqa: BLE001 — any failure is a rejected token; the reason is logged
            logger.info("rejected an OAuth token: %s", type(exc).__name__)
            return None
        client_id = str(claims.get("client_id") or claims.get("azp") or claims["sub"])
        caller, granted = scoped_caller(f"oauth:{client_id}", token_scopes(claims), self.prefix)
        if not granted:
            logger.info("an OAuth token for %s carries no usable %s: scopes", client_id, self.prefix)
        return CallerToken(
            token=token,
            client_id=client_id,
            scopes=granted,
            expires_at=int(claims["exp"]),
            resource=self.audience,
            subject=str(claims["sub"]),
            caller=caller,
        )


def server_auth(settings: Settings) -> dict[str, Any]:
    """What `create_server` needs to check OAuth tokens itself (the SDK takes it at construction; nothing
    for the other modes, whose bearer check wraps the app: `BearerAuth`)."""
    if settings.auth != "oauth":
        return {}
    from mcp.server.auth.settings import AuthSettings

    return {
        "token_verifier": JwtVerifier(settings),
        "auth": AuthSettings(
            issuer_url=settings.oauth_issuer,
            resource_server_url=settings.public_url,
            # A token needs at least this (see `scoped_caller`); the SDK answers 403 insufficient_scope.
            required_scopes=[f"{settings.oauth_scope_prefix}:read"],
            validate_token_resource=False,  # JwtVerifier checks the audience itself
        ),
    }
