"""What a contract test runs against: one backend (REST or the App Server), an MCP client in front of it,
and a read-back that asks the backend itself what is stored, never letta-mcp.

REST is read back with the Letta SDK (`letta_client.AsyncLetta`), the App Server with raw frames on a
WebSocket of the test's own (`tests.app_client`). Every successful tool call a target's client makes
is recorded (`CALLED`), so `test_zz_coverage` can tell which served tool no contract test called.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from mcp import Client

from letta_mcp.core.config import Settings
from letta_mcp.server import LettaServer, create_server
from tests.app_client import Direct

HERE = Path(__file__).parent
"""The contract suite's folder."""
Kind = Literal["rest", "app"]
KINDS: tuple[Kind, ...] = ("rest", "app")

CALLED: set[tuple[str, str]] = set()
"""(backend kind, tool) of every tool call a target's client made that succeeded; every ask_<agent> tool
counts as "ask"."""
SERVES: dict[str, Callable[[str], bool]] = {}
"""Each backend kind's `serves`, from the first server a target built for it."""


@dataclass
class Run:
    """What this session collected and ran of the contract suite (`RUN`)."""

    modules: set[str] = field(default_factory=set)
    """Paths of the contract modules collected."""
    existing: set[str] = field(default_factory=set)
    """Node ids of every contract test the collected modules hold (selected or not)."""
    selected: list[str] = field(default_factory=list)
    deselected: set[str] = field(default_factory=set)
    outcomes: dict[str, str] = field(default_factory=dict)
    """Node id → passed, failed, skipped, xfailed or xpassed."""


RUN = Run()


def tool_key(name: str) -> str:
    return "ask" if name.startswith("ask_") else name


class Recorded:
    """An MCP client whose successful tool calls are recorded for the coverage check."""

    def __init__(self, client: Client, kind: Kind) -> None:
        self.client = client
        self.kind = kind

    async def call_tool(self, name: str, arguments: dict[str, Any] | None = None, **options: Any) -> Any:
        result = await self.client.call_tool(name, arguments, **options)
        if not result.is_error:
            CALLED.add((self.kind, tool_key(name)))
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@dataclass(frozen=True)
class AgentView:
    """An agent as the backend stores it (App Server tags without its own internal ones)."""

    name: str
    description: str | None
    tags: list[str]
    model: str | None


@dataclass(frozen=True)
class BlockView:
    value: str
    description: str | None


class ReadBack(Protocol):
    """The backend's own answers, not letta-mcp's."""

    async def agent(self, agent_id: str) -> AgentView | None:
        """The agent, or None when the backend has none with that id."""
        ...

    async def agents_named(self, name: str) -> list[str]:
        """Ids of the agents with exactly this name."""
        ...

    async def agents_tagged(self, tags: list[str]) -> list[str]:
        """Ids of the agents carrying all these tags."""
        ...

    async def labels(self, agent_id: str) -> set[str]:
        """The labels of the agent's memory blocks."""
        ...

    async def block(self, agent_id: str, label: str) -> BlockView: ...

    async def messages(self, agent_id: str, conversation: str | None = None) -> list[tuple[str, str]]:
        """(type, text) of a conversation's messages (None: the agent's default one), oldest first; types as
        letta-mcp names them: user, assistant, reasoning, tool_call, tool_return, system."""
        ...

    async def conversations(self, agent_id: str) -> list[str]:
        """Ids of the agent's conversations."""
        ...

    async def summary(self, conversation: str) -> str | None:
        """A conversation's summary (its title)."""
        ...


_REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>", re.DOTALL)


def _kind_of(message_type: str) -> str:
    return {"approval_request_message": "tool_call"}.get(message_type, message_type.removesuffix("_message"))


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") if isinstance(p, dict) else getattr(p, "text", "") for p in content]
        return "".join(str(p or "") for p in parts)
    return ""


