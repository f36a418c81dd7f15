"""The one place where failures become messages a model can act on.

Every tool runs inside `registry`'s wrapper, which hands any exception to `translate`. An anticipated
failure is already a `LettaMCPError` with its message written for the model; a failure of the
backend's client (Letta down, slow, a bad key, …) is worded by the backend (`Backend.describe`);
anything else is logged with its traceback and reaches the model as a short message with an
incident id. Nothing secret reaches the client.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

logger = logging.getLogger(__name__)


class LettaMCPError(ToolError):
    """An anticipated failure whose message is already written for the model."""


class NotFound(LettaMCPError):
    """A named thing does not exist (or is out of the caller's scope: the two read the same)."""


class InvalidInput(LettaMCPError):
    """The arguments are well-typed but make no sense (checked before Letta is called)."""


MAYBE_APPLIED = (
    " The request may or may not have been applied: check (e.g. with a list_* or get_* tool) before retrying."
)
SAFE_TO_RETRY = " Retrying the call is safe."


def after_failure(write: bool) -> str:
    """What a failed call means for the model's next step: a write may have happened, a read can be repeated."""
    return MAYBE_APPLIED if write else SAFE_TO_RETRY


def invalid_arguments(tool: str, exc: Any) -> str:
    """A validation failure as short lines the model can fix: where, and what is expected.

    Never the rejected values: they can be huge, and they can be secrets.
    """
    lines = []
    problems = exc.errors(include_input=False, include_url=False)
    for err in problems[:8]:
        where = ".".join(str(part)[:40] for part in err["loc"]) or "(arguments)"
        lines.append(f"- {where}: {err['msg']}")
    more = f"\n- … and {len(problems) - 8} more" if len(problems) > 8 else ""
    return f"Invalid arguments for {tool}:\n" + "\n".join(lines) + more + "\nFix them and call again."


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


Describe = Callable[..., "LettaMCPError | None"]
"""A backend's wording of its own client's failures: `describe(exc, tool=, write=, secrets=)` (`Backend.describe`)."""


def translate(exc: BaseException, *, tool: str, write: bool, secrets: list[str], describe: Describe) -> ToolError:
    """Turn any exception raised inside a tool into a `ToolError` a model can act on."""
    if isinstance(exc, ToolError):
        return exc
    described = describe(exc, tool=tool, write=write, secrets=secrets)
    if described is None:
        incident = uuid.uuid4().hex[:8]
        logger.error("Unexpected error in tool %s (incident %s)", tool, incident, exc_info=exc)
        return LettaMCPError(f"Internal error in letta-mcp (incident {incident}, logged).{after_failure(write)}")
    return type(described)(redact(str(described), secrets))


__all__ = [
    "InvalidInput",
    "LettaMCPError",
    "NotFound",
    "after_failure",
    "invalid_arguments",
    "redact",
    "translate",
]
