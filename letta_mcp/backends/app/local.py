"""`letta-mcp --local`: an App Server of letta-mcp's own, for someone with no Letta running.

It comes from the pinned `letta` package (Letta Code; the `local` extra), listens on a free loopback
port and uses the user's normal Letta home (``~/.letta``), so the agents Letta Code and the desktop
app keep there are the ones letta-mcp serves. letta-mcp waits for its `/healthz` before serving and
stops it when letta-mcp exits. Another App Server or Letta Code already running on the same home is
left alone: they share agents through ``~/.letta``, as two Letta Code sessions do.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

logger = logging.getLogger(__name__)

START_SECONDS = 60.0


class LocalError(RuntimeError):
    """The local App Server could not be started; the message says why and what to do."""


def letta_command() -> str:
    """The Letta Code launcher next to this Python (the `local` extra installs it), else on PATH."""
    here = Path(sys.executable).parent / "letta"
    found = str(here) if here.exists() else shutil.which("letta")
    if not found:
        raise LocalError("Letta Code is not installed: pip install 'letta-mcp[local]' (it brings the `letta` command)")
    try:
        version = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LocalError(f"`{found} --version` failed ({exc}): reinstall with pip install 'letta-mcp[local]'") from None
    if "Letta Code" not in version:
        raise LocalError(
            f"`{found}` is not Letta Code ({version.strip() or 'no version'}): the App Server comes with "
            "letta >= 0.32, pip install 'letta-mcp[local]'"
        )
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalAppServer:
    """One App Server process, started and stopped by letta-mcp."""

    def __init__(self, command: str | None = None, home: str | None = None) -> None:
        self.command = command
        self.home = home
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.log_path = ""

    def start(self) -> str:
        """Start it and wait until it answers; the WebSocket URL to serve through."""
        command = self.command or letta_command()
        port = _free_port()
        self.url = f"ws://127.0.0.1:{port}"
        env = dict(os.environ)
        if self.home:
            env["HOME"] = self.home
        letta_home = Path(env.get("HOME", "~")).expanduser() / ".letta"
        letta_home.mkdir(parents=True, exist_ok=True)
        self.log_path = str(letta_home / "letta-mcp-app-server.log")
        log = open(self.log_path, "ab")  # noqa: SIM115 — the child owns it
        self.process = subprocess.Popen(
            [command, "server", "--backend", "local", "--listen", self.url],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        log.close()
        deadline = time.monotonic() + START_SECONDS
        health = f"http://127.0.0.1:{port}/healthz"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalError(f"the App Server exited with {self.process.returncode}: see {self.log_path}")
            with contextlib.suppress(OSError), urllib.request.urlopen(health, timeout=1) as answer:
                if answer.status == 200:
                    logger.info(
                        "started Letta's App Server (pid %d) at %s for %s; it stops with letta-mcp",
                        self.process.pid,
                        self.url,
                        letta_home,
                    )
                    return self.url
            time.sleep(0.1)
        self.stop()
        raise LocalError(f"the App Server did not answer {health} within {START_SECONDS:.0f} s: see {self.log_path}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        logger.info("stopped Letta's App Server (pid %d)", process.pid)


__all__ = ["LocalAppServer", "LocalError", "letta_command"]