def _said(m: dict[str, Any]) -> str:
    """A stored message's text: its content (a user's without the App Server's system reminders), or its
    reasoning."""
    if m.get("message_type") == "reasoning_message":
        return str(m.get("reasoning") or "")
    text = _text(m.get("content"))
    return _REMINDER.sub("", text).strip() if m.get("message_type") == "user_message" else text


class RestReadBack:
    """Letta's REST server through its SDK."""

    def __init__(self, letta: Any) -> None:
        self.letta = letta

    async def agent(self, agent_id: str) -> AgentView | None:
        import letta_client

        try:
            a = await self.letta.agents.retrieve(agent_id, include=["agent.tags"])
        except letta_client.NotFoundError:
            return None
        return AgentView(a.name, a.description, sorted(a.tags or []), a.llm_config.handle)

    async def agents_named(self, name: str) -> list[str]:
        return [a.id for a in (await self.letta.agents.list(name=name, limit=50)).items]

    async def agents_tagged(self, tags: list[str]) -> list[str]:
        listed = await self.letta.agents.list(tags=tags, match_all_tags=True, limit=50)
        return [a.id for a in listed.items]

    async def labels(self, agent_id: str) -> set[str]:
        return {b.label for b in (await self.letta.agents.blocks.list(agent_id)).items}

    async def block(self, agent_id: str, label: str) -> BlockView:
        b = await self.letta.agents.blocks.retrieve(label, agent_id=agent_id)
        return BlockView(b.value, b.description)

    async def messages(self, agent_id: str, conversation: str | None = None) -> list[tuple[str, str]]:
        if conversation:
            page = await self.letta.conversations.messages.list(conversation, limit=100, order="asc")
        else:
            page = await self.letta.agents.messages.list(agent_id, limit=100, order="asc", conversation_id="default")
        items = sorted(page.items, key=lambda m: m.date)  # stable: one turn's messages keep their order
        return [(_kind_of(m.message_type), _said(m.model_dump())) for m in items]

    async def conversations(self, agent_id: str) -> list[str]:
        return [c.id for c in await self.letta.conversations.list(agent_id=agent_id)]

    async def summary(self, conversation: str) -> str | None:
        return (await self.letta.conversations.retrieve(conversation)).summary


INTERNAL_TAGS = {"git-memory-enabled", "origin:letta-code"}
"""Tags the App Server gives its agents for itself."""
_FRONT = re.compile(r"\A---\n(.*?)\n---\n?", re.DOTALL)


class AppReadBack:
    """The App Server in its own frames."""

    def __init__(self, direct: Direct) -> None:
        self.d = direct

    async def _agents(self) -> list[dict[str, Any]]:
        return list((await self.d.request("agent_list", query={"limit": 1000}))["agents"])

    async def agent(self, agent_id: str) -> AgentView | None:
        answer = await self.d.request("agent_retrieve", agent_id=agent_id)
        a = answer.get("agent") if answer.get("success") else None
        if not a:
            return None
        tags = sorted(t for t in a.get("tags") or [] if t not in INTERNAL_TAGS)
        return AgentView(a["name"], a.get("description") or None, tags, a.get("model"))

    async def agents_named(self, name: str) -> list[str]:
        return [a["id"] for a in await self._agents() if a.get("name") == name]

    async def agents_tagged(self, tags: list[str]) -> list[str]:
        return [a["id"] for a in await self._agents() if set(tags) <= set(a.get("tags") or [])]

    async def labels(self, agent_id: str) -> set[str]:
        entries = (await self.d.request("list_memory", agent_id=agent_id))["entries"]
        paths = [str(e["relative_path"]) for e in entries if str(e["relative_path"]).endswith(".md")]
        return {p.removeprefix("system/").removesuffix(".md") for p in paths}

    async def block(self, agent_id: str, label: str) -> BlockView:
        for path in (f"{label}.md", f"system/{label}.md"):
            answer = await self.d.request("read_memory_file", agent_id=agent_id, path=path)
            if answer.get("success") and answer.get("content") is not None:
                text = str(answer["content"])
                front = _FRONT.match(text)
                if not front:
                    return BlockView(text, None)
                found = re.search(r"^description:\s*(.*)$", front.group(1), re.MULTILINE)
                description = found.group(1).strip().strip("\"'") if found else None
                return BlockView(text[front.end() :], description)
        raise AssertionError(f"the App Server has no memory file {label}.md for {agent_id}")

    async def messages(self, agent_id: str, conversation: str | None = None) -> list[tuple[str, str]]:
        answer = await self.d.request(
            "conversation_messages_list",
            conversation_id=conversation or "default",
            query={"agent_id": agent_id, "limit": 100},
        )
        items = sorted(answer["messages"], key=lambda m: str(m.get("date") or ""))
        return [(_kind_of(str(m.get("message_type") or "")), _said(m)) for m in items]

    async def conversations(self, agent_id: str) -> list[str]:
        answer = await self.d.request("conversation_list", query={"agent_id": agent_id})
        return [str(c["id"]) for c in answer["conversations"]]

    async def summary(self, conversation: str) -> str | None:
        found = (await self.d.request("conversation_retrieve", conversation_id=conversation))["conversation"]
        return found.get("summary")


