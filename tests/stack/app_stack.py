"""Bring up Letta's App Server for the tests: Letta Code (pinned, in its own cached virtualenv), connected
to the tests' fake model, listening on a free loopback port with a throwaway HOME.

The App Server exits by itself soon after its parent process exits (it watches for being re-parented),
so the process that starts it must stay alive while it is used; `stop` ends it by PID either way.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.stack.letta_stack import (
    HERE,
    KEPT,
    STACK_ROOT,
    StackError,
    _kill_group,
    _log,
    _run,
    _spawn,
    _wait_http,
    free_port,
    prune_runs,
)

LETTA_CODE_VERSION = "0.34.12"
APP_MODEL = "openai-compatible/fake-model"


def app_venv() -> Path:
    return STACK_ROOT / f"app-{LETTA_CODE_VERSION}"


def letta_command() -> Path:
    return app_venv() / "bin" / "letta"


def ensure_app_venv() -> Path:
    """Install Letta Code (the App Server) in its own venv once; later calls return at once."""
    venv = app_venv()
    marker = venv / ".installed"
    if marker.exists():
        return venv
    STACK_ROOT.mkdir(parents=True, exist_ok=True)
    with open(STACK_ROOT / ".app-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return venv
        _log(f"installing Letta Code {LETTA_CODE_VERSION} (the App Server) into {venv} (once)")
        shutil.rmtree(venv, ignore_errors=True)
        py = shutil.which("python3.11") or shutil.which("python3") or sys.executable
        _run([py, "-m", "venv", str(venv)], "creating the App Server venv")
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        _run([*pip, f"letta=={LETTA_CODE_VERSION}"], "installing Letta Code")
        marker.write_text(LETTA_CODE_VERSION)
    return venv


@dataclass
class AppStack:
    """A running App Server and the fake model behind it."""

    run_dir: str
    url: str = ""
    fake_url: str = ""
    fake_log: str = ""
    home: str = ""
    token: str | None = None
    pids: dict[str, int] = field(default_factory=dict)
    started_seconds: float = 0.0

    @property
    def model(self) -> str:
        return APP_MODEL

    @property
    def http(self) -> str:
        return "http" + self.url.removeprefix("ws")

    def env(self) -> dict[str, str]:
        """The settings that point letta-mcp at this App Server."""
        env = {"LETTA_BASE_URL": self.url, "LETTA_MCP_DEFAULT_MODEL": APP_MODEL}
        if self.token:
            env["LETTA_API_KEY"] = self.token
        return env

    def fake_requests(self) -> list[dict[str, object]]:
        path = Path(self.fake_log)
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    @property
    def logs(self) -> list[Path]:
        return [p for p in Path(self.run_dir).glob("*.log") if p.exists()]

    def stop(self, keep_logs: bool = False) -> None:
        for name in ("app", "fake_llm"):
            pid = self.pids.pop(name, None)
            if pid:
                _kill_group(pid)
        if keep_logs:
            shutil.rmtree(Path(self.run_dir) / "home", ignore_errors=True)
            with contextlib.suppress(OSError):
                (Path(self.run_dir) / KEPT).write_text(str(time.time()))
        else:
            shutil.rmtree(self.run_dir, ignore_errors=True)


def connect_fake_model(home: str, fake_url: str) -> None:
    """What a user does once (`letta connect …`), pointed at the tests' fake model."""
    env = {**os.environ, "HOME": home}
    _run(
        [
            str(letta_command()),
            "--backend",
            "local",
            "connect",
            "openai-compatible",
            "--base-url",
            fake_url,
            "--api-key",
            "dummy",
        ],
        "connecting the App Server to the fake model",
        env=env,
        timeout=120,
    )


def start_app(token: str | None = None, provider: bool = True) -> AppStack:
    """Start the fake model and an App Server on free loopback ports; on failure stop both and raise."""
    t0 = time.monotonic()
    ensure_app_venv()
    STACK_ROOT.mkdir(parents=True, exist_ok=True)
    prune_runs()
    run_dir = Path(tempfile.mkdtemp(prefix="run-app-", dir=STACK_ROOT))
    (run_dir / ".owner").write_text(str(os.getpid()))
    stack = AppStack(run_dir=str(run_dir), fake_log=str(run_dir / "fake_llm.jsonl"), token=token)
    try:
        fake_port = free_port()
        stack.fake_url = f"http://127.0.0.1:{fake_port}/v1"
        proc = _spawn(
            [sys.executable, str(HERE / "fake_llm.py"), "--port", str(fake_port), "--log", stack.fake_log],
            run_dir / "fake_llm.log",
        )
        stack.pids["fake_llm"] = proc.pid
        home = run_dir / "home"
        home.mkdir()
        stack.home = str(home)
        if provider:
            _wait_http(f"http://127.0.0.1:{fake_port}/health", 30, proc, "the fake model", run_dir / "fake_llm.log")
            connect_fake_model(str(home), stack.fake_url)
        port = free_port()
        stack.url = f"ws://127.0.0.1:{port}"
        command = [str(letta_command()), "server", "--backend", "local", "--listen", stack.url]
        if token:
            token_file = run_dir / "token"
            token_file.write_text(token)
            command += ["--ws-auth", "capability-token", "--ws-token-file", str(token_file)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LETTA_", "OPENAI_", "ANTHROPIC_"))}
        env["HOME"] = str(home)
        app = _spawn(command, run_dir / "app-server.log", env=env, cwd=str(home))
        stack.pids["app"] = app.pid
        _wait_http(f"{stack.http}/healthz", 60, app, "the App Server", run_dir / "app-server.log")
    except BaseException:
        stack.stop(keep_logs=True)
        raise
    stack.started_seconds = time.monotonic() - t0
    return stack


@contextlib.contextmanager
def running_app(**options: object) -> Iterator[AppStack]:
    stack = start_app(**options)  # type: ignore[arg-type]
    failed = True
    try:
        yield stack
        failed = False
    finally:
        stack.stop(keep_logs=failed)


__all__ = ["APP_MODEL", "AppStack", "StackError", "ensure_app_venv", "letta_command", "running_app", "start_app"]
