"""`letta-mcp config <client>` and `letta-mcp doctor`: setting letta-mcp up in a client, and checking it.

`config` prints the block a client's configuration needs, from the current settings; secrets become a
reference to an environment variable unless `--show-secrets` is given. `doctor` checks, one line each,
what a working setup needs, and exits non-zero with the fix when something fails.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from collections.abc import Callable
from typing import Any

from letta_mcp.core.config import Settings, as_text, env_var

CLIENTS = ("claude-code", "claude-code-json", "cursor", "claude-desktop", "vscode")
# Settings that belong to serving HTTP, not to a stdio server an IDE launches.
_SERVING = {
    "transport",
    "host",
    "port",
    "allowed_hosts",
    "allowed_origins",
    "auth",
    "tokens",
    "tokens_file",
    "oauth_issuer",
    "oauth_jwks_url",
    "oauth_audience",
    "public_url",
    "workers",
    "max_request_bytes",
}


def _command() -> list[str]:
    found = shutil.which("letta-mcp")
    return [found] if found else [sys.executable, "-m", "letta_mcp"]


def _env(settings: Settings, secret: Callable[[str], str], show_secrets: bool) -> dict[str, str]:
    env = {"LETTA_BASE_URL": settings.base_url}
    if settings.api_key is not None:
        env["LETTA_API_KEY"] = settings.api_key.get_secret_value() if show_secrets else secret("LETTA_API_KEY")
    for name in sorted(settings.model_fields_set - _SERVING - {"base_url", "api_key"}):
        env[env_var(name)] = as_text(getattr(settings, name))
    return env


def config_block(client: str, settings: Settings, show_secrets: bool = False, token: str | None = None) -> str:
    """The configuration `client` needs for letta-mcp, as text to paste."""
    http = settings.transport == "http"
    url = settings.public_url or f"http://{settings.host}:{settings.port}/mcp"
    command = _command()
    references: dict[str, Callable[[str], str]] = {
        "claude-code": lambda v: f"${{{v}}}",
        "claude-code-json": lambda v: f"${{{v}}}",
        "cursor": lambda v: f"${{env:{v}}}",
        "claude-desktop": lambda v: f"<your {v}>",
        "vscode": lambda v: f"${{input:{v.lower()}}}",
    }
    secret = references[client]
    bearer = token if (token and show_secrets) else secret("LETTA_MCP_TOKEN")
    headers = {"Authorization": f"Bearer {bearer}"} if settings.auth != "none" else {}
    env = _env(settings, secret, show_secrets)
    if client == "claude-code":
        if http:
            parts = ["claude", "mcp", "add", "--transport", "http", "letta", url]
            for k, v in headers.items():
                parts += ["--header", f"{k}: {v}"]
            return shlex.join(parts)
        parts = ["claude", "mcp", "add", "letta"]
        for k, v in env.items():
            parts += ["-e", f"{k}={v}"]
        return shlex.join([*parts, "--", *command])
    if client == "claude-desktop" and http:
        # Claude Desktop launches stdio servers only; reach a remote endpoint through mcp-remote.
        args = ["-y", "mcp-remote", url]
        for k, v in headers.items():
            args += ["--header", f"{k}: {v}"]
        entry: dict[str, Any] = {"command": "npx", "args": args}
    elif http:
        entry = {"type": "http", "url": url} if client in ("claude-code-json", "vscode") else {"url": url}
        if headers:
            entry["headers"] = headers
    else:
        entry = {"command": command[0], "args": command[1:], "env": env}
        if client in ("claude-code-json", "vscode"):
            entry = {"type": "stdio", **entry}
    if client == "vscode":
        inputs = [
            {"type": "promptString", "id": v.lower(), "description": v, "password": True}
            for v in ("LETTA_API_KEY", "LETTA_MCP_TOKEN")
            if f"${{input:{v.lower()}}}" in json.dumps(entry)
        ]
        document: dict[str, Any] = {"servers": {"letta": entry}, **({"inputs": inputs} if inputs else {})}
    else:
        document = {"mcpServers": {"letta": entry}}
    return json.dumps(document, indent=2)


def where(client: str) -> str:
    return {
        "claude-code": "run this in a shell",
        "claude-code-json": ".mcp.json in the project root",
        "cursor": ".cursor/mcp.json in the project (or ~/.cursor/mcp.json)",
        "claude-desktop": "claude_desktop_config.json (Settings → Developer → Edit Config)",
        "vscode": ".vscode/mcp.json in the workspace",
    }[client]


async def doctor(settings: Settings) -> list[tuple[bool, str]]:
    """Each check as (passed, line); a failed line says what to do."""
    from letta_mcp.core.callers import LOCAL
    from letta_mcp.core.visibility import visible
    from letta_mcp.server import backend_for
    from letta_mcp.toolsets import TOOLS

    backend = backend_for(settings)
    lines = await backend.diagnose()
    if not all(passed for passed, _ in lines):
        return lines
    served = [spec.name for spec in TOOLS if visible(spec, settings, LOCAL, backend)]
    mode = " (read-only)" if settings.read_only else ""
    lines.append(
        (
            True,
            f"toolsets {','.join(settings.toolsets)}{mode}: {len(served)} tools, plus one ask_<name> per "
            f"agent tagged {settings.expose_tag!r}",
        )
    )
    return lines


__all__ = ["CLIENTS", "config_block", "doctor", "where"]
