"""Tool registration: ToolSpec, toolset and read-only selection, and the one error-translating wrapper.

Toolsets declare their tools as `ToolSpec`s. `build_tools` picks the ones the settings ask for (a
read-only server never even lists a write tool) and wraps each so that every failure goes through
`errors.translate` and every result through the output budget.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations
from pydantic import BaseModel

from letta_mcp import errors
from letta_mcp.config import Settings
from letta_mcp.models import fit
from letta_mcp.schema import compact, shallow
from letta_mcp.state import app

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its function, its toolset and how it behaves (the MCP annotations)."""

    fn: Callable[..., Awaitable[BaseModel]]
    toolset: str
    title: str
    read_only: bool
    destructive: bool = False
    idempotent: bool = False
    open_world: bool = False

    @property
    def name(self) -> str:
        return self.fn.__name__

    @property
    def description(self) -> str:
        import inspect

        return inspect.cleandoc(self.fn.__doc__ or "")

    def annotations(self) -> ToolAnnotations:
        return ToolAnnotations(
            read_only_hint=self.read_only,
            destructive_hint=self.destructive if not self.read_only else False,
            idempotent_hint=self.idempotent or self.read_only,
            open_world_hint=self.open_world,
        )


def tool(
    toolset: str,
    title: str,
    *,
    read_only: bool,
    destructive: bool = False,
    idempotent: bool = False,
    open_world: bool = False,
) -> Callable[[Callable[..., Awaitable[R]]], ToolSpec]:
    """Declare a tool function as a `ToolSpec` of `toolset`."""

    def make(fn: Callable[..., Awaitable[R]]) -> ToolSpec:
        return ToolSpec(fn, toolset, title, read_only, destructive, idempotent, open_world)

    return make


def wrap(spec: ToolSpec) -> Callable[..., Awaitable[BaseModel]]:
    fn = spec.fn
    write = not spec.read_only

    @functools.wraps(fn)
    async def run(*args: Any, **kwargs: Any) -> BaseModel:
        ctx = next((v for v in kwargs.values() if isinstance(v, Context)), None)
        state = app(ctx) if ctx is not None else None
        settings = state.settings if state else Settings()
        attempts = 1 if write else 1 + settings.read_retries
        for attempt in range(1, attempts + 1):
            try:
                result = await fn(*args, **kwargs)
            except Exception as exc:
                delay = errors.retry_delay(exc, attempt) if attempt < attempts else None
                if delay is not None:
                    logger.info("retrying %s in %.2f s after %s", spec.name, delay, type(exc).__name__)
                    await anyio.sleep(delay)
                    continue
                secrets = state.secrets() if state else []
                raise errors.translate(
                    exc, tool=spec.name, base_url=settings.base_url, write=write, secrets=secrets
                ) from exc
            return fit(result, settings.max_result_chars)
        raise AssertionError("unreachable")  # pragma: no cover

    return run


def selected(specs: Iterable[ToolSpec], settings: Settings) -> list[ToolSpec]:
    """The tools these settings serve: chosen toolsets only; in read-only mode, read-only tools only."""
    return [spec for spec in specs if spec.toolset in settings.toolsets and (spec.read_only or not settings.read_only)]


def build_tools(specs: Iterable[ToolSpec], settings: Settings) -> list[Tool]:
    """The MCP tools these settings serve, each wrapped, with a compact schema."""
    tools: list[Tool] = []
    for spec in selected(specs, settings):
        built = Tool.from_function(
            wrap(spec),
            name=spec.name,
            title=spec.title,
            description=spec.description,
            annotations=spec.annotations(),
            structured_output=True,
        )
        built.parameters = compact(built.parameters)
        if built.fn_metadata.output_schema is not None:
            built.fn_metadata.output_schema = shallow(built.fn_metadata.output_schema)
        tools.append(built)
    return tools
