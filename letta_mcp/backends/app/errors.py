"""Failures of the App Server socket worded for the model, and which reads may be retried."""

from __future__ import annotations

from letta_mcp.backends.app.socket import AppServerError, Disconnected, NoAnswer
from letta_mcp.core.errors import LettaMCPError, NotFound, after_failure

_MISSING = ("not found", "does not exist", "no such", "unknown agent", "not exist")


def describe(exc: BaseException, *, write: bool) -> LettaMCPError | None:
    """The error for a failure of the App Server socket, or None when `exc` is not one."""
    if isinstance(exc, AppServerError):
        said = " ".join(exc.said.split())[:500]
        if any(word in said.lower() for word in _MISSING):
            return NotFound(f"Not found on Letta's App Server: {said}. Call list_agents to find a valid id or name.")
        return LettaMCPError(f"Letta's App Server refused {exc.kind}: {said}.")
    if isinstance(exc, Disconnected):
        if "401" in exc.reason:
            return LettaMCPError(
                f"Letta's App Server at {exc.url} refused the token (401): set LETTA_API_KEY to its capability token."
            )
        if exc.sent:
            return LettaMCPError(
                f"The connection to Letta's App Server at {exc.url} broke before it answered ({exc.reason})."
                f"{after_failure(write)}"
            )
        return LettaMCPError(
            f"Letta's App Server is unreachable at {exc.url} ({exc.reason}) — is it running (`letta server`), and "
            "is LETTA_BASE_URL right? `letta-mcp --local` starts one."
        )
    if isinstance(exc, NoAnswer):
        return LettaMCPError(
            f"Letta's App Server did not answer {exc.kind} within {exc.seconds:g} s (LETTA_MCP_TIMEOUT)."
            f"{after_failure(write)}"
        )
    return None


def retry_delay(exc: BaseException, attempt: int) -> float | None:
    """Reads retry when the socket was missing or dropped (the next request reconnects)."""
    if isinstance(exc, Disconnected) and "401" not in exc.reason:
        delay: float = 0.2 * 2 ** (attempt - 1)
        return delay
    return None
