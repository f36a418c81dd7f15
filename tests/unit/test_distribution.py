"""What the registries and installers read: server.json for the MCP Registry (checked against the registry's
published schema, tests/schemas/server.schema.json, 2025-12-11), the Claude Desktop bundle's manifest and the
Claude Code plugin's, all at the package's version and naming only settings letta-mcp has."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from letta_mcp._version import __version__
from letta_mcp.cli.generate import BUNDLE_MANIFEST, bundle_tools
from letta_mcp.core.config import Settings, as_text, env_var

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "tests" / "schemas" / "server.schema.json"
BUNDLE = BUNDLE_MANIFEST.parent
PLUGIN = ROOT / "letta_mcp" / "plugin" / "claude" / ".claude-plugin" / "plugin.json"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def server_json() -> dict[str, Any]:
    return dict(load(ROOT / "server.json"))


def settings_by_variable() -> dict[str, str]:
    """Each setting's environment variable → its default, as the settings table shows it."""
    return {
        env_var(name): ("" if info.default is None else as_text(info.default))
        for name, info in Settings.model_fields.items()
    }


def test_server_json_is_valid_against_the_registrys_schema() -> None:
    schema = load(SCHEMA)
    document = server_json()
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    assert document["$schema"].endswith("/2025-12-11/server.schema.json")


def test_the_schema_check_can_fail() -> None:
    validator = jsonschema.Draft7Validator(load(SCHEMA))
    broken = server_json()
    broken["description"] = "x" * 101  # the registry's limit is 100 characters
    broken["name"] = "no-slash"
    assert {e.validator for e in validator.iter_errors(broken)} >= {"maxLength", "pattern"}


def test_every_version_is_the_packages() -> None:
    document = server_json()
    assert document["version"] == __version__
    assert [p["version"] for p in document["packages"]] == [__version__] * len(document["packages"])
    assert load(BUNDLE_MANIFEST)["version"] == __version__
    bundle = tomllib.loads((BUNDLE / "pyproject.toml").read_text(encoding="utf-8"))
    assert bundle["project"]["dependencies"] == [f"letta-mcp[local]=={__version__}"]
    assert load(PLUGIN)["version"] == __version__


def test_server_json_names_the_pypi_package_this_repo_builds() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (package,) = server_json()["packages"]
    assert (package["registryType"], package["identifier"]) == ("pypi", project["name"])
    # The registry proves PyPI ownership by finding `mcp-name: <name>` in the package's description (its README).
    readme = (ROOT / project["readme"]).read_text(encoding="utf-8")
    # (as a whole token: the registry does not take `mcp-name: a/b-c` for `a/b`)
    assert re.search(rf"mcp-name: {re.escape(server_json()['name'])}(?![\w./-])", readme)


def test_registry_variables_are_real_settings_with_their_real_defaults() -> None:
    known = settings_by_variable()
    (package,) = server_json()["packages"]
    for variable in package["environmentVariables"]:
        assert variable["name"] in known, f"server.json names {variable['name']}, which letta-mcp does not read"
        if "default" in variable:
            assert variable["default"] == known[variable["name"]], variable["name"]
    secret = {v["name"] for v in package["environmentVariables"] if v.get("isSecret")}
    assert secret == {"LETTA_API_KEY"}


def test_bundle_passes_only_real_settings_and_keeps_the_key_secret() -> None:
    manifest = load(BUNDLE_MANIFEST)
    env = manifest["server"]["mcp_config"]["env"]
    assert set(env) <= set(settings_by_variable()), set(env) - set(settings_by_variable())
    options = manifest["user_config"]
    for value in env.values():
        (option,) = re.fullmatch(r"\$\{user_config\.(\w+)\}", value).groups()  # type: ignore[union-attr]
        assert option in options
    assert env["LETTA_API_KEY"] == "${user_config.api_key}"
    assert options["api_key"]["sensitive"] is True
    assert not any(o.get("sensitive") for name, o in options.items() if name != "api_key")
    entry = manifest["server"]["entry_point"]
    assert (BUNDLE / entry).is_file()
    assert entry in manifest["server"]["mcp_config"]["args"]


@pytest.mark.parametrize("key", ["name", "description"])
def test_bundle_tool_list_is_current(key: str) -> None:
    listed = [tool[key] for tool in load(BUNDLE_MANIFEST)["tools"]]
    assert listed == [tool[key] for tool in bundle_tools()], (
        "the bundle's tool list is stale: run `python -m letta_mcp.cli.generate`"
    )
