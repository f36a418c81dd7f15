"""letta-mcp as a real subprocess: over stdio (the SDK launches it) or over HTTP (we launch and wait)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from mcp import StdioServerParameters

from tests.stack.letta_stack import free_port


class Pointed(Protocol):
    """A running Letta (REST stack or App Server) that says how to point letta-mcp at it."""

    def env(self) -> dict[str, str]: ...


ROOT = Path(__file__).resolve().parents[1]


def server_env(stack: Pointed, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LETTA_")}
    env.update(stack.env())
    env.update(extra)
    return env


def stdio_params(stack: Pointed, *args: str, **extra: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", "letta_mcp", *args], env=server_env(stack, **extra), cwd=str(ROOT)
    )


@contextlib.contextmanager
def http_server(stack: Pointed, *args: str, port: int | None = None, **extra: str) -> Iterator[str]:
    """Start `letta-mcp --transport http` on a free port; yield its base URL; stop it with SIGTERM."""
    port = port or free_port()
    log = open(Path(getattr(stack, "run_dir", "") or "/tmp") / f"letta-mcp-http-{port}.log", "w+b")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "letta_mcp", "--transport", "http", "--port", str(port), *args],
        env=server_env(stack, **extra),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"letta-mcp exited with {proc.returncode}: {log.read().decode()[-2000:]}")
            with contextlib.suppress(OSError), urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                if r.status == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("letta-mcp over HTTP did not come up in 30 s")
            time.sleep(0.05)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
