"""What both backends keep the same way: their toolset classes, imported on first use, and answers
cached for a while."""

from __future__ import annotations

import importlib
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from letta_mcp.toolsets import TOOLSET_OF

if TYPE_CHECKING:
    from letta_mcp.core.state import RequestState

T = TypeVar("T")
V = TypeVar("V")

ARG_CHARS = 600
"""How much of a tool call's arguments a reply or a message shows."""
RESULT_CHARS = 1_500
"""How much of a tool's result a reply or a message shows."""
STEP_CHARS = 160
"""How much of a step's text a progress message shows."""

Handles = list[tuple[str, int | None]]
"""Model (or embedding) handles with their context window (or dimensions)."""


class Implementations:
    """A backend's implementation of each toolset it serves: the class `<Prefix><Toolset>` (e.g. RestAgents,
    AppMcpServers) in the module of the toolset's name in the backend's package, imported by its first call
    (a process nobody calls holds no more than a bare server)."""

    def __init__(self, package: str, prefix: str, toolsets: Iterable[str]) -> None:
        self.package = package
        self.prefix = prefix
        self.toolsets = frozenset(toolsets)
        self._classes: dict[str, type[Any]] = {}

    def class_name(self, toolset: str) -> str:
        return self.prefix + "".join(part.capitalize() for part in toolset.split("_"))

    def of(self, contract: type[T], request: RequestState) -> T:
        toolset = TOOLSET_OF[contract]
        cls = self._classes.get(toolset)
        if cls is None:
            if toolset not in self.toolsets:
                raise KeyError(toolset)
            module = importlib.import_module(f"{self.package}.{toolset}")
            cls = self._classes[toolset] = getattr(module, self.class_name(toolset))
        return cast(T, cls(request))


class Cached(Generic[V]):
    """One answer kept for `seconds` (what the backend offers changes rarely: model handles)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._kept: tuple[float, V] | None = None

    async def get(self, fetch: Callable[[], Awaitable[V]]) -> V:
        now = time.monotonic()
        if self._kept is None or now - self._kept[0] > self.seconds:
            self._kept = (now, await fetch())
        return self._kept[1]


__all__ = ["ARG_CHARS", "RESULT_CHARS", "STEP_CHARS", "Cached", "Handles", "Implementations"]
