"""Serving HTTP until a signal: one process (`serve`), or with `--workers N` N processes serving one
listening socket, each stopped the way a single server is (`supervise`).

uvicorn's own supervisor runs its default server in every worker, which cuts streamed calls on
SIGTERM. This one binds the socket, starts N workers (spawned, each building its server from the
settings the parent exported) that run `drain.DrainingServer` on it, and on SIGTERM or Ctrl-C sends each
worker SIGTERM and waits for it to drain (a second signal is passed on: the workers stop at once). A
worker that dies while serving is replaced; one that dies within STARTUP_SECONDS of starting stops
them all (it would only die again).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import secrets
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from typing import Any

from letta_mcp.core.config import Settings
from letta_mcp.core.logs import configure_logging
from letta_mcp.server import LettaServer
from letta_mcp.transports.auth import server_auth
from letta_mcp.transports.drain import GRACE_SECONDS, Drain, DrainingServer, DrainMiddleware, uvicorn_config
from letta_mcp.transports.http import create_app

logger = logging.getLogger(__name__)

STARTUP_SECONDS = 5.0


def _worker(sock: socket.socket, log_level: str) -> None:
    """One worker process: the server from the environment the supervisor exported, on its socket."""
    from letta_mcp.server import create_server

    configure_logging(log_level)
    settings = Settings()
    drain = Drain()
    app = DrainMiddleware(create_app(create_server(settings, **server_auth(settings)), settings), drain)
    DrainingServer(uvicorn_config(app, settings), drain, ignore_sigint=True).run(sockets=[sock])


class Supervisor:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.context = multiprocessing.get_context("spawn")
        self.signals = 0
        self.workers: list[tuple[BaseProcess, float]] = []

    def start_worker(self, sock: socket.socket) -> tuple[BaseProcess, float]:
        process = self.context.Process(target=_worker, args=(sock, self.settings.log_level), daemon=False)
        process.start()
        logger.info("worker %d started", process.pid)
        return process, time.monotonic()

    def on_signal(self, sig: int, frame: Any) -> None:
        self.signals += 1
        for process, _ in self.workers:
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signal.SIGTERM)

    def run(self) -> int:
        if self.settings.state_keys is None:
            # One key for all workers, so a question asked by one can be answered through another.
            os.environ["LETTA_MCP_STATE_KEYS"] = secrets.token_hex(32)
        sock = uvicorn_config(None, self.settings).bind_socket()
        previous = {sig: signal.signal(sig, self.on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.workers = [self.start_worker(sock) for _ in range(self.settings.workers)]
            while not self.signals:
                time.sleep(0.2)
                for i, (process, started) in enumerate(self.workers):
                    if process.is_alive() or self.signals:
                        continue
                    if time.monotonic() - started < STARTUP_SECONDS:
                        logger.error("worker %d exited %s while starting: stopping", process.pid, process.exitcode)
                        self.on_signal(signal.SIGTERM, None)
                        self.wait()
                        return 1
                    logger.warning("worker %d exited %s: starting another", process.pid, process.exitcode)
                    self.workers[i] = self.start_worker(sock)
            logger.info("stopping %d workers (they drain first, up to %.0f s)", len(self.workers), GRACE_SECONDS)
            self.wait()
            return 0
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            sock.close()

    def wait(self) -> None:
        deadline = time.monotonic() + GRACE_SECONDS + 10
        for process, _ in self.workers:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                logger.warning("worker %d did not stop in time: killed", process.pid)
                process.kill()
                process.join()


def supervise(settings: Settings) -> None:
    """Run `settings.workers` workers until a signal stops them; exit 1 if they cannot start."""
    code = Supervisor(settings).run()
    if code:
        raise SystemExit(code)


def serve(server: LettaServer, settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT, then let in-flight calls finish (`drain`): one process, or with
    `--workers N` a supervisor of N (`workers`)."""
    logger.info(
        "serving MCP at http://%s:%d/mcp (auth: %s, workers: %d)",
        settings.host,
        settings.port,
        settings.auth,
        settings.workers,
    )
    if settings.workers > 1:
        supervise(settings)
        return
    drain = Drain()
    app = DrainMiddleware(create_app(server, settings), drain)
    DrainingServer(uvicorn_config(app, settings), drain).run()


__all__ = ["serve", "supervise"]
