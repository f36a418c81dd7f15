"""Talking to an agent within a deadline: stream its steps as MCP progress, hand back a run when slow.

A Letta agent can work for minutes; MCP clients cut a call off after 60–120 s whatever progress they
get. So a turn runs in Letta as a *background* run (it survives our connection), its steps stream to
us and become progress notifications, and at the deadline we return the run id while Letta keeps
working. `get_run` (any replica: the run lives in Letta) fetches the outcome. Cancelling the MCP
request cancels the run. A server without Redis cannot run background streams; then the turn runs as
an asynchronous run that we poll, which never loses the reply either.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import anyio

from letta_mcp import notify
from letta_mcp.errors import LettaMCPError
from letta_mcp.models import Reply, clip
from letta_mcp.state import Ctx, RequestState
from letta_mcp.toolsets._common import text_of
from letta_mcp.toolsets._replies import Detail, build_reply, message_type

if TYPE_CHECKING:
    from letta_client import AsyncLetta

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5
TERMINAL = ("completed", "failed", "cancelled")
_STATUS = {
    "created": "running",
    "running": "running",
    "completed": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
}


class Progress:
    """Turns an agent's steps into MCP progress notifications (when asked for) and info log messages."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.count = 0
        self.started = time.monotonic()

    async def step(self, message: str) -> None:
        self.count += 1
        await self.ctx.report_progress(self.count, None, message)
        try:
            if notify.wants_log(self.ctx, "info"):
                await self.ctx.info(message)
        except Exception:
            logger.debug("log notification not delivered", exc_info=True)

    async def message(self, m: Any) -> None:
        kind = message_type(m)
        if kind == "reasoning":
            await self.step("thinking: " + clip(str(getattr(m, "reasoning", "") or ""), 160))
        elif kind == "tool_call":
            await self.step(f"calling tool {getattr(getattr(m, 'tool_call', None), 'name', '?')}")
        elif kind == "tool_return":
            await self.step(f"tool {getattr(m, 'name', '?')} returned ({getattr(m, 'status', None) or 'done'})")
        elif kind == "assistant":
            await self.step("replying: " + clip(text_of(getattr(m, "content", None)), 160))

    async def working(self, run_id: str | None) -> None:
        if self.count == 0:
            await self.step(f"agent is working (run {run_id})")
        else:
            await self.step(f"still working ({time.monotonic() - self.started:.0f} s)")


def _running(agent_id: str, run_id: str | None, messages: Sequence[Any], wait: float, detail: Detail) -> Reply:
    return build_reply(
        agent_id,
        messages,
        status="running",
        run_id=run_id,
        note=f"The agent is still working after {wait:g} s. Call get_run with run_id={run_id!r} "
        "(and wait_seconds) for the reply; its partial output so far is above.",
        detail=detail,
    )


