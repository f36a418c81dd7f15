"""What tools return: compact pydantic models written for a model to read, and the output budget.

Letta's own types never leave the toolsets; these do. Every result passes through `fit`, which keeps
it under ``LETTA_MCP_MAX_RESULT_CHARS``: a page drops its last items and points at the next page; any
other result cuts its longest texts with a marker that says how much was cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self, TypeVar

from pydantic import BaseModel, Field, PrivateAttr, SerializerFunctionWrapHandler, model_serializer

M = TypeVar("M", bound=BaseModel)

RunStatus = Literal["completed", "running", "failed", "cancelled"]
"""Where an agent's turn (a Letta run) stands, as every tool reports it."""
TERMINAL: frozenset[RunStatus] = frozenset({"completed", "failed", "cancelled"})


def run_status(letta_status: Any) -> RunStatus:
    """A backend's own word for a run's state, as a RunStatus (anything unknown is still running)."""
    text = str(getattr(letta_status, "value", letta_status) or "").lower()
    if text in ("completed", "failed", "cancelled"):
        return text  # type: ignore[return-value]
    return "running"


@dataclass(frozen=True)
class Detail:
    """What a reply carries beyond the agent's answer (include_reasoning, include_tool_calls)."""

    reasoning: bool = False
    tool_calls: bool = False


NO_DETAIL = Detail()


CUT_MARKER = "…[cut {cut} of {total} chars to fit the result budget{how}]"


@dataclass(frozen=True)
class Attached:
    """A file that goes with a result as an embedded resource (an exported agent), outside its JSON."""

    uri: str
    mime_type: str
    text: str


class Out(BaseModel):
    """Base of every tool result."""

    model_config = {"extra": "forbid", "defer_build": True}
    _attached: list[Attached] = PrivateAttr(default_factory=list)

    def with_attachment(self, uri: str, mime_type: str, text: str) -> Self:
        """This result, with a file that reaches the client as an embedded resource next to its JSON."""
        self._attached.append(Attached(uri, mime_type, text))
        return self

    def resources(self) -> list[Attached]:
        """The files attached with `with_attachment`."""
        return list(self._attached)

    # Unset optional fields are left out of the result: the model's context is the scarce resource.
    @model_serializer(mode="wrap")
    def _drop_none(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        return {k: v for k, v in data.items() if v is not None} if isinstance(data, dict) else data


class Page(Out):
    """A list result: a page of items, and the cursor for the next page."""

    items_field: ClassVar[str] = "items"
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null when this is the last."
    )
    note: str | None = Field(None, description="How the page was cut, when it was.")


# ---- agents -----------------------------------------------------------------------------------


class BlockSummary(Out):
    label: str
    id: str
    description: str | None = None
    chars: int = Field(description="Length of the block's value.")
    limit: int | None = Field(None, description="Most characters the block may hold.")
    read_only: bool = False


class AgentSummary(Out):
    id: str
    name: str
    description: str | None = None
    model: str | None = None
    tags: list[str] = []


class AgentList(Page):
    items_field: ClassVar[str] = "agents"
    agents: list[AgentSummary]


class ToolRuleOut(Out):
    type: str
    tool: str
    children: list[str] | None = None


class Agent(Out):
    id: str
    name: str
    description: str | None = None
    model: str | None = None
    embedding: str | None = None
    context_window: int | None = None
    tags: list[str] = []
    tools: list[str] = Field(default=[], description="Names of the tools attached to the agent.")
    tool_rules: list[ToolRuleOut] = []
    blocks: list[BlockSummary] = Field(default=[], description="Core memory blocks (always in the agent's context).")
    secrets: list[str] = Field(
        default=[], description="Names of the secrets given to its tools (values are never shown)."
    )
    sleeptime: bool = False
    created_at: str | None = None
    existed: bool | None = Field(None, description="create_agent only: true when an existing agent was returned.")
    note: str | None = None


