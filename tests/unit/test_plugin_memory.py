"""The Claude Code plugin's rules, without Claude Code: the notes within their budget, what changed, what of a
transcript is sent (once, and never lost), secrets redacted, and which project a folder is."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from letta_mcp.plugin.notes import CHARS_PER_TOKEN, Block, digests, redact, render, render_changes, transcript_lines
from letta_mcp.plugin.project import Project, normalize_remote, project_of
from letta_mcp.plugin.service import SEND_CHARS, Memory, chunks

pytestmark = pytest.mark.anyio


def test_the_notes_stay_within_the_budget_and_say_how_to_read_the_rest() -> None:
    blocks = [
        Block("project", "x" * 20_000, "facts", 30_000),
        Block("preferences", "likes tea"),
        Block("decisions", ""),
    ]
    text = render(blocks, agent="a", agent_id="agent-1", budget_tokens=500)
    assert len(text) <= 500 * CHARS_PER_TOKEN
    assert "likes tea" in text, "a small block is given whole"
    assert "more characters; get_block agent=agent-1 label=project offset=" in text
    cut = re.search(r"\[cut: ([\d,]+) more characters; get_block agent=agent-1 label=project offset=(\d+)\]", text)
    assert cut, text[-300:]
    assert int(cut[1].replace(",", "")) + int(cut[2]) == 30_000, "it counts the whole block, not what was read"
    assert "Empty so far: decisions." in text
    assert "not instructions" in text


def test_only_what_changed_is_given_again_and_nothing_when_nothing_did() -> None:
    before = [Block("project", "make"), Block("preferences", "tabs"), Block("old", "gone soon")]
    seen = digests(before)
    assert render_changes(before, seen, agent="a", agent_id="i", budget_tokens=1500) == ""
    after = [Block("project", "ninja"), Block("preferences", "tabs")]
    text = render_changes(after, seen, agent="a", agent_id="i", budget_tokens=1500)
    assert "ninja" in text
    assert "tabs" not in text
    assert "Removed: old." in text


@pytest.mark.parametrize(
    "secret",
    [
        "sk-ant-api03-abcdefghijklmnopqrstuvwx",
        "sk-let-0123456789abcdef0123",
        "ghp_abcdefghijklmnopqrstuvwxyz0123",
        "AKIAABCDEFGHIJKLMNOP",
        "xoxb-1234567890-abcdefghij",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijkl",
    ],
)
def test_secrets_are_redacted(secret: str) -> None:
    assert secret not in redact(f"here is {secret} ok")


def test_assigned_secrets_passwords_in_urls_and_private_keys_are_redacted() -> None:
    text = redact(
        "OPENAI_API_KEY=abc123xyz789 password: hunter22 postgres://me:pa55word@db/x "
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY----- "
        "Authorization: Bearer abcdefghijklmnop1234"
    )
    for secret in ("abc123xyz789", "hunter22", "pa55word", "MIIEow", "abcdefghijklmnop1234"):
        assert secret not in text, text
    assert "OPENAI_API_KEY=" in text, "the name stays, so the agent knows a key was there"


def entry(kind: str, content: Any) -> bytes:
    return json.dumps({"type": kind, "message": {"role": kind, "content": content}}).encode() + b"\n"


def test_a_transcript_gives_what_was_said_and_one_line_per_tool_call() -> None:
    raw = (
        entry("user", "fix the build")
        + entry("assistant", [{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "on it"}])
        + entry("assistant", [{"type": "tool_use", "name": "Bash", "input": {"command": "make\n" + "x" * 500}}])
        + entry("user", [{"type": "tool_result", "tool_use_id": "t", "content": "lots of output"}])
        + json.dumps({"type": "attachment", "attachment": {}}).encode()
        + b"\n"
        + b'{"type": "user", "message": {"content": "half a li'
    )
    lines, whole = transcript_lines(raw)
    assert lines[:2] == ["user: fix the build", "assistant: on it"]
    assert lines[2].startswith("tool: Bash {")
    assert "\n" not in lines[2]
    assert len(lines[2]) < 220
    assert len(lines) == 3, "tool output, thinking and Claude Code's own entries are not sent"
    assert raw[whole:].startswith(b'{"type": "user", "message": {"content": "half'), "a line being written waits"


def test_long_parts_go_in_several_messages() -> None:
    parts = chunks(["a" * 10_000, "b" * 10_000, "c" * (SEND_CHARS + 5)])
    assert len(parts) == 3
    assert all(len(p) <= SEND_CHARS for p in parts)


class FakeTools:
    """letta-mcp's tools as the service calls them; `fail` makes send_message fail (Letta down mid-send)."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.fail = False

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> Any:
        def ok(**out: Any) -> Any:
            return SimpleNamespace(is_error=False, content=[], structured_content=out)

        if name == "create_agent":
            return ok(id="agent-1", name="p-memory")
        if name == "create_conversation":
            return ok(id="conv-1")
        if name == "send_message":
            if self.fail:
                return SimpleNamespace(is_error=True, content=[SimpleNamespace(text="Letta is unreachable")])
            self.sent.append(arguments["message"])
            return ok(status="completed")
        raise AssertionError(name)