ID_FORMS: dict[Kind, dict[str, str]] = {
    "rest": {
        "agent": r"agent-[0-9a-f-]{36}",
        "run": r"run-[0-9a-f-]{36}",
        "conversation": r"conv-[0-9a-f-]{36}",
        "block": r"block-[0-9a-f-]{36}",
    },
    "app": {
        "agent": r"agent-local-[0-9a-f-]{36}",
        "run": r"run-app-[0-9a-f-]{36}",
        "conversation": r"local-conv-\d+",
        "block": r"(system/)?[\w./-]+\.md",
    },
}
"""What each backend's ids look like: Letta's REST ids are uuids; the App Server's agents and runs are local,
its conversations numbered and its blocks files."""


@dataclass
class Target:
    """One backend, seen through letta-mcp (`mcp`, `connect`) and directly (`read`)."""

    kind: Kind
    model: str
    """The model handle agents here are made with (the settings' default)."""
    make_settings: Callable[..., Settings]
    read: ReadBack
    mcp: Recorded = field(init=False)
    """A client of a server with the default settings."""
    server: LettaServer = field(init=False)

    def settings(self, **overrides: Any) -> Settings:
        return self.make_settings(**overrides)

    def is_id(self, what: str, value: Any) -> bool:
        """Whether `value` is an id of `what` (agent, run, conversation, block) as this backend makes them."""
        return isinstance(value, str) and re.fullmatch(ID_FORMS[self.kind][what], value) is not None

    def serves(self, tool: str) -> bool:
        return self.server.backend.serves(tool)

    def new_server(self, **overrides: Any) -> LettaServer:
        server = create_server(self.settings(**overrides))
        SERVES.setdefault(self.kind, server.backend.serves)
        return server

    @asynccontextmanager
    async def connect(self, server: LettaServer | None = None, /, **options: Any) -> AsyncIterator[Recorded]:
        """A recorded client of `server` (a new one with the default settings when none is given);
        `options` go to `mcp.Client` (mode, message_handler, …)."""
        async with Client(server or self.new_server(), **options) as client:
            yield Recorded(client, self.kind)


async def ask_tools(client: Any, expect: str | None = None, absent: str | None = None) -> list[str]:
    """The ask_<agent> tools listed, once `expect` is among them and `absent` is not: a process's first
    listing looks the exposed agents up in the background, and tells the client when it found them."""
    from tests.helpers import until

    names: list[str] = []

    async def listed() -> bool:
        nonlocal names
        names = [t.name for t in (await client.list_tools()).tools if t.name.startswith("ask_")]
        return (expect is None or expect in names) and (absent is None or absent not in names)

    await until(listed, f"ask tools with {expect!r} and without {absent!r}", within=10)
    return names
