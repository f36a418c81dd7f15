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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import letta_client as lc

from letta_mcp.backends.rest._base import retrieve_run, text_of
from letta_mcp.backends.rest.replies import build_reply, message_type
from letta_mcp.backends.shared import STEP_CHARS
from letta_mcp.core.errors import MAYBE_APPLIED, LettaMCPError
from letta_mcp.core.models import TERMINAL, Detail, Reply, clip, run_status
from letta_mcp.core.progress import Progress

if TYPE_CHECKING:
    from letta_client import AsyncLetta

    from letta_mcp.backends.rest._base import Connection

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5
RUN_ID_WAIT = 15.0
"""How long past its deadline a turn is followed for its run id (Letta sends it with its first event)."""


def _step_text(m: Any) -> str | None:
    """What one of the agent's steps looks like as a progress message."""
    kind = message_type(m)
    if kind == "reasoning":
        return "thinking: " + clip(str(getattr(m, "reasoning", "") or ""), STEP_CHARS)
    if kind == "tool_call":
        return f"calling tool {getattr(getattr(m, 'tool_call', None), 'name', '?')}"
    if kind == "approval_request":
        calls = getattr(m, "tool_calls", None) or [getattr(m, "tool_call", None)]
        return f"waiting for a person's approval to run {getattr(calls[0], 'name', '?')}"
    if kind == "tool_return":
        return f"tool {getattr(m, 'name', '?')} returned ({getattr(m, 'status', None) or 'done'})"
    if kind == "assistant":
        return "replying: " + clip(text_of(getattr(m, "content", None)), STEP_CHARS)
    return None


async def report(progress: Progress, m: Any) -> None:
    text = _step_text(m)
    if text is not None:
        await progress.step(text)


def running(agent_id: str, run_id: str | None, messages: Sequence[Any], wait: float, detail: Detail) -> Reply:
    return build_reply(
        agent_id,
        messages,
        status="running",
        run_id=run_id,
        note=f"The agent is still working after {wait:g} s. Call get_run with run_id={run_id!r} "
        "(and wait_seconds) for the reply; its partial output so far is above.",
        detail=detail,
    )


def failed_turn(run_id: str | None, reported: str) -> LettaMCPError:
    return LettaMCPError(
        f"The agent's turn failed in Letta (run {run_id}): {reported}. The message was delivered: check "
        "list_messages before sending it again."
    )


@dataclass
class Streamed:
    """What arrived on a turn's stream so far."""

    messages: list[Any] = field(default_factory=list)
    run_id: str | None = None
    usage: Any = None
    stop: str | None = None
    failures: list[str] = field(default_factory=list)
    finished: bool = False

    async def take(self, chunk: Any, progress: Progress) -> None:
        self.run_id = getattr(chunk, "run_id", None) or self.run_id
        kind = getattr(chunk, "message_type", None)
        if kind == "ping":
            await progress.working(self.run_id)
        elif kind == "usage_statistics":
            self.usage = chunk
        elif kind == "stop_reason":
            self.stop = str(getattr(chunk, "stop_reason", "") or "") or None
        elif kind == "error_message":
            self.failures.append(str(getattr(chunk, "message", "")) + " " + str(getattr(chunk, "detail", "") or ""))
        else:
            self.messages.append(chunk)
            await report(progress, chunk)


Said = str | list[dict[str, Any]]
"""What a turn starts from: the user's text, or Letta messages (an approval's answer)."""


def body_of(message: Said) -> dict[str, Any]:
    return {"input": message} if isinstance(message, str) else {"messages": message}


def _in_thread(reply: Reply, run: Any) -> Reply:
    """The reply, saying which conversation its run belongs to (none for the default thread)."""
    thread = getattr(run, "conversation_id", None)
    return reply.model_copy(update={"conversation_id": thread}) if thread and thread != "default" else reply


