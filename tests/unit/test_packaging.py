"""Docker, compose and Kubernetes files: no engine runs here, so check they parse and reference what exists."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from letta_mcp.core.config import Settings, env_var
from letta_mcp.transports.auth import TokenEntry

ROOT = Path(__file__).resolve().parents[2]
KNOWN_VARS = {env_var(name) for name in Settings.model_fields}
DEFAULT_PORT = Settings.model_fields["port"].default


def _our_vars(env: dict[str, Any]) -> set[str]:
    return {k for k in env if k.startswith("LETTA_MCP_") or k in ("LETTA_BASE_URL", "LETTA_API_KEY")}


def test_dockerfile() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM .* AS build$", text, re.M), "multi-stage"
    assert "pip install --no-cache-dir --disable-pip-version-check ." in text, "the README's own install"
    assert (
        "pip install . " in (ROOT / "README.md").read_text()
        or ".venv/bin/pip install ." in (ROOT / "README.md").read_text()
    )
    assert re.search(r"^USER 10001$", text, re.M), "runs as non-root"
    assert "HEALTHCHECK" in text
    assert "/healthz" in text
    assert f"EXPOSE {DEFAULT_PORT}" in text
    assert 'ENTRYPOINT ["letta-mcp"]' in text, "docker run -i IMAGE speaks stdio by default"
    for copied in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.M):
        for path in copied.split():
            assert (ROOT / path).exists(), path


def test_compose() -> None:
    compose = yaml.safe_load((ROOT / "examples" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "letta", "letta-mcp"}
    mcp = services["letta-mcp"]
    assert (ROOT / "examples" / mcp["build"]["context"] / mcp["build"]["dockerfile"]).exists()
    env = mcp["environment"]
    assert _our_vars(env) <= KNOWN_VARS, _our_vars(env) - KNOWN_VARS
    assert env["LETTA_MCP_TRANSPORT"] == "http"
    assert env["LETTA_MCP_AUTH"] == "token", "beyond loopback, authentication is required"
    port = env["LETTA_MCP_PORT"]
    assert any(p.endswith(f":{port}:{port}") for p in mcp["ports"])
    assert env["LETTA_BASE_URL"] == "http://letta:8283"
    assert "8283" in services["letta"]["expose"]
    assert services["letta"]["environment"]["LETTA_PG_URI"].startswith("postgresql://letta:letta@postgres:5432/")
    tokens = json.loads(
        env["LETTA_MCP_TOKENS"].replace("${LETTA_MCP_ADMIN_TOKEN:?set LETTA_MCP_ADMIN_TOKEN}", "x" * 32)
    )
    for entry in tokens:
        TokenEntry.model_validate(entry)


def test_kubernetes() -> None:
    docs = list(yaml.safe_load_all((ROOT / "examples" / "k8s" / "letta-mcp.yaml").read_text()))
    kinds = {d["kind"]: d for d in docs}
    assert set(kinds) == {"Secret", "Deployment", "Service"}
    deployment = kinds["Deployment"]
    assert deployment["spec"]["replicas"] >= 2
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    container = pod["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert set(env) - {"LETTA_API_KEY"} <= KNOWN_VARS
    assert int(env["LETTA_MCP_PORT"]) == ports["http"]
    assert env["LETTA_MCP_AUTH"] == "token"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["port"] in ports
    secret = kinds["Secret"]
    refs = [e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e]
    for ref in refs:
        assert ref["name"] == secret["metadata"]["name"]
        assert ref["key"] in secret["stringData"]
    mount = container["volumeMounts"][0]["mountPath"]
    tokens_file = env["LETTA_MCP_TOKENS_FILE"]
    assert tokens_file.startswith(mount + "/")
    volume = pod["volumes"][0]["secret"]
    assert volume["secretName"] == secret["metadata"]["name"]
    assert Path(tokens_file).name in [i["path"] for i in volume["items"]]
    for entry in json.loads(secret["stringData"]["tokens.json"]):
        TokenEntry.model_validate(entry)
    service = kinds["Service"]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] in ports


def test_the_local_extra_pins_the_app_server_the_tests_run() -> None:
    import tomllib

    from tests.stack.app_stack import LETTA_CODE_VERSION

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["optional-dependencies"]["local"] == [f"letta=={LETTA_CODE_VERSION}"]
    readme = (ROOT / "README.md").read_text()
    assert ".venv/bin/pip install '.[local]' && .venv/bin/letta-mcp --local --transport http" in readme
