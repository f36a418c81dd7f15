"""The memory service behind the Claude Code hooks: one process for each configuration, started by the first
hook that needs it, listening on a Unix socket of the user's own, gone after `IDLE_SECONDS` without work.

It talks to Letta through letta-mcp's own tools (an in-memory MCP client of a server built here), so the
project's agent is found, read and written by the same rules on both backends as a model's tool calls are.
What it has done for each Claude Code session (the notes given, how far the transcript was sent, the
conversation) is kept in a file per session under the plugin's data folder: a send that did not finish is
sent again with the session's next one, and a part that was sent is never sent again."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import SocketStream

from letta_mcp.plugin.notes import Block, digests, redact, render, render_changes, transcript_lines
from letta_mcp.plugin.project import ABOUT, BLOCKS, Project, project_of

logger = logging.getLogger("letta_mcp.plugin")

IDLE_SECONDS = 20 * 60
ACK_SECONDS = 1.0
PROJECT_SECONDS = 60.0
SEND_CHARS = 16_000
"""One message to the agent holds at most this much of a transcript; a longer part goes as several."""
DEFAULT_TOKENS = 1_500
FIX = "Set the letta plugin's letta_url and api_key options if Letta is elsewhere."


class Memory:
    """The hooks' requests, answered through `client` (an MCP client of letta-mcp)."""

    def __init__(self, client: Any, data: Path, *, backend: str, agent: str, tokens: int, url: str) -> None:
        self.client = client
        self.data = data
        self.backend = backend
        self.agent_option = agent
        self.tokens = tokens
        self.url = url
        self.agents: dict[str, tuple[str, str]] = {}
        self.locks: dict[str, anyio.Lock] = {}
        self.projects: dict[str, tuple[float, Project]] = {}
        self.busy = 0

    async def call(self, name: str, /, **arguments: Any) -> dict[str, Any]:
        result = await self.client.call_tool(name, arguments)
        text = " ".join(getattr(c, "text", "") for c in result.content)
        if result.is_error:
            raise RuntimeError(text.removeprefix(f"Error executing tool {name}: "))
        return dict(result.structured_content or {})

    # which agent

    def project(self, cwd: str) -> Project:
        """The project of `cwd`, asked of git once a minute at most (two git runs would cost a prompt ~20 ms)."""
        found = self.projects.get(cwd)
        if found is None or time.monotonic() - found[0] > PROJECT_SECONDS:
            found = self.projects[cwd] = (time.monotonic(), project_of(cwd))
        return found[1]

    async def agent_for(self, project: Project) -> tuple[str, str]:
        """(id, name) of the project's agent: the one named in the options, else (on the App Server) Letta
        Code's agent for the repository, else the one tagged with the repository, made on first use."""
        if project.tag in self.agents:
            return self.agents[project.tag]
        found: dict[str, Any] | None = None
        if self.agent_option:
            found = await self.call("get_agent", agent=self.agent_option)
        elif self.backend == "app" and (named := project.letta_code_agent()):
            with contextlib.suppress(RuntimeError):
                found = await self.call("get_agent", agent=named)
        if found is None:
            found = await self.call(
                "create_agent",
                name=project.agent_name,
                description=ABOUT,
                memory_blocks=BLOCKS,
                tags=[project.tag],
                unique_by="tags",
            )
        self.agents[project.tag] = (str(found["id"]), str(found["name"]))
        return self.agents[project.tag]

    async def blocks(self, agent_id: str) -> list[Block]:
        """The agent's memory blocks, in one read of its letta:// resource (a hook waits for it)."""
        from mcp.shared.exceptions import MCPError

        try:
            read = await self.client.read_resource(f"letta://agents/{agent_id}")
        except MCPError as exc:
            raise RuntimeError(str(exc)) from None
        memory = json.loads(read.contents[0].text).get("memory") or []
        return [
            Block(str(b["label"]), str(b.get("value") or ""), str(b.get("description") or ""), b.get("chars"))
            for b in memory
        ]

    # session state

    def state_path(self, session: str) -> Path:
        safe = "".join(c for c in session if c.isalnum() or c in "-_") or "unknown"
        return self.data / "sessions" / f"{safe}.json"

    def load(self, session: str) -> dict[str, Any]:
        try:
            loaded = json.loads(self.state_path(session).read_text())
        except (OSError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def save(self, session: str, state: dict[str, Any]) -> None:
        path = self.state_path(session)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(".tmp")
        temp.write_text(json.dumps(state))
        os.replace(temp, path)

    def lock(self, session: str) -> anyio.Lock:
        return self.locks.setdefault(session, anyio.Lock())

    # the hooks

    async def answer(self, event: str, hook: dict[str, Any], stream: SocketStream) -> dict[str, Any]:
        session = str(hook.get("session_id") or "unknown")
        project = self.project(str(hook.get("cwd") or os.getcwd()))
        if project.opted_out():
            return {"outcome": f"opted out ({project.root})"}
        if event == "record":
            state = self.load(session)
            state.update(transcript=str(hook.get("transcript_path") or state.get("transcript") or ""))
            state.setdefault("project", str(project.root))
            async with self.lock(session):
                self.save(session, {**self.load(session), **state})
            self.background(self.send_pending, session, project)
            return {"outcome": "accepted"}
        try:
            async with self.lock(session):
                return await self.notes(event, session, project, hook, stream)
        except RuntimeError as exc:
            said = " ".join(str(exc).split())[:300]
            if self.load(session).get("told"):
                return {"outcome": f"failed: {said}"}
            # Said once a session, in one line, and counted as said only when the hook took it (a hook that
            # gave up waiting, as a cold start's may, leaves it for the next): the session goes on without memory.
            problem = f"Letta memory is off for this session: {said} {FIX}"
            await send_json(stream, {"outcome": f"failed: {said}", "problem": problem, "ack": True})
            with anyio.move_on_after(ACK_SECONDS):
                if b"ack" in await stream.receive():
                    async with self.lock(session):
                        self.save(session, {**self.load(session), "told": True})
            return {}

    async def notes(
        self, event: str, session: str, project: Project, hook: dict[str, Any], stream: SocketStream
    ) -> dict[str, Any]:
        state = self.load(session)
        agent_id, agent_name = await self.agent_for(project)
        blocks = await self.blocks(agent_id)
        fresh = event == "session-start" and hook.get("source") in (None, "startup", "clear", "compact")
        if fresh or "given" not in state:
            text = render(blocks, agent=agent_name, agent_id=agent_id, budget_tokens=self.tokens)
        else:
            text = render_changes(
                blocks, state["given"], agent=agent_name, agent_id=agent_id, budget_tokens=self.tokens
            )
        if event == "session-start":
            # Sessions that ended with a part unsent (Claude Code quit mid-send, or this service stopped) send it now.
            self.background(self.send_all_pending, project)
        if not text:
            return {"outcome": "nothing changed"}
        state.update(agent=agent_id, project=str(project.root))
        await send_json(stream, {"context": text, "ack": True, "outcome": f"{len(text)} chars of notes"})
        with anyio.move_on_after(ACK_SECONDS):
            if b"ack" in await stream.receive():
                state["given"] = digests(blocks)
                self.save(session, state)
        return {}

    # sending what was said

    def background(self, job: Any, *args: Any) -> None:
        self.tasks.start_soon(self._guarded, job, *args)

    async def _guarded(self, job: Any, *args: Any) -> None:
        self.busy += 1
        try:
            await job(*args)
        except Exception:
            logger.exception("sending a transcript failed; it goes with the next send")
        finally:
            self.busy -= 1

    async def send_all_pending(self, project: Project) -> None:
        for path in sorted((self.data / "sessions").glob("*.json")):
            session = path.stem
            state = self.load(session)
            if state.get("project") == str(project.root) and state.get("transcript"):
                await self.send_pending(session, project)

    async def send_pending(self, session: str, project: Project) -> None:
        async with self.lock(session):
            state = self.load(session)
            path = Path(str(state.get("transcript") or ""))
            sent = int(state.get("sent", 0))
            raw = read_from(path, sent)
            if raw is None:
                return
            lines, whole = transcript_lines(raw)
            if not lines:
                state["sent"] = sent + whole
                self.save(session, state)
                return
            agent_id, _ = await self.agent_for(project)
            if not state.get("conversation"):
                made = await self.call(
                    "create_conversation",
                    agent=agent_id,
                    summary=f"Claude Code session {session} in {project.root.name}",
                )
                state["conversation"] = made["id"]
                self.save(session, state)
            for chunk in chunks(lines):
                message = (
                    f"Claude Code session {session} in {project.identity}, the next part of its transcript:\n\n"
                    + redact(chunk)
                )
                await self.call(
                    "send_message", agent=agent_id, conversation=state["conversation"], message=message, wait_seconds=5
                )
                # Counted as sent once Letta took it (the reply may still be coming): never sent twice.
                state["parts"] = int(state.get("parts", 0)) + 1
                self.save(session, state)
            state["sent"] = sent + whole
            self.save(session, state)

    tasks: Any = None


def read_from(path: Path, offset: int) -> bytes | None:
    try:
        with path.open("rb") as transcript:
            transcript.seek(offset)
            return transcript.read()
    except OSError:
        return None


def remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def chunks(lines: list[str]) -> list[str]:
    out: list[str] = []
    current = ""
    for line in lines:
        line = line if len(line) <= SEND_CHARS else line[: SEND_CHARS - 1] + "…"
        if current and len(current) + len(line) + 1 > SEND_CHARS:
            out.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    return [*out, current] if current else out


async def send_json(stream: SocketStream, payload: dict[str, Any]) -> None:
    await stream.send(json.dumps(payload).encode() + b"\n")


async def read_line(stream: SocketStream) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        data += await stream.receive()
        if len(data) > 4_000_000:
            raise ValueError("request too long")
    return data


async def serve(where: Path, data: Path) -> None:
    from mcp import Client

    from letta_mcp.cli import load_settings, local_letta
    from letta_mcp.core.config import backend_kind
    from letta_mcp.server import create_server

    settings = load_settings({})
    with local_letta(settings) as settings:
        server = create_server(settings)
        async with Client(server) as client:
            memory = Memory(
                client,
                data,
                backend=backend_kind(settings),
                agent=os.environ.get("CLAUDE_PLUGIN_OPTION_AGENT", "").strip(),
                tokens=_tokens(),
                url=settings.base_url,
            )
            last = time.monotonic()

            async def handle(stream: SocketStream) -> None:
                nonlocal last
                last = time.monotonic()
                async with stream:
                    with contextlib.suppress(Exception):
                        request = json.loads(await read_line(stream))
                        answer = await memory.answer(str(request["event"]), dict(request.get("input") or {}), stream)
                        if answer:
                            await send_json(stream, answer)
                last = time.monotonic()

            remove(where)
            listener = await anyio.create_unix_listener(where)
            os.chmod(where, 0o600)
            logger.info("memory service for %s listening at %s", settings.base_url, where)
            async with anyio.create_task_group() as tasks:
                memory.tasks = tasks
                tasks.start_soon(listener.serve, handle)
                while time.monotonic() - last < IDLE_SECONDS or memory.busy:  # noqa: ASYNC110 — a clock, not an event
                    await anyio.sleep(5)
                tasks.cancel_scope.cancel()
            remove(where)


def _tokens() -> int:
    raw = os.environ.get("CLAUDE_PLUGIN_OPTION_CONTEXT_TOKENS", "").strip()
    try:
        return max(100, min(int(float(raw)), 50_000)) if raw else DEFAULT_TOKENS
    except ValueError:
        return DEFAULT_TOKENS


def settings_environment() -> None:
    """The plugin's options, as letta-mcp's settings: the URL (default: local, the user's own App Server), the
    key, and what the service needs (its tools, writes allowed, no retries that would keep a hook waiting)."""
    url = os.environ.get("CLAUDE_PLUGIN_OPTION_LETTA_URL", "").strip()
    os.environ["LETTA_BASE_URL"] = url or os.environ.get("LETTA_BASE_URL") or "local"
    key = os.environ.get("CLAUDE_PLUGIN_OPTION_API_KEY", "").strip()
    if key:
        os.environ["LETTA_API_KEY"] = key
    os.environ["LETTA_MCP_TOOLSETS"] = "agents,messages,memory,conversations"
    os.environ["LETTA_MCP_READ_ONLY"] = "false"
    os.environ["LETTA_MCP_TRANSPORT"] = "stdio"
    os.environ.setdefault("LETTA_MCP_CONNECT_TIMEOUT", "2")
    os.environ.setdefault("LETTA_MCP_READ_RETRIES", "0")


def main() -> None:
    where = Path(os.environ["LETTA_MCP_PLUGIN_SOCKET"])
    data = Path(os.environ["LETTA_MCP_PLUGIN_DATA"])
    warnings.simplefilter("ignore")  # the in-memory server's deprecation notes would fill the log for no reader
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr)
    where.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(where.with_suffix(".lock"), "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # another service of this configuration is starting or running
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        settings_environment()
        anyio.run(serve, where, data)


if __name__ == "__main__":
    main()