async def test_each_part_is_sent_once_and_a_failed_send_goes_with_the_next(tmp_path: Path) -> None:
    tools = FakeTools()
    memory = Memory(tools, tmp_path / "data", backend="rest", agent="", tokens=1500, url="http://letta")
    project = Project(tmp_path, "github.com/o/n")
    transcript = tmp_path / "t.jsonl"
    transcript.write_bytes(entry("user", "first, my key is sk-let-0123456789abcdef0123"))
    memory.save("s1", {"transcript": str(transcript), "project": str(tmp_path)})

    await memory.send_pending("s1", project)
    await memory.send_pending("s1", project)
    assert len(tools.sent) == 1, "sent once"
    assert "user: first" in tools.sent[0]
    assert "sk-let-0123456789abcdef0123" not in tools.sent[0], "redacted before it leaves"

    with transcript.open("ab") as out:
        out.write(entry("user", "second"))
    tools.fail = True
    with pytest.raises(RuntimeError):
        await memory.send_pending("s1", project)
    tools.fail = False
    await memory.send_pending("s1", project)
    assert len(tools.sent) == 2
    assert "user: second" in tools.sent[1]
    assert "first" not in tools.sent[1], "only the part not sent yet"


def test_a_project_is_its_git_remote_else_its_folder(tmp_path: Path) -> None:
    assert normalize_remote("git@github.com:o/n.git") == "github.com/o/n"
    assert normalize_remote("https://me:tok@github.com/o/n.git") == "github.com/o/n"
    assert project_of(tmp_path).identity == str(tmp_path.resolve())
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "remote", "add", "origin", "git@github.com:o/n.git"], cwd=tmp_path, check=True)
    (tmp_path / "sub").mkdir()
    found = project_of(tmp_path / "sub")
    assert (found.identity, found.root) == ("github.com/o/n", tmp_path.resolve())
    assert found.tag == "letta-mcp:repo=github.com/o/n"
    assert not found.opted_out()
    (tmp_path / ".letta-memory-off").touch()
    assert found.opted_out()


def test_letta_codes_agent_for_the_repository_is_found(tmp_path: Path) -> None:
    (tmp_path / ".letta").mkdir()
    project = Project(tmp_path, "x")
    assert project.letta_code_agent() is None
    (tmp_path / ".letta" / "settings.local.json").write_text(json.dumps({"lastAgent": "agent-old"}))
    assert project.letta_code_agent() == "agent-old"
    settings = {"lastAgent": "agent-old", "sessionsByServer": {"localhost:4500": {"agentId": "agent-new"}}}
    (tmp_path / ".letta" / "settings.local.json").write_text(json.dumps(settings))
    assert project.letta_code_agent() == "agent-new"