async def converse(ctx: Ctx, state: RequestState, agent_id: str, message: str, wait: float, detail: Detail) -> Reply:
    """Send `message`; return the reply if the agent finishes within `wait` seconds, else a run handle."""
    import httpx
    import letta_client as lc

    letta = state.letta
    if state.background_streams is False:
        return await _converse_polling(ctx, state, agent_id, message, wait, detail)
    timeout = httpx.Timeout(max(state.settings.timeout, wait + 10), connect=state.settings.connect_timeout)
    try:
        stream = await letta.agents.messages.create(
            agent_id, input=message, streaming=True, background=True, include_pings=True, timeout=timeout
        )
    except lc.APIStatusError as exc:
        said = str(getattr(exc, "body", "") or exc).lower()
        if exc.status_code != 503 or not ("redis" in said or "background" in said):
            raise
        # Letta refuses background streams before it starts the turn when it has no Redis.
        logger.warning(
            "Letta cannot run background streams (%s); polling asynchronous runs instead",
            clip(str(getattr(exc, "body", "") or exc), 200),
        )
        state.background_streams = False
        return await _converse_polling(ctx, state, agent_id, message, wait, detail)
    state.background_streams = True
    progress = Progress(ctx)
    messages: list[Any] = []
    run_id: str | None = None
    usage: Any = None
    stop: str | None = None
    errors: list[str] = []
    finished = False
    try:
        with anyio.move_on_after(wait):
            async for chunk in stream:
                run_id = getattr(chunk, "run_id", None) or run_id
                kind = getattr(chunk, "message_type", None)
                if kind == "ping":
                    await progress.working(run_id)
                elif kind == "usage_statistics":
                    usage = chunk
                elif kind == "stop_reason":
                    stop = str(getattr(chunk, "stop_reason", "") or "") or None
                elif kind == "error_message":
                    errors.append(str(getattr(chunk, "message", "")) + " " + str(getattr(chunk, "detail", "") or ""))
                else:
                    messages.append(chunk)
                    await progress.message(chunk)
            finished = True
    except anyio.get_cancelled_exc_class():
        with anyio.CancelScope(shield=True):
            await _cancel_quietly(letta, agent_id, run_id)
        raise
    except lc.APIStatusError as exc:
        if exc.status_code != 200:
            raise
        # An error event inside the stream: the turn started (the message is stored) and then failed.
        errors.append(str(exc.message))
        finished = True
    except (httpx.HTTPError, lc.APIConnectionError) as exc:
        if run_id is None:
            raise
        # The run lives on in Letta: hand it back instead of losing it.
        logger.warning("stream of run %s broke (%s); handing back the run id", run_id, type(exc).__name__)
        return _running(agent_id, run_id, messages, wait, detail)
    finally:
        with anyio.CancelScope(shield=True):
            await stream.close()
    if not finished:
        return _running(agent_id, run_id, messages, wait, detail)
    if errors or (stop and stop.startswith("error")):
        reported = clip("; ".join(e.strip() for e in errors), 500) or f"stop reason {stop}"
        raise LettaMCPError(
            f"The agent's turn failed in Letta (run {run_id}): {reported}. The message was delivered: check "
            "list_messages before sending it again."
        )
    return build_reply(agent_id, messages, run_id=run_id, usage=usage, stop_reason=stop, detail=detail)


async def _cancel_quietly(letta: AsyncLetta, agent_id: str, run_id: str | None) -> None:
    """The MCP request was cancelled: cancel the Letta run too (best effort, never raises)."""
    if run_id is None:
        return
    try:
        await letta.agents.messages.cancel(agent_id, run_ids=[run_id])
        logger.info("cancelled run %s after the client cancelled the request", run_id)
    except Exception:
        logger.warning("could not cancel run %s", run_id, exc_info=True)


async def _converse_polling(
    ctx: Ctx, state: RequestState, agent_id: str, message: str, wait: float, detail: Detail
) -> Reply:
    run = await state.letta.agents.messages.create_async(agent_id, input=message)
    try:
        return await await_run(ctx, state, run.id, wait, detail)
    except anyio.get_cancelled_exc_class():
        with anyio.CancelScope(shield=True):
            await _cancel_quietly(state.letta, agent_id, run.id)
        raise


async def run_messages(letta: AsyncLetta, run_id: str) -> list[Any]:
    """Every message of a run, oldest first (paged: a run can have many steps)."""
    out: list[Any] = []
    after: str | None = None
    for _ in range(50):
        kwargs: dict[str, Any] = {"limit": 100, "order": "asc"}
        if after:
            kwargs["after"] = after
        page = await letta.runs.messages.list(run_id, **kwargs)
        out += page.items
        if len(page.items) < 100:
            break
        after = page.items[-1].id
    return out


async def await_run(ctx: Ctx, state: RequestState, run_id: str, wait: float, detail: Detail) -> Reply:
    """A run's outcome, waiting up to `wait` seconds for it to finish, reporting new steps as progress."""
    letta = state.letta
    progress = Progress(ctx)
    seen = 0
    deadline = time.monotonic() + wait
    while True:
        run = await letta.runs.retrieve(run_id)
        status = run.status or "running"
        if status in TERMINAL or time.monotonic() >= deadline:
            break
        messages = await run_messages(letta, run_id)
        for m in messages[seen:]:
            await progress.message(m)
        if len(messages) == seen:
            await progress.working(run_id)
        seen = len(messages)
        await anyio.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
    messages = await run_messages(letta, run_id)
    if status not in TERMINAL:
        return _running(run.agent_id, run_id, messages, wait, detail)
    stop = str(run.stop_reason) if run.stop_reason else None
    return build_reply(
        run.agent_id,
        messages,
        status=_STATUS.get(status, "running"),  # type: ignore[arg-type]
        run_id=run_id,
        stop_reason=stop,
        detail=detail,
    )
