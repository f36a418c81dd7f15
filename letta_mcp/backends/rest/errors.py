"""Failures of `letta-client` worded for the model, and which reads may be retried."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import httpx
import letta_client as lc

from letta_mcp.core.errors import InvalidInput, LettaMCPError, NotFound, after_failure, redact

logger = logging.getLogger(__name__)

_DETAIL_LIMIT = 500
MAX_RETRY_AFTER = 2.0
"""A read waits out a 429 only when Letta asks for at most this long; longer, the model is told when to retry."""

# What to call when Letta says an id of this kind does not exist.
_FINDERS = (
    ("agent", "list_agents"),
    ("block", "list_blocks (for an agent's blocks) or get_agent"),
    ("tool", "list_tools"),
    ("passage", "search_archival"),
    ("run", "list_messages (runs are listed with their messages)"),
    ("message", "list_messages"),
)


def detail(exc: Any) -> str:
    """Letta's own explanation from an API error body, short and on one line."""
    body = getattr(exc, "body", None)
    said: Any = None
    if isinstance(body, dict):
        said = body.get("detail", body.get("message", body.get("error")))
    elif isinstance(body, str):
        said = body
    if said is None:
        said = getattr(exc, "message", None) or str(exc)
    if not isinstance(said, str):
        said = json.dumps(said, default=str)
    text = " ".join(str(said).split())
    return text[:_DETAIL_LIMIT] + ("…" if len(text) > _DETAIL_LIMIT else "")


def _finder(said: str) -> str:
    lowered = said.lower()
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


def retry_delay(exc: BaseException, attempt: int) -> float | None:
    """How long to wait before retrying a read that failed with `exc`, or None when it must not retry.

    Transient failures only: no connection, a reset, 502/503/504, or 429 with a short Retry-After.
    A timeout is not retried: Letta may be overloaded, and waiting again would double the wait.
    """
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


def describe(exc: BaseException, *, url: str, tool: str, write: bool, secrets: list[str]) -> LettaMCPError | None:
    """The error for a letta-client failure, or None when `exc` is not one."""
    said = _message(exc, url=url, tool=tool, write=write, secrets=secrets)
    if said is None:
        return None
    if isinstance(exc, lc.NotFoundError):
        return NotFound(said)
    return InvalidInput(said) if _unsendable(exc) else LettaMCPError(said)


def _unsendable(exc: BaseException) -> bool:
    """letta-client refuses, before sending anything, an id that would be an empty or a dot path segment."""
    text = str(exc)
    return isinstance(exc, ValueError) and ("Expected a non-empty value for" in text or "dot-segment" in text)


def _message(exc: BaseException, *, url: str, tool: str, write: bool, secrets: list[str]) -> str | None:
    then = after_failure(write)
    if _unsendable(exc):
        return (
            "An id or name in the arguments cannot name anything in Letta (it is empty, '.' or '..'); nothing "
            "was sent. Call a list_* tool for a valid one."
        )
    if isinstance(exc, lc.APITimeoutError):
        return f"Letta at {url} did not answer in time (LETTA_MCP_TIMEOUT).{then}"
    if isinstance(exc, lc.APIConnectionError):
        cause = exc.__cause__
        if isinstance(cause, httpx.RemoteProtocolError):
            return f"Letta's answer was cut off before its end (the connection to {url} closed).{then}"
        if isinstance(cause, (httpx.ReadError, httpx.WriteError)):
            return f"The connection to Letta at {url} was reset before its answer arrived.{then}"
        return (
            f"Letta is unreachable at {url} — is the server running, and is LETTA_BASE_URL right?"
            f"{then if write else ''}"
        )
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"Letta's answer was cut off before its end (the connection to {url} closed).{then}"
    if isinstance(exc, httpx.TransportError):
        return f"The connection to Letta at {url} broke ({type(exc).__name__}).{then}"
    if isinstance(exc, json.JSONDecodeError):
        logger.error("Letta's answer to %s was not JSON", tool, exc_info=exc)
        return f"Letta sent an answer letta-mcp could not read (not JSON; logged).{then}"
    if isinstance(exc, lc.AuthenticationError):
        return (
            f"Letta at {url} rejected the credentials (401): set LETTA_API_KEY to a valid API key "
            "(for a self-hosted server run with a password, the password)."
        )
    if isinstance(exc, lc.PermissionDeniedError):
        return f"Letta refused this (403): the API key in LETTA_API_KEY may not act on this. {detail(exc)}"
    if isinstance(exc, lc.NotFoundError):
        said = detail(exc)
        return f"Not found in Letta: {said}. Call {_finder(said)} to find a valid id or name."
    if isinstance(exc, lc.RateLimitError):
        return f"Rate limited by Letta (429): {_retry_after(exc)}."
    if isinstance(exc, (lc.BadRequestError, lc.UnprocessableEntityError)):
        return f"Letta rejected the input: {detail(exc)}. Fix the arguments and call again."
    if isinstance(exc, lc.ConflictError):
        return f"Conflict in Letta (409): {detail(exc)}."
    if isinstance(exc, lc.APIStatusError):
        status = exc.status_code
        logger.error("Letta answered %s to %s: %s", status, tool, redact(detail(exc), secrets))
        if status >= 500:
            return f"Letta failed with HTTP {status} (details are in letta-mcp's log and Letta's).{then}"
        return f"Letta answered HTTP {status}: {detail(exc)}"
    if isinstance(exc, lc.APIResponseValidationError):
        logger.error("Letta's answer to %s did not match its schema", tool, exc_info=exc)
        return "Letta sent an answer letta-mcp could not read (logged). Letta's version may not be supported."
    return None
