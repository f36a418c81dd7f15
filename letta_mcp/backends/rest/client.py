"""The Letta clients letta-mcp makes: `letta-client` per credential, never retrying by itself (writes must
not repeat), and a plain JSON reader for the one read that runs before any tool is called.

That read is the lookup of exposed agents that follows the first tools/list. Through `letta-client` it
would import and build 10 MB of client (most of what an idle process would hold) before anyone asked for
anything; as a plain GET it needs only httpx, which the MCP SDK has loaded already. `letta-client` comes
with the first tool call.

Every client of a process shares one TLS context: loading the CA store costs about 2.5 MB, and a team
endpoint keeps a client per caller key. A plain-http Letta needs none, and its clients follow no
redirect (one to https would otherwise be followed without a context to check it with).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import httpx

from letta_mcp.core.config import Settings

if TYPE_CHECKING:
    import ssl

    from letta_client import AsyncLetta

LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
"""letta-client's own defaults, kept for the reader too."""


@cache
def tls_context() -> ssl.SSLContext:
    """The TLS context every client of this process verifies Letta with (made on first use)."""
    return httpx.create_ssl_context()


def http_options(settings: Settings) -> dict[str, Any]:
    """How every HTTP client of ours reaches Letta: timeouts, TLS, connection limits, redirects."""
    timeout = httpx.Timeout(settings.timeout, connect=settings.connect_timeout)
    if settings.base_url.startswith("https://"):
        return {"timeout": timeout, "verify": tls_context(), "limits": LIMITS, "follow_redirects": True}
    return {"timeout": timeout, "verify": False, "limits": LIMITS, "follow_redirects": False}


def api_key_of(settings: Settings, api_key: str | None) -> str | None:
    if api_key is None and settings.api_key is not None:
        return settings.api_key.get_secret_value()
    return api_key


def make_letta(settings: Settings, api_key: str | None = None) -> AsyncLetta:
    """A Letta client with `api_key` (default: LETTA_API_KEY). It never retries by itself: writes must not repeat."""
    from letta_client import AsyncLetta, DefaultAsyncHttpxClient

    options = http_options(settings)
    key = api_key_of(settings, api_key)
    letta = AsyncLetta(
        base_url=settings.base_url,
        api_key=key,
        timeout=options["timeout"],
        max_retries=0,
        http_client=DefaultAsyncHttpxClient(**options),
    )
    # Given no key, letta-client reads LETTA_API_KEY itself: a blank one (what an unset plugin or bundle option
    # becomes) would go out as "Bearer " and fail every request as unreachable. The settings have decided already.
    letta.api_key = key
    return letta


def status_error(response: httpx.Response) -> Exception:
    """The `letta-client` exception for an error answer (the same classes, message and body it would give)."""
    import letta_client as lc

    by_status: dict[int, type[lc.APIStatusError]] = {
        400: lc.BadRequestError,
        401: lc.AuthenticationError,
        403: lc.PermissionDeniedError,
        404: lc.NotFoundError,
        409: lc.ConflictError,
        422: lc.UnprocessableEntityError,
        429: lc.RateLimitError,
    }
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text or None
    error = by_status.get(response.status_code)
    if error is None:
        error = lc.InternalServerError if response.status_code >= 500 else lc.APIStatusError
    return error(f"Error code: {response.status_code} - {body}", response=response, body=body)


class Reader:
    """GETs that return Letta's JSON as it is, without `letta-client`; one connection pool for every caller
    (each request carries its caller's key). A failure is raised as `letta-client` would raise it, so it
    is worded and retried like any other."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._http: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(base_url=self.settings.base_url, **http_options(self.settings))
        return self._http

    async def get(self, path: str, params: dict[str, Any], api_key: str | None) -> Any:
        key = api_key_of(self.settings, api_key)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        try:
            response = await self._client().get(path, params=params, headers=headers)
        except httpx.TimeoutException as exc:
            from letta_client import APITimeoutError

            raise APITimeoutError(request=exc.request) from exc
        except httpx.TransportError as exc:
            from letta_client import APIConnectionError

            raise APIConnectionError(request=exc.request) from exc
        if response.is_error:
            raise status_error(response)
        return response.json()

    async def accepts(self, api_key: str) -> bool | None:
        """Whether Letta takes `api_key`, asked with the cheapest authenticated read (None: it could not be asked)."""
        headers = {"Authorization": f"Bearer {api_key}"}
        try:
            response = await self._client().get("/v1/agents/", params={"limit": 1}, headers=headers)
        except httpx.HTTPError:
            return None
        if response.status_code in (401, 403):
            return False
        return True if response.is_success else None

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()


__all__ = ["Reader", "http_options", "make_letta", "tls_context"]
