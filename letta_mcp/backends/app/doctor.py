"""`letta-mcp doctor` for the App Server: reachable, token accepted, a model provider connected, the default
model there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import anyio
import httpx

from letta_mcp.backends.app.errors import describe
from letta_mcp.backends.app.socket import AppServerError, AppSocket, Disconnected, NoAnswer, http_url
from letta_mcp.core.config import Settings

Check = tuple[bool, str]
CONNECT = (
    "letta --backend local connect openai --api-key <key>  (or: anthropic <key>; "
    "openai-compatible --base-url http://host:port/v1)"
)


class Checked(Protocol):
    settings: Settings
    url: str
    socket: AppSocket

    def start(self, spawn: Callable[..., Any]) -> None: ...

    async def models(self) -> list[tuple[str, int | None]]: ...

    async def aclose(self) -> None: ...


async def diagnose(backend: Checked) -> list[Check]:
    settings = backend.settings
    try:
        async with httpx.AsyncClient(timeout=settings.connect_timeout + 5) as http:
            (await http.get(http_url(settings.base_url, "/healthz"))).raise_for_status()
    except Exception as exc:  # noqa: BLE001 — every failure is reported as a line
        return [
            (
                False,
                f"Letta's App Server unreachable at {backend.url} ({type(exc).__name__}): start it with "
                "`letta server --backend local`, or run `letta-mcp --local`",
            )
        ]
    lines: list[Check] = []
    async with anyio.create_task_group() as tasks:
        backend.start(tasks.start_soon)
        try:
            info = await backend.socket.request("app_server_info")
            lines.append(
                (
                    True,
                    f"Letta's App Server reachable at {backend.url} (Letta Code {info.get('letta_code_version', '?')})",
                )
            )
            handles = [h for h, _ in await backend.models()]
        except (Disconnected, NoAnswer, AppServerError) as exc:
            said = describe(exc, write=False)
            lines.append((False, str(said) if said else type(exc).__name__))
            handles = None
        finally:
            await backend.aclose()
            tasks.cancel_scope.cancel()
    if handles is None:
        return lines
    if not handles:
        lines.append((False, f"no model provider is connected, so agents cannot answer: run {CONNECT}"))
        return lines
    lines.append((True, f"a model provider is connected ({len(handles)} models)"))
    if settings.default_model in handles:
        lines.append((True, f"default model {settings.default_model} is available"))
    else:
        lines.append(
            (
                False,
                f"default model {settings.default_model} is not available: set LETTA_MCP_DEFAULT_MODEL to one of: "
                + ", ".join(handles[:5]),
            )
        )
    return lines