class Deleted(Out):
    deleted: bool = True
    id: str
    name: str | None = None
    what: str


# ---- messages ---------------------------------------------------------------------------------


class ToolStep(Out):
    name: str
    arguments: str = Field(description="JSON arguments, possibly cut.")
    result: str | None = Field(None, description="What the tool returned, possibly cut.")
    status: str | None = None


class Usage(Out):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    steps: int | None = None


class Approval(Out):
    """A tool call the agent's turn waits on: a person must approve or deny it (respond_to_approval)."""

    tool: str
    arguments: str = Field(description="The call's arguments, clipped.")
    request_id: str = Field(description="Which call is waiting (Letta's tool call id, or the App Server's request).")


class Reply(Out):
    status: RunStatus
    agent_id: str
    conversation_id: str | None = Field(None, description="The conversation it happened in (none: the default one).")
    run_id: str | None = None
    reply: str = Field(description="The agent's answer (its assistant messages, joined).")
    reasoning: list[str] | None = None
    tool_calls: list[ToolStep] | None = None
    usage: Usage | None = None
    stop_reason: str | None = None
    approval: Approval | None = Field(None, description="What waits for a person's answer (respond_to_approval).")
    note: str | None = None


class Message(Out):
    id: str
    type: str = Field(description="user, assistant, reasoning, tool_call, tool_return, system, …")
    date: str | None = None
    text: str = ""
    tool: str | None = None
    run_id: str | None = None


class MessageList(Page):
    items_field: ClassVar[str] = "messages"
    messages: list[Message]


class SearchHit(Out):
    role: str | None = None
    date: str | None = None
    text: str


class MessageSearch(Out):
    agent_id: str
    query: str
    hits: list[SearchHit]
    source: str = Field(description="Which Letta search answered (message search, or the agent's conversation_search).")


# ---- memory -----------------------------------------------------------------------------------


class Block(Out):
    id: str
    label: str
    description: str | None = None
    value: str
    chars: int = Field(description="Length of the whole value.")
    limit: int | None = None
    read_only: bool = False
    offset: int = 0
    next_offset: int | None = Field(None, description="Pass as `offset` to read the rest; null when all was returned.")
    agents: list[str] | None = Field(None, description="Ids of the agents this block is attached to (shared blocks).")


class AgentContext(Out):
    """An agent with its core memory: what `letta://agents/{agent_id}` reads."""

    agent: Agent
    memory: list[Block]


class BlockList(Page):
    items_field: ClassVar[str] = "blocks"
    blocks: list[BlockSummary]


class BlockEdit(Out):
    id: str
    label: str
    chars: int
    limit: int | None = None
    changed: str = Field(description="What changed, in a few words.")
    preview: str = Field(description="The edited region of the block after the change.")


class FileChange(Out):
    path: str
    added: int = Field(description="Lines added.")
    removed: int = Field(description="Lines removed.")
    diff: str = Field(description="The changed lines ('+' added, '-' removed, '@@' a new place), cut to fit.")


class Commit(Out):
    sha: str
    message: str
    date: str | None = None
    author: str | None = None
    changes: list[FileChange] | None = Field(None, description="What the commit changed, file by file.")


class MemoryHistory(Out):
    agent_id: str
    path: str | None = Field(None, description="The file whose history this is; none for the whole memory.")
    commits: list[Commit] = Field(description="Newest first.")


class Attachment(Out):
    agent_id: str
    attached: list[str] = Field(
        description="Labels or names now attached to the agent, as Letta reports after the change."
    )
    changed: bool = Field(description="False when the state was already as asked.")


# ---- archival ---------------------------------------------------------------------------------


class Passage(Out):
    id: str
    text: str
    tags: list[str] = []
    created_at: str | None = None


class PassageList(Page):
    items_field: ClassVar[str] = "passages"
    passages: list[Passage]


# ---- tools ------------------------------------------------------------------------------------


class ToolInfo(Out):
    id: str
    name: str
    description: str | None = None
    tags: list[str] = []
    type: str | None = None