async def _drain(stream: Any, lease: object) -> None:
    """Read the rest of a turn's stream, so that Letta finishes the turn (its outcome is in the run).

    `lease` is kept alive until then: it holds the stream's client, which is not closed while held
    (`callers.ClientPool`)."""
    try:
        async for _ in stream:
            pass
    except Exception:
        logger.info("the rest of a handed-back turn's stream broke off", exc_info=True)
    finally:
        await stream.close()


class Conversation:
    """One turn of one agent, run in Letta within a deadline."""

    def __init__(
        self,
        ctx: Any,
        backend: Connection,
        letta: AsyncLetta,
        settings_timeout: float,
        spawn: Callable[..., Any] | None = None,
        lease: object = None,
    ) -> None:
        self.lease = lease
        """What holds `letta`'s lease (the request): a stream read on in the background keeps it."""
        self.ctx = ctx
        self.backend = backend
        self.letta = letta
        self.timeout = settings_timeout
        self.spawn = spawn

    async def converse(
        self, agent_id: str, conversation: str | None, message: Said, wait: float, detail: Detail
    ) -> Reply:
        """Send `message` (in `conversation`, or the agent's default thread): the user's text, or Letta
        messages (an approval's answer); return the reply if the agent finishes within `wait` seconds, else a
        run handle."""
        if self.backend.background_streams is False and conversation is None:
            return await self._converse_polling(agent_id, message, wait, detail)
        stream = None
        if self.backend.background_streams is not False:
            stream = await self._start_stream(agent_id, conversation, message, wait, background=True)
        if stream is None and conversation is None:
            return await self._converse_polling(agent_id, message, wait, detail)
        if stream is None:
            # A conversation has no asynchronous run to poll: stream the turn itself, and past the deadline
            # keep reading it in the background so the turn finishes in Letta and get_run finds it.
            stream = await self._start_stream(agent_id, conversation, message, wait, background=False)
        got = Streamed()
        keep_reading = False
        try:
            await self._read(stream, got, wait)
            keep_reading = not got.finished and self.backend.background_streams is False
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self.cancel_quietly(agent_id, got.run_id)
            raise
        except (httpx.HTTPError, lc.APIConnectionError) as exc:
            if got.run_id is None:
                raise
            # The run lives on in Letta: hand it back instead of losing it.
            logger.warning("stream of run %s broke (%s); handing back the run id", got.run_id, type(exc).__name__)
            return running(agent_id, got.run_id, got.messages, wait, detail)
        finally:
            if not keep_reading:
                with anyio.CancelScope(shield=True):
                    await stream.close()
        if keep_reading and self.spawn is not None:
            self.spawn(_drain, stream, self.lease)
        return self._outcome(agent_id, got, wait, detail)

    async def _start_stream(
        self, agent_id: str, conversation: str | None, message: Said, wait: float, *, background: bool
    ) -> Any:
        """The turn's stream, or None when this Letta cannot run a background one (no Redis)."""
        timeout = httpx.Timeout(max(self.timeout, wait + 10), connect=self.backend.settings.connect_timeout)
        options: dict[str, Any] = {"streaming": True, "include_pings": True, "timeout": timeout}
        if background:
            options["background"] = True
        try:
            if conversation is None:
                stream = await self.letta.agents.messages.create(agent_id, **body_of(message), **options)
            else:
                stream = await self.letta.conversations.messages.create(conversation, **body_of(message), **options)
            if not background:
                return stream
        except lc.APIStatusError as exc:
            if not background:
                raise
            said = str(getattr(exc, "body", "") or exc).lower()
            if exc.status_code != 503 or not ("redis" in said or "background" in said):
                raise
            # Letta refuses background streams before it starts the turn when it has no Redis.
            logger.warning(
                "Letta cannot run background streams (%s); polling asynchronous runs instead",
                clip(str(getattr(exc, "body", "") or exc), 200),
            )
            self.backend.background_streams = False
            return None
        self.backend.background_streams = True
        return stream

    async def _read(self, stream: Any, got: Streamed, wait: float) -> None:
        progress = Progress(self.ctx)
        start = anyio.current_time()
        try:
            # A hand-back needs the run id, which comes with Letta's first event: until it has come, the
            # deadline waits for it (a task is made with wait 0, at that first event).
            with anyio.CancelScope(deadline=start + max(wait, RUN_ID_WAIT)) as scope:
                async for chunk in stream:
                    await got.take(chunk, progress)
                    if got.run_id is not None:
                        scope.deadline = start + wait
                got.finished = True
        except lc.APIStatusError as exc:
            if exc.status_code != 200:
                raise
            # An error event inside the stream: the turn started (the message is stored) and then failed.
            got.failures.append(str(exc.message))
            got.finished = True

    def _outcome(self, agent_id: str, got: Streamed, wait: float, detail: Detail) -> Reply:
        if not got.finished:
            return running(agent_id, got.run_id, got.messages, wait, detail)
        if got.run_id is None and got.stop is None and not got.messages and not got.failures:
            # A stream that ended without a single event it could read: not an empty reply, but no answer.
            logger.error("the stream of a turn of agent %s ended without an event letta-mcp could read", agent_id)
            raise LettaMCPError(
                "Letta sent an answer letta-mcp could not read (its stream carried no event; logged)."
                + MAYBE_APPLIED.replace("check (e.g. with a list_* or get_* tool)", "check list_messages")
            )
        if got.failures or (got.stop and got.stop.startswith("error")):
            reported = clip("; ".join(e.strip() for e in got.failures), 500) or f"stop reason {got.stop}"
            raise failed_turn(got.run_id, reported)
        return build_reply(
            agent_id, got.messages, run_id=got.run_id, usage=got.usage, stop_reason=got.stop, detail=detail
        )

    async def cancel_quietly(self, agent_id: str, run_id: str | None) -> None:
        """The MCP request was cancelled: cancel the Letta run too (best effort, never raises)."""
        if run_id is None:
            return
        try:
            await self.letta.agents.messages.cancel(agent_id, run_ids=[run_id])
            logger.info("cancelled run %s after the client cancelled the request", run_id)
        except Exception:
            logger.warning("could not cancel run %s", run_id, exc_info=True)

    async def _converse_polling(self, agent_id: str, message: Said, wait: float, detail: Detail) -> Reply:
        run = await self.letta.agents.messages.create_async(agent_id, **body_of(message))
        try:
            return await self.await_run(run.id, wait, detail)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self.cancel_quietly(agent_id, run.id)
            raise

    async def run_messages(self, run_id: str) -> list[Any]:
        """Every message of a run, oldest first (paged: a run can have many steps)."""
        out: list[Any] = []
        after: str | None = None
        for _ in range(50):
            kwargs: dict[str, Any] = {"limit": 100, "order": "asc"}
            if after:
                kwargs["after"] = after
            page = await self.letta.runs.messages.list(run_id, **kwargs)
            out += page.items
            if len(page.items) < 100:
                break
            after = page.items[-1].id
        return out

    async def await_run(self, run_id: str, wait: float, detail: Detail) -> Reply:
        """A run's outcome, waiting up to `wait` seconds for it to finish, reporting new steps as progress."""
        progress = Progress(self.ctx)
        seen = 0
        deadline = time.monotonic() + wait
        while True:
            run = await retrieve_run(self.letta, run_id)
            status = run_status(run.status)
            if status in TERMINAL or time.monotonic() >= deadline:
                break
            messages = await self.run_messages(run_id)
            for m in messages[seen:]:
                await report(progress, m)
            if len(messages) == seen:
                await progress.working(run_id)
            seen = len(messages)
            await anyio.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        messages = await self.run_messages(run_id)
        if status not in TERMINAL:
            return _in_thread(running(run.agent_id, run_id, messages, wait, detail), run)
        stop = str(run.stop_reason) if run.stop_reason else None
        reply = build_reply(run.agent_id, messages, status=status, run_id=run_id, stop_reason=stop, detail=detail)
        return _in_thread(reply, run)
