"""`letta-mcp hook <event>`: what Claude Code runs at SessionStart, UserPromptSubmit, Stop, PreCompact and
SessionEnd. It only asks the memory service (`plugin.service`, one long-lived process per configuration,
started on first use) over a Unix socket and prints the answer, so it imports nothing but the standard
library: Python's start-up is most of its cost. It never blocks or breaks a session: every failure ends in
exit 0 with nothing injected and one line in the log (`<plugin data>/hook.log`)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

EVENTS = {"session-start": "SessionStart", "prompt": "UserPromptSubmit", "record": ""}
DEADLINE = {"session-start": 0.8, "prompt": 0.8, "record": 3.0}
FIRST_PROMPT = 5.0
"""A session's first prompt, when SessionStart could not give the notes (the service was still starting): the
wait that lets them arrive with it instead of one prompt late."""
OPTIONS = ("LETTA_URL", "API_KEY", "AGENT", "CONTEXT_TOKENS")


def option(name: str) -> str:
    return os.environ.get(f"CLAUDE_PLUGIN_OPTION_{name}", "").strip()


def data_dir() -> Path:
    found = os.environ.get("CLAUDE_PLUGIN_DATA") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "letta-mcp", "claude-code"
    )
    return Path(found)


def service_key() -> str:
    """One service for each plugin data folder and configuration (a changed option gets a new one)."""
    parts = [str(data_dir()), *(option(name) for name in OPTIONS), os.environ.get("LETTA_BASE_URL", "")]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def socket_path() -> Path:
    # A Unix socket's path is limited to about 100 bytes: it lives in a short folder of this user's own.
    base = Path(os.environ.get("TMPDIR") or "/tmp") / f"letta-mcp-{os.getuid()}"
    return base / f"{service_key()}.sock"


def log(line: str) -> None:
    path = data_dir() / "hook.log"
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > 1_000_000:
            path.replace(path.with_suffix(".log.1"))
        with path.open("a") as out:
            out.write(time.strftime("%Y-%m-%dT%H:%M:%S ") + line + "\n")


def spawn() -> None:
    """Start the service in a session of its own (it outlives Claude Code, so a send in flight finishes)."""
    where = socket_path()
    where.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = dict(os.environ)
    env["LETTA_MCP_PLUGIN_SOCKET"] = str(where)
    env["LETTA_MCP_PLUGIN_DATA"] = str(data_dir())
    data_dir().mkdir(parents=True, exist_ok=True)
    with open(data_dir() / "service.log", "ab") as out:
        subprocess.Popen(
            [sys.executable, "-m", "letta_mcp.plugin.service"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            env=env,
            start_new_session=True,
            close_fds=True,
        )


def exchange(request: dict[str, Any], deadline: float) -> dict[str, Any] | None:
    """Send `request` to the service (starting it if need be) and read its answer, by `deadline`; None if late."""
    where = str(socket_path())
    spawned = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(left)
        try:
            conn.connect(where)
        except (FileNotFoundError, ConnectionRefusedError):
            conn.close()
            if not spawned:
                spawn()
                spawned = True
            time.sleep(0.03)
            continue
        except OSError:
            conn.close()
            return None
        with conn:
            try:
                conn.sendall(json.dumps(request).encode() + b"\n")
                answer = json.loads(_read_line(conn, deadline) or b"null")
                if isinstance(answer, dict) and answer.get("ack"):
                    conn.sendall(b'{"ack": true}\n')  # the notes were received: the service counts them as given
            except (OSError, ValueError):
                return None
        return answer if isinstance(answer, dict) else None


def _read_line(conn: socket.socket, deadline: float) -> bytes:
    chunks = b""
    while not chunks.endswith(b"\n"):
        conn.settimeout(max(deadline - time.monotonic(), 0.001))
        chunk = conn.recv(65536)
        if not chunk:
            break
        chunks += chunk
    return chunks


def given_marker(session: str) -> Path:
    return data_dir() / "sessions" / f"{session or 'unknown'}.given"


def run(event: str, hook_input: dict[str, Any]) -> str:
    """What to print for `event`: a hook's JSON output, or ""."""
    session = str(hook_input.get("session_id") or "")
    deadline = DEADLINE[event]
    if event == "prompt" and not given_marker(session).exists():
        deadline = FIRST_PROMPT
    started = time.monotonic()
    answer = exchange({"event": event, "input": hook_input}, started + deadline)
    took = time.monotonic() - started
    if answer is None:
        log(f"{event} {took * 1000:.0f} ms: no answer from the memory service in time (see service.log)")
        return ""
    log(f"{event} {took * 1000:.0f} ms: {answer.get('outcome', 'ok')}")
    out: dict[str, Any] = {}
    if answer.get("context") or answer.get("problem"):
        with contextlib.suppress(OSError):
            given_marker(session).parent.mkdir(parents=True, exist_ok=True)
            given_marker(session).touch()
    if answer.get("context") and EVENTS[event]:
        out["hookSpecificOutput"] = {"hookEventName": EVENTS[event], "additionalContext": answer["context"]}
    if answer.get("problem"):
        out["systemMessage"] = answer["problem"]
    return json.dumps(out) if out else ""


def main(argv: list[str]) -> int:
    event = argv[0] if argv else ""
    if event not in EVENTS:
        print(f"usage: letta-mcp hook {{{','.join(EVENTS)}}} (reads the hook's JSON on stdin)", file=sys.stderr)
        return 2
    try:
        hook_input = json.loads(sys.stdin.read() or "{}")
        printed = run(event, hook_input if isinstance(hook_input, dict) else {})
    except Exception as exc:  # noqa: BLE001 — a hook never breaks the session
        log(f"{event}: failed: {type(exc).__name__}: {exc}")
        return 0
    if printed:
        print(printed)
    return 0


__all__ = ["main", "run", "socket_path"]
