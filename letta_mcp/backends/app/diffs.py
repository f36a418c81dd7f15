"""Memory commits as a model reads them: `git show`'s unified diff made compact, and commit names checked.

Pure functions. The App Server runs git with what it is sent (``git show <sha>``, ``git show
<ref>:<path>``), so only a plain commit id is ever passed on: anything else (an option, a range, a
path) is refused here.
"""

from __future__ import annotations

import re

from letta_mcp.core.errors import InvalidInput
from letta_mcp.core.models import FileChange

FILE_DIFF_CHARS = 1_200
"""At most this much of one file's changed lines per commit; the counts stay exact."""
_SHA = re.compile(r"[0-9a-f]{4,40}")
_FILE = re.compile(r"^diff --git a/(.+?) b/(.+)$")


def commit_id(commit: str) -> str:
    """A commit as given (a full or abbreviated id, as memory_history lists it), or InvalidInput."""
    sha = commit.strip().lower()
    if not _SHA.fullmatch(sha):
        raise InvalidInput(
            f"{commit!r} is not a commit id: pass a sha as memory_history lists it (4 to 40 hex digits)."
        )
    return sha


def changes(diff: str, *, per_file: int = FILE_DIFF_CHARS) -> list[FileChange]:
    """Each file a commit changed: lines added and removed, and the changed lines themselves (hunk markers
    kept, context lines dropped), cut after `per_file` characters."""
    found: list[FileChange] = []
    path: str | None = None
    lines: list[str] = []
    added = removed = 0

    def close() -> None:
        if path is not None:
            found.append(FileChange(path=path, added=added, removed=removed, diff=_cut("\n".join(lines), per_file)))

    for line in diff.splitlines():
        start = _FILE.match(line)
        if start:
            close()
            path, lines, added, removed = start.group(2), [], 0, 0
            continue
        if path is None or line.startswith(("+++ ", "--- ", "index ", "new file", "deleted file", "similarity")):
            continue
        if line.startswith("@@"):
            lines.append("@@")
        elif line.startswith("+"):
            added += 1
            lines.append(line)
        elif line.startswith("-"):
            removed += 1
            lines.append(line)
    close()
    return found


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… ({len(text) - limit} more characters of changes)"


__all__ = ["FILE_DIFF_CHARS", "changes", "commit_id"]
