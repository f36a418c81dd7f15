"""Settings and the command line: env and flags, defaults, and bad values that end with one line and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from letta_mcp.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LETTA_")}
    return subprocess.run(
        [sys.executable, "-m", "letta_mcp", *args],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=60,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("LETTA_"):
            monkeypatch.delenv(key)
    s = Settings()
    assert s.base_url == "http://localhost:8283"
    assert s.host == "127.0.0.1"
    assert s.transport == "stdio"
    assert s.api_key is None
    assert s.toolsets == ("agents", "messages", "memory", "archival", "ask")


def test_env_and_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LETTA_BASE_URL", "https://api.letta.com/")
    monkeypatch.setenv("LETTA_MCP_TOOLSETS", "memory, agents")
    monkeypatch.setenv("LETTA_MCP_READ_ONLY", "true")
    monkeypatch.setenv("LETTA_MCP_PORT", "9000")
    s = Settings()
    assert s.base_url == "https://api.letta.com"
    assert s.toolsets == ("agents", "memory"), "catalog order, whatever the order given"
    assert s.read_only is True
    assert s.port == 9000
    assert Settings(port=9100).port == 9100, "a flag wins over the environment"
    assert Settings(toolsets="all").toolsets == (
        "agents",
        "messages",
        "memory",
        "archival",
        "tools",
        "ask",
        "conversations",
        "files",
        "agent_files",
        "mcp_servers",
        "archives",
        "schedules",
        "reflection",
    )


def test_the_api_key_is_never_shown() -> None:
    s = Settings(api_key="sk-abc-123456")
    assert "sk-abc-123456" not in repr(s)
    assert "sk-abc-123456" not in str(s.model_dump())


@pytest.mark.parametrize("where", ["flag", "env"])
def test_a_short_state_key_is_refused_without_being_shown(where: str) -> None:
    weak = "short-secret-7f3a,0123456789abcdef0123456789abcdef"
    args = ("--state-keys", weak) if where == "flag" else ()
    out = run_cli(*args, env={} if where == "flag" else {"LETTA_MCP_STATE_KEYS": weak})
    assert out.returncode == 2, out.stderr
    assert "LETTA_MCP_STATE_KEYS / --state-keys" in out.stderr
    assert "at least 32 characters" in out.stderr
    assert "short-secret-7f3a" not in out.stderr
    ring = Settings(state_keys=SecretStr(" " + "k" * 32 + " , " + "j" * 40))
    assert ring.state_key_list() == ["k" * 32, "j" * 40], "the sealing key first, spaces trimmed"
    assert "k" * 32 not in repr(ring)


def test_help_lists_every_flag_with_its_variable() -> None:
    out = run_cli("--help")
    assert out.returncode == 0
    for field in Settings.model_fields:
        assert "--" + field.replace("_", "-") in out.stdout
    for var in (
        "LETTA_BASE_URL",
        "LETTA_API_KEY",
        "LETTA_MCP_TRANSPORT",
        "LETTA_MCP_HOST",
        "LETTA_MCP_PORT",
        "LETTA_MCP_LOG_LEVEL",
        "LETTA_MCP_TOOLSETS",
        "LETTA_MCP_READ_ONLY",
        "LETTA_MCP_TIMEOUT",
        "LETTA_MCP_MAX_RESULT_CHARS",
    ):
        assert var in out.stdout.replace("\n", " ").replace("  ", " ") or var in out.stdout


@pytest.mark.parametrize(
    ("args", "env", "names"),
    [
        ((), {"LETTA_BASE_URL": "not a url"}, "LETTA_BASE_URL / --base-url"),
        (("--base-url", "http://host:99999"), {}, "LETTA_BASE_URL / --base-url"),
        (("--port", "70000"), {}, "LETTA_MCP_PORT / --port"),
        ((), {"LETTA_MCP_PORT": "zero"}, "LETTA_MCP_PORT / --port"),
        (("--transport", "tcp"), {}, "LETTA_MCP_TRANSPORT / --transport"),
        (("--toolsets", "agents,bogus"), {}, "LETTA_MCP_TOOLSETS / --toolsets"),
        (("--log-level", "LOUD"), {}, "LETTA_MCP_LOG_LEVEL / --log-level"),
        (("--timeout", "-1"), {}, "LETTA_MCP_TIMEOUT / --timeout"),
    ],
)
def test_bad_settings_end_with_one_line_and_exit_2(args: tuple[str, ...], env: dict[str, str], names: str) -> None:
    out = run_cli(*args, env=env)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert names in lines[0]
    assert "Traceback" not in out.stderr
    assert out.stdout == ""


def test_http_beyond_loopback_is_refused_without_auth() -> None:
    out = run_cli("--transport", "http", "--host", "0.0.0.0")
    assert out.returncode == 2
    assert "refusing" in out.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--base-url", "ws://127.0.0.1:9", "--auth", "passthrough"), "callers' own Letta keys"),
        (("--conversation", "per-session"), "per-session needs a client session that lasts"),
        (("--http-sessions", "--workers", "2"), "keeps each client session in one process"),
    ],
)
def test_http_settings_that_cannot_work_are_refused_at_start(args: tuple[str, ...], said: str) -> None:
    out = run_cli("--transport", "http", *args)
    assert out.returncode == 2
    assert said in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_the_backend_follows_the_url_scheme() -> None:
    from letta_mcp.core.config import backend_kind

    assert backend_kind(Settings(base_url="https://api.letta.com")) == "rest"
    assert backend_kind(Settings(base_url="ws://127.0.0.1:4500")) == "app"
    assert backend_kind(Settings(base_url="wss://app.example.com")) == "app"
    assert backend_kind(Settings(base_url="local")) == "app"
    assert backend_kind(Settings(local=True)) == "app"


def test_a_blank_api_key_is_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client config that maps an unset option to LETTA_API_KEY="" (Claude Code's plugin options) sends none."""
    from letta_mcp.core.config import Settings

    monkeypatch.setenv("LETTA_API_KEY", "  ")
    assert Settings().api_key is None
    monkeypatch.setenv("LETTA_API_KEY", "sk-let-x")
    key = Settings().api_key
    assert key is not None
    assert key.get_secret_value() == "sk-let-x"


def test_a_blank_api_key_sends_no_authorization(monkeypatch: pytest.MonkeyPatch) -> None:
    """letta-client reads LETTA_API_KEY by itself when given no key: a blank one must not come back that way."""
    from letta_mcp.backends.rest.client import make_letta
    from letta_mcp.core.config import Settings

    monkeypatch.setenv("LETTA_API_KEY", "")
    assert "Authorization" not in make_letta(Settings()).auth_headers
    monkeypatch.setenv("LETTA_API_KEY", "sk-let-x")
    assert make_letta(Settings()).auth_headers == {"Authorization": "Bearer sk-let-x"}
    assert make_letta(Settings(), "sk-let-caller").auth_headers == {"Authorization": "Bearer sk-let-caller"}
