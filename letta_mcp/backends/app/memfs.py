"""MemFS, the App Server's memory: Markdown files with YAML front matter in a git repository per agent.

A memory block of the REST API is a file here: `<label>.md`, or `system/<label>.md` for what is
compiled into the system prompt. The block's value is the file's body; its description is the front
matter's `description` (the App Server also wants a `name`). These functions are pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FRONT = re.compile(r"\A---\n(.*?)\n---\n?", re.DOTALL)
SYSTEM = "system/"


@dataclass(frozen=True)
class MemoryFile:
    """One memory file: where it is, its front matter fields, and its body."""

    path: str
    body: str
    name: str | None = None
    description: str | None = None
    front: str | None = None
    """The front matter as the file has it (kept as is when the body changes)."""

    @property
    def label(self) -> str:
        return label_of(self.path)

    @property
    def system(self) -> bool:
        return self.path.startswith(SYSTEM)

    def with_body(self, body: str) -> MemoryFile:
        return MemoryFile(self.path, body, self.name, self.description, self.front)

    def text(self) -> str:
        """The file as written: its front matter (as it was, else name and description, which the App Server
        wants), then the body."""
        if self.front is not None:
            return f"---\n{self.front}\n---\n{self.body}"
        name = self.name or self.label.rsplit("/", 1)[-1]
        lines = [f"name: {_scalar(name)}"]
        if self.description:
            lines.append(f"description: {_scalar(self.description)}")
        return "---\n" + "\n".join(lines) + "\n---\n" + self.body


def _scalar(value: str) -> str:
    """A YAML scalar on one line: quoted when it could be read as something else."""
    flat = " ".join(value.split())
    if re.fullmatch(r"[\w][\w .,()/'-]*", flat) and not flat.endswith(":"):
        return flat
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unscalar(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner = value[1:-1]
        return inner.replace('\\"', '"').replace("\\\\", "\\") if value[0] == '"' else inner.replace("''", "'")
    return value


def parse(path: str, text: str) -> MemoryFile:
    """A memory file from its text (front matter optional)."""
    match = _FRONT.match(text)
    if not match:
        return MemoryFile(path, text)
    fields: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() in ("name", "description"):
            fields[key.strip()] = _unscalar(value)
    return MemoryFile(path, text[match.end() :], fields.get("name"), fields.get("description"), match.group(1))


def label_of(path: str) -> str:
    """The block label of a memory file: its path without `system/` and `.md`."""
    label = path.removeprefix(SYSTEM)
    return label.removesuffix(".md")


def candidates(label: str) -> list[str]:
    """The paths a label may name, in the order they are tried: a path as given, else `<label>.md`, then
    `system/<label>.md`."""
    if label.endswith(".md"):
        return [label]
    return [f"{label}.md", f"{SYSTEM}{label}.md"]


__all__ = ["MemoryFile", "candidates", "label_of", "parse"]
