"""Logging: to stderr only (stdout belongs to the protocol on stdio), at the level the settings give."""

from __future__ import annotations

import logging
import sys
import warnings


def configure_logging(level: str) -> None:
    # Agent steps are sent as MCP log messages on purpose (clients of the 2025 protocol show them);
    # the SDK's deprecation notice about that would only clutter stderr.
    warnings.filterwarnings("ignore", message="The logging capability is deprecated")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Request lines from the HTTP clients are noise at INFO; warnings still show.
    for noisy in ("httpx", "httpcore", "mcp.server.lowlevel.server"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


__all__ = ["configure_logging"]
