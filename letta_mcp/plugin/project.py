"""Which project a Claude Code session is in, and so which Letta agent keeps its memory: the repository (its
git remote, else its folder) named by a tag, an agent the user names, or Letta Code's agent for the repository."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

TAG_PREFIX = "letta-mcp:repo="
OPT_OUT = ".letta-memory-off"
"""A file of this name at the project's root (or in .claude/) keeps the project's sessions out of Letta."""

BLOCKS = [
    {
        "label": "project",
        "value": "",
        "description": "Facts about this project that hold across sessions: what it is, its layout, how to build "
        "and test it, its conventions.",
    },
    {
        "label": "preferences",
        "value": "",
        "description": "How the user likes to work in this project: style, tools, what to avoid.",
    },
    {
        "label": "decisions",
        "value": "",
        "description": "Decisions made and why, newest last, so they are not argued again.",
    },
]
ABOUT = (
    "Memory of a code project, kept from the user's Claude Code sessions. Each message is the new part of one "
    "session's transcript: keep what will matter in later sessions (facts, preferences, decisions) in your "
    "memory blocks; do not keep secrets or passing details."
)


@dataclass(frozen=True)
class Project:
    root: Path
    identity: str
    """The git remote without scheme, user and `.git` (github.com/owner/name), else the root folder's path."""

    @property
    def tag(self) -> str:
        return TAG_PREFIX + self.identity

    @property
    def agent_name(self) -> str:
        digest = hashlib.sha256(self.identity.encode()).hexdigest()[:6]
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", self.identity.rstrip("/").rsplit("/", 1)[-1]).strip("-") or "project"
        return f"{slug}-memory-{digest}"

    def opted_out(self) -> bool:
        return (self.root / OPT_OUT).exists() or (self.root / ".claude" / OPT_OUT).exists()

    def letta_code_agent(self) -> str | None:
        """The agent Letta Code last used in this repository (its `.letta/settings.local.json`), if any."""
        try:
            settings = json.loads((self.root / ".letta" / "settings.local.json").read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(settings, dict):
            return None
        sessions = settings.get("sessionsByServer")
        for session in sessions.values() if isinstance(sessions, dict) else []:
            if isinstance(session, dict) and isinstance(session.get("agentId"), str):
                return str(session["agentId"])
        last = settings.get("lastAgent")
        return last if isinstance(last, str) and last else None


def normalize_remote(url: str) -> str:
    """git@github.com:o/n.git, https://user@github.com/o/n → github.com/o/n."""
    url = url.strip()
    scp = re.fullmatch(r"[^@/]+@([^:/]+):(.+)", url)
    if scp:
        url = f"{scp[1]}/{scp[2]}"
    url = re.sub(r"^[a-z][a-z0-9+.\-]*://", "", url)
    url = re.sub(r"^[^@/]+@", "", url)
    return re.sub(r"\.git$", "", url.rstrip("/"))


def _git(cwd: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=2)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def project_of(cwd: str | Path) -> Project:
    here = Path(cwd).resolve()
    root = Path(_git(here, "rev-parse", "--show-toplevel") or here)
    remote = _git(root, "config", "--get", "remote.origin.url")
    return Project(root, normalize_remote(remote) if remote else str(root))


__all__ = ["ABOUT", "BLOCKS", "OPT_OUT", "TAG_PREFIX", "Project", "normalize_remote", "project_of"]