class ToolList(Page):
    items_field: ClassVar[str] = "tools"
    tools: list[ToolInfo]


# ---- models -----------------------------------------------------------------------------------


class ModelInfo(Out):
    handle: str = Field(description="What create_agent's model (or embedding) argument takes.")
    context_window: int | None = Field(None, description="Tokens of context (LLMs) or dimensions (embeddings).")


class ModelList(Out):
    models: list[ModelInfo] = Field(description="LLM handles, for an agent's model.")
    embeddings: list[ModelInfo] = Field(description="Embedding handles, for an agent's archival memory.")


# ---- conversations ----------------------------------------------------------------------------


class ConversationInfo(Out):
    id: str
    agent_id: str
    summary: str | None = None
    created_at: str | None = None
    last_message_at: str | None = None


class Compaction(Out):
    conversation: str = Field(description="The conversation compacted ('default': the agent's default thread).")
    messages_before: int = Field(description="Messages in context before.")
    messages_after: int = Field(description="Messages in context after.")
    summary: str = Field(description="The summary that now stands for the older messages.")


class ScheduleRun(Out):
    at: str | None = None
    outcome: str = Field(description="How it went (e.g. queued: the message was sent; failed; missed).")
    conversation_id: str | None = Field(None, description="Where the agent answered it.")
    error: str | None = None


class Schedule(Out):
    id: str
    agent_id: str
    name: str | None = None
    message: str
    at: str | None = Field(None, description="When it runs, if once.")
    cron: str | None = Field(None, description="When it runs, if recurring.")
    timezone: str | None = None
    conversation: str = Field(description="Where it talks: 'new' (a new conversation each run), 'default' or an id.")
    status: str = Field(description="active, paused, fired (a one-off that ran), cancelled …")
    runs: list[ScheduleRun] = Field(default_factory=list, description="Its latest runs, newest first.")


class ScheduleList(Out):
    agent_id: str
    schedules: list[Schedule]


class ReflectionCommit(Out):
    sha: str
    message: str = Field(description="The commit's first line.")
    date: str | None = None


class ReflectionRun(Out):
    conversation_id: str = Field(description="The conversation it reflected on ('default': the default one).")
    started_at: str | None = Field(None, description="When reflect_now started it (unknown for automatic runs).")
    finished_at: str | None = Field(None, description="None while it runs.")
    outcome: str = Field(description="running, changed (it made memory commits), no_changes, or failed.")
    summary: str | None = Field(None, description="What the App Server said when it ended.")
    commits: list[ReflectionCommit] = Field(default_factory=list, description="The memory commits it made.")


class Reflection(Out):
    agent_id: str
    trigger: str = Field(
        description="off; step-count (every step_count steps of a conversation); compaction-event (on compaction)."
    )
    step_count: int
    runs: list[ReflectionRun] = Field(
        default_factory=list,
        description="Reflections this letta-mcp process saw (started, or ended in a conversation it talks to), "
        "newest first.",
    )
    commits: list[ReflectionCommit] = Field(
        default_factory=list,
        description="The latest memory commits made by reflection, from the memory's history (however they ran).",
    )
    note: str | None = None


class ConversationList(Page):
    items_field: ClassVar[str] = "conversations"
    conversations: list[ConversationInfo]


# ---- folders and files ------------------------------------------------------------------------


class FolderInfo(Out):
    id: str
    name: str
    description: str | None = None
    embedding: str | None = None


class FolderList(Page):
    items_field: ClassVar[str] = "folders"
    folders: list[FolderInfo]


class FileInfo(Out):
    id: str
    name: str
    folder_id: str | None = None
    status: str | None = Field(None, description="Letta's processing: pending, parsing, embedding, completed, error.")
    size: int | None = Field(None, description="Bytes.")
    chunks: int | None = Field(None, description="Passages it was split into, once embedded.")
    error: str | None = None
    note: str | None = None


