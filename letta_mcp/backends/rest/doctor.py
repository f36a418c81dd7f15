"""`letta-mcp doctor` for the REST backend: Letta reachable, credentials accepted, default handles exist."""

from __future__ import annotations

import httpx
import letta_client as lc

from letta_mcp.backends.rest.client import make_letta
from letta_mcp.core.config import Settings

Check = tuple[bool, str]


async def _reachable(settings: Settings, url: str) -> Check:
    try:
        async with httpx.AsyncClient(timeout=settings.connect_timeout + 5) as http:
            health = await http.get(settings.base_url + "/v1/health/")
            health.raise_for_status()
    except Exception as exc:  # noqa: BLE001 — every failure is reported as a line
        return False, f"Letta unreachable at {url} ({type(exc).__name__}): start the server or set LETTA_BASE_URL"
    json_body = health.headers.get("content-type", "").startswith("application/json")
    version = health.json().get("version", "?") if json_body else "?"
    return True, f"Letta reachable at {url} (version {version})"


async def _handles(letta: lc.AsyncLetta, settings: Settings) -> list[Check]:
    models = {m.handle for m in await letta.models.list() if m.handle}
    embeddings = {m.handle for m in await letta.models.embeddings.list() if m.handle}
    lines: list[Check] = []
    for kind, handle, known, var in (
        ("model", settings.default_model, models, "LETTA_MCP_DEFAULT_MODEL"),
        ("embedding", settings.default_embedding, embeddings, "LETTA_MCP_DEFAULT_EMBEDDING"),
    ):
        if handle in known:
            lines.append((True, f"default {kind} {handle} exists on this server"))
        else:
            some = ", ".join(sorted(known)[:5]) or "none"
            lines.append((False, f"default {kind} {handle} is not on this server: set {var} to one of: {some}"))
    return lines


async def diagnose(settings: Settings, url: str) -> list[Check]:
    reachable = await _reachable(settings, url)
    if not reachable[0]:
        return [reachable]
    lines = [reachable]
    letta = make_letta(settings)
    try:
        try:
            await letta.agents.list(limit=1)
        except lc.AuthenticationError:
            return [*lines, (False, "credentials rejected (401): set LETTA_API_KEY to a valid key")]
        lines.append((True, "credentials accepted" + (" (LETTA_API_KEY)" if settings.api_key else " (no key)")))
        lines += await _handles(letta, settings)
    finally:
        await letta.close()
    return lines
