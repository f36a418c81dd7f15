"""Who is calling, and with which Letta credentials: bearer tokens, pass-through keys, OAuth, and the pool.

Modes (``LETTA_MCP_AUTH``):

- ``none``: no authentication; only on a loopback address.
- ``token``: bearer tokens the operator configures, each with a name and optionally its own Letta API
  key, toolsets, read-only flag and agent scope (a tag). Compared in constant time, never logged.
- ``passthrough``: the caller's bearer token is their own Letta API key, used for their requests
  only. The server holds no key of its own.
- ``oauth``: an OAuth 2.1 resource server: JWTs verified against the issuer's published keys.

Every Letta client is pooled per credential (bounded, idle ones closed), so one caller's key never
serves another's request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, SecretStr, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from letta_client import AsyncLetta

    from letta_mcp.config import Settings

logger = logging.getLogger(__name__)

SCOPE_KEY = "letta_mcp_caller"


@dataclass(frozen=True)
class Caller:
    """One caller's view of Letta: its name (for logs), credentials and limits."""

    name: str
    letta_api_key: str | None = None
    """None: the server's own LETTA_API_KEY."""
    toolsets: tuple[str, ...] | None = None
    read_only: bool | None = None
    agent_tag: str | None = None
    """When set, the caller sees and touches only agents carrying this tag."""

    def __repr__(self) -> str:
        return f"Caller({self.name!r}, scope={self.agent_tag!r})"

    @property
    def pool_key(self) -> str:
        return hashlib.sha256((self.letta_api_key or "").encode()).hexdigest()

    @property
    def cache_key(self) -> str:
        """What per-caller caches are keyed by: the credential and the scope."""
        return f"{self.pool_key[:16]}:{self.agent_tag or ''}"


LOCAL = Caller("local")


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
        self._entries = [(hashlib.sha256(e.token.get_secret_value().encode()).digest(), e.caller()) for e in entries]

    def caller(self, token: str) -> Caller | None:
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

    def __init__(self, app: ASGIApp, authenticate: Callable[[str], Caller | None], realm: str = "letta-mcp") -> None:
        self.app = app
        self.authenticate = authenticate
        self.realm = realm

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/mcp"):
            await self.app(scope, receive, send)
            return
        token = bearer(scope)
        caller = self.authenticate(token) if token else None
        if caller is None:
            error = "invalid_token" if token else "invalid_request"
            body = json.dumps({"error": error, "error_description": "a valid bearer token is required"}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"www-authenticate", f'Bearer realm="{self.realm}", error="{error}"'.encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        scope.setdefault("state", {})[SCOPE_KEY] = caller
        await self.app(scope, receive, send)


def passthrough_caller(token: str) -> Caller:
    return Caller(name="key:" + hashlib.sha256(token.encode()).hexdigest()[:8], letta_api_key=token)


def caller_of(request_context: Any, settings: Settings) -> Caller:
    """The caller of a request: set by BearerAuth, or from the OAuth access token, or the local user."""
    request = getattr(request_context, "request", None)
    state = getattr(request, "scope", {}).get("state", {}) if request is not None else {}
    caller = state.get(SCOPE_KEY) if isinstance(state, dict) else None
    if isinstance(caller, Caller):
        return caller
    if settings.auth == "oauth" and request is not None:
        from mcp.server.auth.middleware.auth_context import get_access_token

        token = get_access_token()
        if token is not None:
            return Caller(name=f"oauth:{token.client_id}")
    return LOCAL


class ClientPool:
    """One Letta client per credential, at most `size`, closed after `idle_seconds` unused."""

    def __init__(self, factory: Callable[[str | None], AsyncLetta], size: int = 32, idle_seconds: float = 600) -> None:
        self._factory = factory
        self._size = size
        self._idle = idle_seconds
        self._clients: OrderedDict[str, tuple[AsyncLetta, float]] = OrderedDict()
        self._closing: list[AsyncLetta] = []

    def get(self, caller: Caller) -> AsyncLetta:
        now = time.monotonic()
        key = caller.pool_key
        entry = self._clients.pop(key, None)
        client = entry[0] if entry else self._factory(caller.letta_api_key)
        self._clients[key] = (client, now)
        for stale_key, (stale, used) in list(self._clients.items()):
            if (len(self._clients) > self._size or now - used > self._idle) and stale_key != key:
                del self._clients[stale_key]
                self._closing.append(stale)
        return client

    def has_evicted(self) -> bool:
        return bool(self._closing)

    def __len__(self) -> int:
        return len(self._clients)

    async def close_evicted(self) -> None:
        closing, self._closing = self._closing, []
        for client in closing:
            await client.close()

    async def aclose(self) -> None:
        await self.close_evicted()
        for client, _ in self._clients.values():
            await client.close()
        self._clients.clear()


class JwtVerifier:
    """OAuth 2.1 resource server: accepts JWT access tokens signed by the issuer's published keys,
    issued by that issuer, for this server (audience), and not expired."""

    ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA")

    def __init__(self, settings: Settings) -> None:
        import jwt

        assert settings.oauth_issuer is not None
        self.issuer = settings.oauth_issuer.rstrip("/")
        self.audience = settings.oauth_audience or settings.public_url
        jwks_url = settings.oauth_jwks_url or f"{self.issuer}/.well-known/jwks.json"
        self._keys = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=10)

    async def verify_token(self, token: str) -> Any:
        import anyio
        import jwt
        from mcp.server.auth.provider import AccessToken

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
        scope = claims.get("scope") or ""
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id") or claims.get("azp") or claims["sub"]),
            scopes=scope.split() if isinstance(scope, str) else list(scope),
            expires_at=int(claims["exp"]),
            resource=self.audience,
            subject=str(claims["sub"]),
        )
