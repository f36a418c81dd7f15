"""An agent's steps as MCP progress notifications and info log messages, whichever backend streams them."""

from __future__ import annotations

import logging
import time
from typing import Any

logger = logging.getLogger(__name__)


def _wants_log(ctx: Any, level: str) -> bool:
    """Whether this request's client asked for log messages of `level` (handshake era: logging/setLevel)."""
    subscriptions = ctx.request_context.lifespan_context.subscriptions
    return subscriptions is None or bool(subscriptions.wants_log(ctx.request_context.session, level))


class Progress:
    """Counts a turn's steps and reports each (progress when the client asked for it; info logs when it wants them)."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.count = 0
        self.started = time.monotonic()

    async def step(self, message: str) -> None:
        self.count += 1
        if self.ctx is None:
            return
        await self.ctx.report_progress(self.count, None, message)
        try:
            if _wants_log(self.ctx, "info"):
                await self.ctx.info(message)
        except Exception:
            logger.debug("log notification not delivered", exc_info=True)

    async def working(self, run_id: str | None) -> None:
        if self.count == 0:
            await self.step(f"agent is working (run {run_id})")
        else:
            await self.step(f"still working ({time.monotonic() - self.started:.0f} s)")


__all__ = ["Progress"]
