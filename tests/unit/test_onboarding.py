"""`letta-mcp config <client>` and the example client configs."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from letta_mcp.cli.onboarding import CLIENTS, config_block
from letta_mcp.core.config import Settings
from tests.unit.test_settings_cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-let-secret-123456"


@pytest.mark.parametrize("client", CLIENTS)
def test_every_client_block_hides_the_key_unless_asked(client: str) -> None:
    settings = Settings(base_url="https://api.letta.com", api_key=KEY, read_only=True)
    block = config_block(client, settings)
    assert KEY not in block
    assert "LETTA_API_KEY" in block
    assert KEY in config_block(client, settings, show_secrets=True)
    if client == "claude-code":
        parts = shlex.split(block)
        assert parts[:4] == ["claude", "mcp", "add", "letta"]
        assert "LETTA_BASE_URL=https://api.letta.com" in parts
        assert "LETTA_MCP_READ_ONLY=true" in parts
    else:
        doc = json.loads(block)
        servers = doc["servers"] if client == "vscode" else doc["mcpServers"]
        assert servers["letta"]["env"]["LETTA_BASE_URL"] == "https://api.letta.com"


@pytest.mark.parametrize("client", CLIENTS)
def test_http_blocks_point_at_the_endpoint_with_a_token_reference(client: str) -> None:
    settings = Settings(transport="http", auth="token", public_url="https://mcp.example.com/mcp")
    block = config_block(client, settings)
    assert "https://mcp.example.com/mcp" in block
    assert "LETTA_MCP_TOKEN" in block
    if client in ("cursor", "claude-code-json", "vscode"):
        doc = json.loads(block)
        entry = (doc["servers"] if client == "vscode" else doc["mcpServers"])["letta"]
        assert entry["url"] == "https://mcp.example.com/mcp"
        assert entry["headers"]["Authorization"].startswith("Bearer ")


def test_config_command_prints_the_block() -> None:
    out = run_cli("config", "cursor", env={"LETTA_BASE_URL": "http://letta:8283", "LETTA_API_KEY": KEY})
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["mcpServers"]["letta"]["env"] == {
        "LETTA_BASE_URL": "http://letta:8283",
        "LETTA_API_KEY": "${env:LETTA_API_KEY}",
    }
    assert KEY not in out.stdout
    assert run_cli("config", "nonsense").returncode == 2


def test_examples_are_the_shapes_clients_read() -> None:
    known = {"LETTA_BASE_URL", "LETTA_API_KEY"}
    for path in sorted((ROOT / "examples").rglob("*.json")):
        if path.parent.name == "bundle":
            continue  # the Claude Desktop bundle's manifest, not a client config (tests/unit/test_distribution.py)
        doc = json.loads(path.read_text())
        servers = doc.get("servers") or doc["mcpServers"]
        entry = servers["letta"]
        assert ("command" in entry) != ("url" in entry), path
        assert set(entry.get("env", {})) <= known, path
        assert "sk-" not in path.read_text(), f"{path} holds a secret"
