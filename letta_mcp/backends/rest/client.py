"""The Letta client letta-mcp makes: one per credential, never retrying by itself (writes must not repeat)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from letta_mcp.config import Settings

if TYPE_CHECKING:
    from letta_client import AsyncLetta


def make_letta(settings: Settings, api_key: str | None = None) -> AsyncLetta:
    """A Letta client with `api_key` (default: LETTA_API_KEY). It never retries by itself: writes must not repeat."""
    import httpx
    from letta_client import AsyncLetta

    timeout = httpx.Timeout(settings.timeout, connect=settings.connect_timeout)
    if api_key is None and settings.api_key is not None:
        api_key = settings.api_key.get_secret_value()
    return AsyncLetta(base_url=settings.base_url, api_key=api_key, timeout=timeout, max_retries=0)
