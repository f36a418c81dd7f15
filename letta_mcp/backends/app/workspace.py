"""Where an App Server runtime runs, and what its agent's device tools may do there without asking.

Letta Code's agents carry device tools (Read, Bash, Write, ...) that run on the App Server's machine. For
the person at their own machine (no authentication: stdio, or HTTP on loopback) that is the point: the
runtime uses Letta Code's `standard` permission mode (reads in the working directory run, the rest asks)
in the client's own project folder (its first MCP root, else letta-mcp's working directory).

An endpoint with authentication serves other people, who must not reach the host through an agent: its
runtimes use the `strict` mode, where every tool call asks for approval (and letta-mcp never approves on
anyone's behalf), in a working directory of each scope's own under `LETTA_MCP_APP_WORKSPACES`, never
letta-mcp's, with Letta Code's reflection turned off there (its subagent runs with every tool allowed).
Leaving the device tools out instead would also take away the agent's memory tools, which `strict` keeps
behind the same question.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from pathlib import Path
from typing import Any

from letta_mcp.backends.app.socket import AppSocket
from letta_mcp.core.config import Settings
from letta_mcp.core.state import RequestState

logger = logging.getLogger(__name__)

LOCAL_MODE = "standard"
SHARED_MODE = "strict"


def shared(settings: Settings) -> bool:
    """Whether this endpoint serves callers other than the person at this machine: HTTP with authentication
    (a stdio server is its one client's, whatever LETTA_MCP_AUTH says)."""
    return settings.transport == "http" and settings.auth != "none"


def mode(settings: Settings) -> str:
    return SHARED_MODE if shared(settings) else LOCAL_MODE


def workspaces(settings: Settings) -> Path:
    if settings.app_workspaces:
        return Path(settings.app_workspaces).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "letta-mcp" / "workspaces"


def folder_name(request: RequestState) -> str:
    """One folder per scope (a caller without one: per caller), named readably and without collisions."""
    caller = request.caller
    key = f"scope:{caller.agent_tag}" if caller.agent_tag else f"caller:{caller.name}"
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", caller.agent_tag or caller.name).strip("._")[:48] or "caller"
    return f"{readable}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"


def scope_folder(request: RequestState) -> str:
    path = workspaces(request.settings) / folder_name(request)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return str(path)


async def reflection_off(socket: AppSocket, runtime: dict[str, Any]) -> None:
    """Letta Code's reflection runs as a subagent with every tool allowed, whatever the runtime's mode, and
    reads the transcript a caller wrote: behind authentication it is turned off for the runtime's project
    (the scope's own folder), so no caller can talk it into running something on the host."""
    settings = {"trigger": "off", "step_count": 25}
    await socket.request("set_reflection_settings", runtime=runtime, settings=settings, scope="local_project")


async def working_directory(request: RequestState) -> str:
    """Where this caller's runtimes run (see the module doc)."""
    if shared(request.settings):
        return scope_folder(request)
    return await request.client_root() or os.getcwd()


__all__ = [
    "LOCAL_MODE",
    "SHARED_MODE",
    "mode",
    "reflection_off",
    "shared",
    "working_directory",
    "workspaces",
]
