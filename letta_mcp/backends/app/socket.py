"""One WebSocket to Letta's App Server: requests matched to answers by request_id, events to listeners.

The App Server speaks JSON frames: a request ``{"type": T, "request_id": ID, ...}`` is answered by
``T_response`` with the same id and ``success`` (``input`` is answered by ``input_accepted``); turn
events (``stream_delta``, ``turn_finished``, ``control_request``, ``memory_updated`` …) arrive on the
same socket without an id of ours. An unknown frame type gets no answer at all, so every request has
a deadline.

The socket is opened on first use and kept (one per process). When it drops, every request still
waiting fails with `Disconnected`, which says whether the request may have reached the App Server;
nothing is ever sent again on the caller's behalf (a resent ``input`` would talk to an agent twice).
The next request opens a new socket.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import anyio

logger = logging.getLogger(__name__)

Listener = Callable[[dict[str, Any]], Awaitable[None]]

ANSWERS = {"input": "input_accepted"}
"""Requests whose answer is not named `<type>_response`."""


class AppServerError(Exception):
    """The App Server answered, and said no (`success: false`)."""

    def __init__(self, kind: str, said: str) -> None:
        super().__init__(f"{kind}: {said}")
        self.kind = kind
        self.said = said


class Disconnected(Exception):
    """No answer because there is no socket: it could not be opened, or it dropped while the request waited."""

    def __init__(self, url: str, *, sent: bool, reason: str) -> None:
        super().__init__(f"App Server at {url}: {reason}")
        self.url = url
        self.sent = sent
        self.reason = reason


class NoAnswer(Exception):
    """The App Server did not answer in time (it may not know the request's type)."""

    def __init__(self, kind: str, seconds: float) -> None:
        super().__init__(f"no answer to {kind} within {seconds:g} s")
        self.kind = kind
        self.seconds = seconds


def http_url(base_url: str, path: str) -> str:
    """An HTTP URL on the App Server (its probes: /healthz, /readyz)."""
    parts = urlsplit(base_url)
    scheme = "https" if parts.scheme == "wss" else "http"
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def control_url(base_url: str) -> str:
    """The App Server's WebSocket endpoint: ``/ws`` under the base URL."""
    trimmed = base_url.rstrip("/")
    return trimmed if trimmed.endswith("/ws") else trimmed + "/ws"


class _Pending:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.done = anyio.Event()
        self.answer: dict[str, Any] | None = None
        self.error: BaseException | None = None
        self.entries: list[Any] = []
        """list_memory answers in chunks (`done: false` until the last)."""

    def resolve(self, frame: dict[str, Any]) -> None:
        if frame.get("type") == "list_memory_response" and frame.get("done") is False:
            self.entries += frame.get("entries") or []
            return
        if self.entries:
            frame = {**frame, "entries": [*self.entries, *(frame.get("entries") or [])]}
        self.answer = frame
        self.done.set()

    def fail(self, error: BaseException) -> None:
        if not self.done.is_set():
            self.error = error
            self.done.set()


class AppSocket:
    """The process's WebSocket to one App Server."""

    def __init__(
        self, url: str, token: str | None, *, timeout: float, connect_timeout: float, shown: str | None = None
    ) -> None:
        self.url = control_url(url)
        self.shown = shown or self.url
        self._token = token
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._ws: Any = None
        self._lock = anyio.Lock()
        self._pending: dict[str, _Pending] = {}
        self._listeners: list[Listener] = []
        self._spawn: Callable[..., Any] | None = None
        self.connections = 0
        """How many sockets were opened (a reconnect opens another)."""
        self.closing = False
        """Set when letta-mcp shuts the socket for good (nothing reconnects then)."""

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def attach(self, spawn: Callable[..., Any]) -> None:
        """Where the reader runs: the server's task group (it must outlive any one request)."""
        self._spawn = spawn

    async def _open(self) -> Any:
        async with self._lock:
            if self._ws is not None:
                return self._ws
            if self._spawn is None:
                raise RuntimeError("the App Server socket has no task group: the server's lifespan is not running")
            import websockets

            headers = {"Authorization": f"Bearer {self._token}"} if self._token else None
            try:
                with anyio.fail_after(self.connect_timeout):
                    ws = await websockets.connect(
                        self.url, additional_headers=headers, max_size=None, open_timeout=None
                    )
            except TimeoutError:
                raise Disconnected(self.shown, sent=False, reason="no connection within the connect timeout") from None
            except websockets.InvalidStatus as exc:
                status = exc.response.status_code
                reason = "the token was refused (401)" if status == 401 else f"the connection was refused ({status})"
                raise Disconnected(self.shown, sent=False, reason=reason) from None
            except OSError as exc:
                raise Disconnected(self.shown, sent=False, reason=f"unreachable ({exc.strerror or exc})") from None
            self._ws = ws
            self.connections += 1
            self._spawn(self._read, ws)
            return ws

    async def _read(self, ws: Any) -> None:
        reason = "the connection closed"
        try:
            async for raw in ws:
                try:
                    frame = json.loads(raw)
                except ValueError:
                    logger.warning("the App Server sent a frame that is not JSON; ignored")
                    continue
                if isinstance(frame, dict):
                    await self._dispatch(frame)
        except Exception as exc:  # noqa: BLE001 — any end of the socket fails what waits on it
            reason = f"the connection dropped ({type(exc).__name__})"
        finally:
            await self._dropped(ws, reason)

    async def _dispatch(self, frame: dict[str, Any]) -> None:
        rid = frame.get("request_id")
        pending = self._pending.get(rid) if isinstance(rid, str) else None
        if pending is not None and frame.get("type") == ANSWERS.get(pending.kind, f"{pending.kind}_response"):
            pending.resolve(frame)
            if pending.done.is_set():
                self._pending.pop(rid, None)  # type: ignore[arg-type]
            return
        for listener in list(self._listeners):
            try:
                await listener(frame)
            except Exception:
                logger.exception("an App Server event listener failed")

    async def _dropped(self, ws: Any, reason: str) -> None:
        if self._ws is ws:
            self._ws = None
            logger.warning("App Server socket %s: %s; the next request reconnects", self.shown, reason)
        for rid, pending in list(self._pending.items()):
            self._pending.pop(rid, None)
            pending.fail(Disconnected(self.shown, sent=True, reason=reason))
        for listener in list(self._listeners):
            try:
                await listener({"type": "letta_mcp_disconnected", "reason": reason})
            except Exception:
                logger.exception("an App Server event listener failed")

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Send one request and return its answer within the timeout; raise AppServerError when it says no."""
        ws = await self._open()
        rid = uuid.uuid4().hex
        pending = _Pending(kind)
        self._pending[rid] = pending
        wait = self.timeout
        try:
            try:
                await ws.send(json.dumps({"type": kind, "request_id": rid, **fields}))
            except Exception as exc:  # noqa: BLE001 — a socket that failed to send is gone
                await self._dropped(ws, f"sending failed ({type(exc).__name__})")
                raise Disconnected(self.shown, sent=False, reason="the connection dropped before sending") from None
            with anyio.move_on_after(wait):
                await pending.done.wait()
        finally:
            self._pending.pop(rid, None)
        if pending.error is not None:
            raise pending.error
        if pending.answer is None:
            raise NoAnswer(kind, wait)
        answer = pending.answer
        if answer.get("success") is False or answer.get("accepted") is False:
            raise AppServerError(kind, str(answer.get("error") or "refused, without a reason"))
        return answer

    async def drop(self) -> None:
        """Close the socket (tests use it to cut the connection; the next request reconnects)."""
        ws = self._ws
        if ws is not None:
            await ws.close()

    async def aclose(self) -> None:
        self.closing = True
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()
        for rid, pending in list(self._pending.items()):
            self._pending.pop(rid, None)
            pending.fail(Disconnected(self.shown, sent=True, reason="letta-mcp is shutting down"))


__all__ = ["AppServerError", "AppSocket", "Disconnected", "NoAnswer", "control_url", "http_url"]
