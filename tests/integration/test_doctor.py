"""`letta-mcp doctor` against the real Letta server: one ✓/✗ line per check, non-zero exit on a failure."""

from __future__ import annotations

from tests.stack.letta_stack import Stack
from tests.subprocess_server import server_env
from tests.unit.test_settings_cli import run_cli


def test_doctor_passes_on_a_working_setup(stack: Stack) -> None:
    out = run_cli("doctor", env=server_env(stack))
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.strip().splitlines()
    assert all(line.startswith("✓") for line in lines), out.stdout
    assert f"Letta reachable at {stack.base_url}" in lines[0]
    assert any("default model openai-proxy/fake-model exists" in line for line in lines)
    assert any("tools" in line and "toolsets" in line for line in lines)


def test_doctor_names_the_fix(stack: Stack) -> None:
    out = run_cli("doctor", "--default-model", "openai/no-such-model", env=server_env(stack))
    assert out.returncode == 1
    bad = [line for line in out.stdout.splitlines() if line.startswith("✗")]
    assert len(bad) == 1
    assert "LETTA_MCP_DEFAULT_MODEL" in bad[0]
    assert "openai-proxy/fake-model" in bad[0], "it lists what the server has"
    down = run_cli("doctor", env={**server_env(stack), "LETTA_BASE_URL": "http://127.0.0.1:9"})
    assert down.returncode == 1
    assert down.stdout.startswith("✗ Letta unreachable at http://127.0.0.1:9")
