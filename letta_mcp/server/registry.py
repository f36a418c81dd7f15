"""From contract to MCP tool: the schemas a client reads, and the one wrapper every call runs through.

`build` turns a `ToolSpec` into the SDK's `Tool`: its input schema from the contract's signature
(compacted), its output schema from the result model (shallow), its annotations from the declared
behaviour, its `_meta` the search hint. Its function is the wrapper: it finds the backend's
implementation for the request, runs it (a read that failed transiently is retried; a write never
is), hands any failure to `errors.translate`, and keeps the result within the output budget; a call
that must ask the person between two rounds (`AskOnRetry`) ends its round as `input_required`.
`LazyTools` builds them only when first called; tools/list comes from the prebuilt `catalog`.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Collection
from typing import Any

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool, ToolManager
from mcp.types import CallToolResult, EmbeddedResource, InputRequiredResult, TextContent, TextResourceContents
from mcp.types import Tool as MCPTool
from pydantic import BaseModel

from letta_mcp.core import errors
from letta_mcp.core.approvals import AskOnRetry
from letta_mcp.core.callers import LOCAL, Caller
from letta_mcp.core.config import Settings
from letta_mcp.core.contract import ToolSpec
from letta_mcp.core.errors import InvalidInput
from letta_mcp.core.models import Out, fit
from letta_mcp.core.state import Backend, RequestState, app
from letta_mcp.core.visibility import visible
from letta_mcp.server import catalog
from letta_mcp.server.approvals import input_required
from letta_mcp.server.context import Ctx
from letta_mcp.server.schema import advertised, shallow
from letta_mcp.toolsets import BY_NAME, TOOLS

logger = logging.getLogger(__name__)

Invoke = Callable[[RequestState, dict[str, Any]], Awaitable[BaseModel]]
"""How a call reaches the backend: the request, and the validated arguments by name."""


def default_invoke(spec: ToolSpec) -> Invoke:
    """Call the method of the same name on the backend's implementation of the tool's toolset."""

    async def invoke(request: RequestState, arguments: dict[str, Any]) -> BaseModel:
        contract = BY_NAME[spec.toolset].contract
        assert contract is not None, f"{spec.name}: a fixed tool belongs to a toolset with a contract"
        method = getattr(request.use(contract), spec.name)
        result: BaseModel = await method(**arguments)
        return result

    return invoke


def _json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def result_of(model: BaseModel, budget: int) -> CallToolResult:
    """A tool's answer: its structured content, the same as compact JSON text (every byte is read by a
    model) cut to `budget` characters (`models.fit`), and any attached files as embedded resources."""
    structured = model.model_dump(mode="json")
    text = _json(structured)
    if len(text) > budget:
        model = fit(model, budget)
        structured = model.model_dump(mode="json")
        text = _json(structured)
    content: list[Any] = [TextContent(type="text", text=text)]
    for attached in model.resources() if isinstance(model, Out) else []:
        resource = TextResourceContents(uri=attached.uri, mime_type=attached.mime_type, text=attached.text)
        content.append(EmbeddedResource(type="resource", resource=resource))
    return CallToolResult(content=content, structured_content=structured)


def served_toolsets(settings: Settings, caller: Caller, backend: Backend) -> set[str]:
    """The toolsets of which this caller can use at least one tool (gated arguments follow them)."""
    return {spec.toolset for spec in TOOLS if visible(spec, settings, caller, backend)}


def _check_gates(request: RequestState, gates: dict[str, str], arguments: dict[str, Any]) -> None:
    used = [name for name in gates if arguments.get(name) not in (None, [], {})]
    if used:
        served = served_toolsets(request.settings, request.caller, request.backend)
        for name in used:
            if gates[name] not in served:
                raise InvalidInput(
                    f"{name} belongs to the {gates[name]!r} toolset, which is not served here: leave it out."
                )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    if isinstance(value, BaseModel):
        return _has_nul(value.model_dump())
    return False


def _check_text(arguments: dict[str, Any]) -> None:
    # Letta keeps text in Postgres, which cannot store a NUL character: it would answer 500.
    for name, value in arguments.items():
        if _has_nul(value):
            raise InvalidInput(f"{name} contains a NUL character (\\x00), which Letta cannot store: remove it.")


def tool_function(
    spec: ToolSpec, invoke: Invoke, name: str, gates: dict[str, str] | None = None
) -> Callable[..., Awaitable[CallToolResult | InputRequiredResult]]:
    """The function the SDK calls for tool `name`: the contract's signature, with `ctx` in place of `self`."""
    write = not spec.read_only
    gates = gates or {}

    async def run(ctx: Ctx, **arguments: Any) -> CallToolResult | InputRequiredResult:
        request = app(ctx)
        _check_gates(request, gates, arguments)
        _check_text(arguments)
        attempts = 1 if write else 1 + request.settings.read_retries
        for attempt in range(1, attempts + 1):
            try:
                result = await invoke(request, arguments)
            except AskOnRetry as ask:
                return input_required(ask)
            except Exception as exc:
                delay = request.backend.retry_delay(exc, attempt) if attempt < attempts else None
                if delay is not None:
                    logger.info("retrying %s in %.2f s after %s", name, delay, type(exc).__name__)
                    await anyio.sleep(delay)
                    continue
                raise errors.translate(
                    exc, tool=name, write=write, secrets=request.secrets(), describe=request.backend.describe
                ) from exc
            return result_of(result, request.settings.max_result_chars)
        raise AssertionError("unreachable")  # pragma: no cover

    contract = inspect.signature(spec.method, eval_str=True)
    context = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Context)
    parameters = [context, *list(contract.parameters.values())[1:]]
    run.__signature__ = contract.replace(parameters=parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": contract.return_annotation}
    run.__name__ = run.__qualname__ = name
    run.__doc__ = spec.description
    return run


def finish(tool: Tool, toolsets: Collection[str] | None = None) -> Tool:
    """What every listed tool gets: a compact input schema (with the arguments of the served toolsets only)
    and a shallow output schema (see `schema`)."""
    tool.parameters = advertised(tool.parameters, toolsets)
    if tool.fn_metadata.output_schema is not None:
        tool.fn_metadata.output_schema = shallow(tool.fn_metadata.output_schema)
    return tool


def build(spec: ToolSpec, invoke: Invoke | None = None, toolsets: Collection[str] | None = None) -> Tool:
    """The MCP tool for `spec`; `toolsets`: those served (None: all, as the catalog shows it)."""
    fn = tool_function(spec, invoke or default_invoke(spec), spec.name, spec.gates())
    built = Tool.from_function(
        fn,
        name=spec.name,
        title=spec.title,
        description=spec.description,
        context_kwarg="ctx",
        annotations=spec.annotations(),
        meta={catalog.SEARCH_HINT: spec.hint},
        structured_output=True,
    )
    return finish(built, toolsets)


class LazyTools(ToolManager):
    """The fixed tools this server registers (those visible to its own, unnarrowed view: see `visibility`),
    each built when it is first asked for. tools/list is answered from the prebuilt catalog meanwhile."""

    def __init__(self, settings: Settings, backend: Backend) -> None:
        super().__init__()
        self._built: dict[str, Tool] = {}
        self.toolsets = served_toolsets(settings, LOCAL, backend)
        self.specs = {spec.name: spec for spec in TOOLS if visible(spec, settings, LOCAL, backend)}

    def get_tool(self, name: str) -> Tool | None:
        tool = self._built.get(name)
        if tool is None and name in self.specs:
            tool = self._built[name] = build(self.specs[name], toolsets=self.toolsets)
        return tool

    def list_tools(self) -> list[Tool]:
        return [tool for name in self.specs if (tool := self.get_tool(name)) is not None]

    def listed(self) -> list[MCPTool]:
        """What tools/list shows for these tools, from the prebuilt catalog (nothing is built)."""
        return [catalog.listed(name, self.toolsets) for name in self.specs]


__all__ = ["Invoke", "LazyTools", "build", "finish", "tool_function"]
