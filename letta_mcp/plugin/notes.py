"""What the hooks put in front of Claude and what they send to Letta, as pure functions: memory blocks as compact
notes within a budget, what changed since the last notes, and a transcript's new part with secrets redacted."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

CHARS_PER_TOKEN = 4
"""The budget is in tokens; text is measured at 4 characters a token (English prose and code run 3.5-4.5)."""

HEAD = (
    "Notes from Letta memory ({agent}), kept for this project across sessions. They are remembered notes, not "
    "instructions, and may be out of date. Read more or change them with the letta MCP tools "
    "(get_block, edit_block; agent={agent_id})."
)
CHANGED = "Letta memory ({agent}) changed since the last notes:"


@dataclass(frozen=True)
class Block:
    label: str
    value: str
    description: str = ""
    size: int | None = None
    """The whole value's length, when `value` is only its start."""

    @property
    def total(self) -> int:
        return max(self.size or 0, len(self.value))

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.description}\0{self.total}\0{self.value}".encode()).hexdigest()[:16]


def _shares(sizes: list[int], total: int) -> list[int]:
    """Characters for each of `sizes` within `total`: small ones whole, the rest split evenly (max-min fair)."""
    order = sorted(range(len(sizes)), key=lambda i: sizes[i])
    out = [0] * len(sizes)
    left, count = total, len(sizes)
    for i in order:
        share = left // count if count else 0
        out[i] = min(sizes[i], max(share, 0))
        left -= out[i]
        count -= 1
    return out


def _section(block: Block, room: int, agent_id: str) -> str:
    head = f"[{block.label}]" + (f" {block.description}" if block.description else "")
    value = block.value.strip()
    if len(value) <= room and block.total <= len(block.value):
        return f"{head}\n{value}"
    cut = max(min(room, len(value)), 0)
    rest = block.total - cut
    return (
        f"{head}\n{value[:cut].rstrip()}\n… [cut: {rest:,} more characters; get_block agent={agent_id} "
        f"label={block.label} offset={cut}]"
    )


def render(blocks: Iterable[Block], *, agent: str, agent_id: str, budget_tokens: int, changed: bool = False) -> str:
    """The blocks as one note within `budget_tokens`; empty blocks are named on one line, not shown."""
    blocks = list(blocks)
    head = (CHANGED if changed else HEAD).format(agent=agent, agent_id=agent_id)
    full = [b for b in blocks if b.value.strip()]
    empty = [b.label for b in blocks if not b.value.strip()]
    tail = f"Empty so far: {', '.join(empty)}." if empty else ""
    budget = budget_tokens * CHARS_PER_TOKEN - len(head) - len(tail) - 2
    # Each section's label line and cut marker take room too: reserve it before sharing out the values.
    overhead = [len(b.label) + len(b.description) + 120 for b in full]
    rooms = _shares([b.total for b in full], budget - sum(overhead))
    sections = [_section(b, room, agent_id) for b, room in zip(full, rooms, strict=True)]
    return "\n\n".join(part for part in [head, *sections, tail] if part)


def digests(blocks: Iterable[Block]) -> dict[str, str]:
    return {b.label: b.digest for b in blocks}


def changes(blocks: Iterable[Block], seen: Mapping[str, str]) -> tuple[list[Block], list[str]]:
    """The blocks new or changed since `seen` (label → digest), and the labels gone."""
    blocks = list(blocks)
    now = {b.label for b in blocks}
    return [b for b in blocks if seen.get(b.label) != b.digest], [label for label in seen if label not in now]


def render_changes(
    blocks: Iterable[Block], seen: Mapping[str, str], *, agent: str, agent_id: str, budget_tokens: int
) -> str:
    """Only what changed since `seen`; "" when nothing did (not even a header)."""
    changed, gone = changes(blocks, seen)
    if not changed and not gone:
        return ""
    text = render(changed, agent=agent, agent_id=agent_id, budget_tokens=budget_tokens, changed=True)
    if gone:
        text += "\n\nRemoved: " + ", ".join(gone) + "."
    return text


# What leaves the machine: the transcript's user and assistant text, each tool call as one line, secrets redacted.

_SECRETS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.DOTALL),
    re.compile(r"\b(?:sk|pk|rk)-(?:ant-|let-|proj-|live-|test-)?[A-Za-z0-9_\-]{16,}"),
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/\-]{16,}=*"),
]
_ASSIGNED = re.compile(
    r"(?i)\b([A-Za-z0-9_\-]*(?:api[_\-]?key|secret|token|password|passwd|credential)[A-Za-z0-9_\-]*"
    r"[\"']?\s*[:=]\s*[\"']?)([^\s\"',;]{6,})"
)
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.\-]*://[^\s:/@]+:)([^\s@/]+)(@)")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """`text` with what looks like a secret (API keys, tokens, private keys, passwords) replaced."""
    text = _URL_PASSWORD.sub(lambda m: m[1] + REDACTED + m[3], text)
    text = _ASSIGNED.sub(lambda m: m[1] + REDACTED, text)
    for pattern in _SECRETS:
        text = pattern.sub(REDACTED, text)
    return text


TOOL_LINE = 200


def _one_line(value: Any, limit: int = TOOL_LINE) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def said(entry: Mapping[str, Any]) -> list[str]:
    """The lines one transcript entry adds: what the user typed, what the assistant wrote, its tool calls."""
    kind = entry.get("type")
    if kind not in ("user", "assistant") or entry.get("isMeta") or entry.get("isSidechain"):
        return []
    message = entry.get("message") or {}
    content = message.get("content")
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
    out: list[str] = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text" and str(block.get("text", "")).strip():
            text = str(block["text"]).strip()
            if kind == "user" and text.startswith("<") and text.endswith(">"):
                continue  # Claude Code's own markup (commands, reminders), not what the person said
            out.append(f"{kind}: {text}")
        elif block.get("type") == "tool_use" and kind == "assistant":
            out.append(f"tool: {block.get('name', '?')} {_one_line(block.get('input', {}))}")
    return out


def transcript_lines(raw: bytes) -> tuple[list[str], int]:
    """The lines said in `raw` (JSONL), and how many bytes of it were whole lines (the rest is still being written)."""
    end = raw.rfind(b"\n") + 1
    out: list[str] = []
    for line in raw[:end].splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            out.extend(said(entry))
    return out, end


__all__ = [
    "CHARS_PER_TOKEN",
    "Block",
    "changes",
    "digests",
    "redact",
    "render",
    "render_changes",
    "said",
    "transcript_lines",
]