class FileList(Page):
    items_field: ClassVar[str] = "files"
    files: list[FileInfo]


class AgentFile(Out):
    """A file as an agent sees it: open files are in its context."""

    id: str
    name: str
    folder: str | None = None
    open: bool = False


class AgentFiles(Out):
    agent_id: str
    files: list[AgentFile]
    changed: bool = Field(description="False when the state was already as asked.")


# ---- agent files (.af) ------------------------------------------------------------------------


class ExportedAgent(Out):
    agent_id: str
    name: str
    bytes: int = Field(description="Size of the .af file.")
    path: str | None = Field(None, description="Where it was written (stdio only); else it is attached as a resource.")
    blocks: int = Field(0, description="Memory blocks in the file.")
    messages: int = Field(0, description="Messages in the file.")
    tools: int = Field(0, description="Tools in the file.")


class ImportedAgents(Out):
    agents: list[AgentSummary] = Field(description="The agents the file created.")


# ---- Letta-side MCP servers -------------------------------------------------------------------


class McpServerInfo(Out):
    id: str
    name: str
    type: str = Field(description="streamable_http, sse or stdio.")
    url: str | None = None
    command: str | None = None


class McpServerList(Out):
    servers: list[McpServerInfo]


class McpToolList(Out):
    server_id: str
    tools: list[ToolInfo]


# ---- shared archives --------------------------------------------------------------------------


class ArchiveInfo(Out):
    id: str
    name: str
    description: str | None = None
    embedding: str | None = None


class ArchiveList(Page):
    items_field: ClassVar[str] = "archives"
    archives: list[ArchiveInfo]


# ---- the budget -------------------------------------------------------------------------------


def _size(model: BaseModel) -> int:
    return len(model.model_dump_json(exclude_none=True))


def clip(text: str, limit: int, how: str = "") -> str:
    """Cut `text` to about `limit` characters with an explicit marker."""
    if len(text) <= limit:
        return text
    keep = max(0, limit)
    return text[:keep] + CUT_MARKER.format(cut=len(text) - keep, total=len(text), how=how)


def _strings(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[int, tuple[Any, ...]]]:
    found: list[tuple[int, tuple[Any, ...]]] = []
    if isinstance(node, str):
        found.append((len(node), path))
    elif isinstance(node, dict):
        for key, value in node.items():
            found.extend(_strings(value, (*path, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(_strings(value, (*path, i)))
    return found


def _set(node: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


def fit(result: M, budget: int) -> M:
    """Return `result`, or a smaller copy of it, whose JSON stays within `budget` characters (attachments
    are files, not JSON: they are the client's to keep, and stay whole)."""
    fitted = _fit(result, budget)
    if isinstance(result, Out) and isinstance(fitted, Out) and fitted is not result:
        fitted._attached = list(result._attached)
    return fitted


def _fit(result: M, budget: int) -> M:
    size = _size(result)
    if size <= budget:
        return result
    if isinstance(result, Page):
        field = type(result).items_field
        items: list[Any] = list(getattr(result, field))
        total = len(items)
        while len(items) > 1 and size > budget:
            items.pop()
            trial = result.model_copy(update={field: items})
            size = _size(trial)
        if len(items) < total:
            last = items[-1] if items else None
            cursor = getattr(last, "id", None) if last is not None else result.next_cursor
            note = f"Cut to {len(items)} of {total} items to fit the result budget; pass next_cursor for the rest."
            result = result.model_copy(update={field: items, "next_cursor": cursor, "note": note})
            size = _size(result)
        if size <= budget:
            return result
    data = result.model_dump(exclude_none=True)
    for _ in range(20):
        if size <= budget:
            break
        strings = _strings(data)
        if not strings:
            break
        length, path = max(strings)
        overflow = size - budget + 120
        original = _get(data, path)
        _set(data, path, clip(original, max(40, length - overflow)))
        size = len(type(result).model_validate(data).model_dump_json(exclude_none=True))
    return type(result).model_validate(data)
