"""The one place where failures become messages a model can act on.

Every tool runs inside `registry`'s wrapper, which hands any exception to `translate`. The result is
a `ToolError` whose text says what happened and what to do next; the server logs the details (with
the traceback for anything unexpected) and keeps serving. Nothing secret reaches the client.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

logger = logging.getLogger(__name__)

_DETAIL_LIMIT = 500

# What to call when Letta says an id of this kind does not exist.
_FINDERS = (
    ("agent", "list_agents"),
    ("block", "list_blocks (for an agent's blocks) or get_agent"),
    ("tool", "list_tools"),
    ("passage", "search_archival"),
    ("run", "list_messages (runs are listed with their messages)"),
    ("message", "list_messages"),
)


class LettaMCPError(ToolError):
    """An anticipated failure whose message is already written for the model."""


class NotFound(LettaMCPError):
    """A named thing does not exist (or is out of the caller's scope)."""


class InvalidInput(LettaMCPError):
    """The arguments are well-typed but make no sense (checked before Letta is called)."""


def _detail(exc: Any) -> str:
    """Letta's own explanation from an API error body, short and on one line."""
    body = getattr(exc, "body", None)
    detail: Any = None
    if isinstance(body, dict):
        detail = body.get("detail", body.get("message", body.get("error")))
    elif isinstance(body, str):
        detail = body
    if detail is None:
        detail = getattr(exc, "message", None) or str(exc)
    if not isinstance(detail, str):
        detail = json.dumps(detail, default=str)
    text = " ".join(str(detail).split())
    return text[:_DETAIL_LIMIT] + ("…" if len(text) > _DETAIL_LIMIT else "")


def _finder(detail: str) -> str:
    lowered = detail.lower()
    for word, finder in _FINDERS:
        if re.search(rf"\b{word}", lowered):
            return finder
    return "the matching list_* tool"


def _retry_after(exc: Any) -> str:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    if value and value.strip().isdigit():
        return f"retry in {int(value)} s"
    return "retry in a little while"


MAX_RETRY_AFTER = 2.0
"""A read waits out a 429 only when Letta asks for at most this long; longer, the model is told when to retry."""


def retry_delay(exc: BaseException, attempt: int) -> float | None:
    """How long to wait before retrying a read that failed with `exc`, or None when it must not retry.

    Transient failures only: no connection, a reset, 502/503/504, or 429 with a short Retry-After.
    A timeout is not retried: Letta may be overloaded, and waiting again would double the wait.
    """
    import letta_client as lc

    backoff: float = 0.2 * 2 ** (attempt - 1)
    if isinstance(exc, lc.APITimeoutError):
        return None
    if isinstance(exc, lc.APIConnectionError):
        return backoff
    if isinstance(exc, lc.RateLimitError):
        response = getattr(exc, "response", None)
        value = response.headers.get("retry-after", "") if response is not None else ""
        try:
            wait: float = float(value)
        except ValueError:
            return None
        return wait if 0 <= wait <= MAX_RETRY_AFTER else None
    if isinstance(exc, lc.APIStatusError) and exc.status_code in (502, 503, 504):
        return backoff
    return None


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


def translate(exc: BaseException, *, tool: str, base_url: str, write: bool, secrets: list[str]) -> ToolError:
    """Turn any exception raised inside a tool into a `ToolError` a model can act on."""
    if isinstance(exc, ToolError):
        return exc
    import letta_client as lc  # imported lazily: start-up must not pay for it

    maybe_applied = (
        " The request may or may not have been applied: check (e.g. with a list_* or get_* tool) before retrying."
        if write
        else " Retrying the call is safe."
    )
    msg: str
    if isinstance(exc, lc.APITimeoutError):
        msg = f"Letta at {base_url} did not answer in time (LETTA_MCP_TIMEOUT).{maybe_applied}"
    elif isinstance(exc, lc.APIConnectionError):
        msg = (
            f"Letta is unreachable at {base_url} — is the server running, and is LETTA_BASE_URL right?"
            f"{maybe_applied if write else ''}"
        )
    elif isinstance(exc, lc.AuthenticationError):
        msg = (
            f"Letta at {base_url} rejected the credentials (401): set LETTA_API_KEY to a valid API key "
            "(for a self-hosted server run with a password, the password)."
        )
    elif isinstance(exc, lc.PermissionDeniedError):
        msg = f"Letta refused this (403): the API key in LETTA_API_KEY may not act on this. {_detail(exc)}"
    elif isinstance(exc, lc.NotFoundError):
        detail = _detail(exc)
        msg = f"Not found in Letta: {detail}. Call {_finder(detail)} to find a valid id or name."
    elif isinstance(exc, lc.RateLimitError):
        msg = f"Rate limited by Letta (429): {_retry_after(exc)}."
    elif isinstance(exc, (lc.BadRequestError, lc.UnprocessableEntityError)):
        msg = f"Letta rejected the input: {_detail(exc)}. Fix the arguments and call again."
    elif isinstance(exc, lc.ConflictError):
        msg = f"Conflict in Letta (409): {_detail(exc)}."
    elif isinstance(exc, lc.APIStatusError):
        status = exc.status_code
        logger.error("Letta answered %s to %s: %s", status, tool, redact(_detail(exc), secrets))
        if status >= 500:
            msg = f"Letta failed with HTTP {status} (details are in letta-mcp's log and Letta's).{maybe_applied}"
        else:
            msg = f"Letta answered HTTP {status}: {_detail(exc)}"
    elif isinstance(exc, lc.APIResponseValidationError):
        logger.error("Letta's answer to %s did not match its schema", tool, exc_info=exc)
        msg = "Letta sent an answer letta-mcp could not read (logged). Letta's version may not be supported."
    else:
        incident = uuid.uuid4().hex[:8]
        logger.error("Unexpected error in tool %s (incident %s)", tool, incident, exc_info=exc)
        msg = f"Internal error in letta-mcp (incident {incident}, logged).{maybe_applied}"
    return ToolError(redact(msg, secrets))
