"""The tool contract: what a tool is to a client, whichever backend carries it out.

A toolset is a class of methods, each declared with `@declare`: its name, typed and described
arguments, docstring (the description the model reads), output model and behaviour (the MCP
annotations). The class is a `Protocol`; a backend implements a toolset by subclassing it, so mypy
checks every implementation against the contract's signatures, and the schema a client sees comes
from the contract alone. A `Toolset` record names the class, says what the toolset is for and whether
it is served by default; `ToolSpec`s are its tools, in declaration order.

Backends that cannot serve a tool simply do not implement it (see `Backend.serves`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mcp.types import ToolAnnotations

F = TypeVar("F", bound=Callable[..., Any])

_MARK = "__letta_mcp_tool__"
NEEDS = "x-letta-toolset"
"""Marks an argument that belongs to another toolset: advertised, and accepted, only where that one is served."""


def needs(toolset: str) -> dict[str, str]:
    """`Field(json_schema_extra=needs("tools"))`: this argument exists only where the `tools` toolset is served."""
    return {NEEDS: toolset}


@dataclass(frozen=True)
class Behaviour:
    """How a tool behaves, as the MCP annotations say it."""

    title: str
    read_only: bool
    hint: str
    """A few words a client's tool search matches (Claude Code's `anthropic/searchHint`)."""
    destructive: bool = False
    idempotent: bool = False
    open_world: bool = False
    task: bool = False
    """A call may run as an MCP task (it talks to an agent, whose turn can outlast a client's patience)."""


def declare(
    title: str,
    *,
    read_only: bool,
    hint: str,
    destructive: bool = False,
    idempotent: bool = False,
    open_world: bool = False,
    task: bool = False,
) -> Callable[[F], F]:
    """Declare a contract method as a tool. The method stays as it is; its class becomes a toolset.

    `hint`: the words someone would search for to find this tool when a client keeps it out of view
    until searched for (Claude Code does by default): say what it is about in plain words, with the
    forms a search would use ("agent agents", "remember").
    """

    def mark(method: F) -> F:
        setattr(method, _MARK, Behaviour(title, read_only, hint, destructive, idempotent, open_world, task))
        return method

    return mark


@dataclass(frozen=True)
class ToolSpec:
    """One tool of the contract: its method on the toolset class, and how it behaves."""

    toolset: str
    method: Callable[..., Any]
    behaviour: Behaviour

    @property
    def name(self) -> str:
        return self.method.__name__

    @property
    def title(self) -> str:
        return self.behaviour.title

    @property
    def read_only(self) -> bool:
        return self.behaviour.read_only

    @property
    def hint(self) -> str:
        return self.behaviour.hint

    @property
    def destructive(self) -> bool:
        return self.behaviour.destructive and not self.read_only

    @property
    def description(self) -> str:
        """The docstring, each paragraph on one line (a wrapped line break is a byte the model reads)."""
        paragraphs = inspect.cleandoc(self.method.__doc__ or "").split("\n\n")
        return "\n\n".join(" ".join(p.split()) for p in paragraphs)

    def gates(self) -> dict[str, str]:
        """Its arguments that belong to another toolset (`needs`): name → toolset."""
        found: dict[str, str] = {}
        for name, parameter in inspect.signature(self.method, eval_str=True).parameters.items():
            for meta in getattr(parameter.annotation, "__metadata__", ()):
                extra = getattr(meta, "json_schema_extra", None)
                if isinstance(extra, dict) and NEEDS in extra:
                    found[name] = str(extra[NEEDS])
        return found

    def annotations(self) -> ToolAnnotations:
        b = self.behaviour
        return ToolAnnotations(
            read_only_hint=b.read_only,
            destructive_hint=self.destructive,
            idempotent_hint=b.idempotent or b.read_only,
            open_world_hint=b.open_world,
        )


@dataclass(frozen=True)
class Line:
    """A sentence a toolset adds to the server instructions, said only when every tool it names is served
    (a sentence naming no tool is said whenever the toolset is)."""

    text: str
    tools: tuple[str, ...] = ()


@dataclass(frozen=True)
class Toolset:
    """A named group of tools that is switched on or off as a whole (``LETTA_MCP_TOOLSETS``)."""

    name: str
    description: str
    default: bool
    contract: type[Any] | None
    """The Protocol class declaring the tools; None for a toolset whose tools are made at run time (ask)."""
    tools: tuple[ToolSpec, ...] = field(default=())
    template: ToolSpec | None = None
    """For a toolset whose tools are made at run time: what each of them is (arguments, result, behaviour)."""
    about: str = ""
    """What it adds to the first sentence of the server instructions (what Letta's agents keep)."""
    lines: tuple[Line, ...] = ()
    """Its sentences in the server instructions."""
    writes_under: str | None = None
    """The boolean setting that keeps its writes when the server or the token is read-only (ask: talking to
    an exposed agent changes its history, and an operator may allow just that)."""


def _declared(name: str, contract: type[Any] | None) -> tuple[ToolSpec, ...]:
    tools: list[ToolSpec] = []
    for member in vars(contract).values() if contract is not None else ():
        behaviour = getattr(member, _MARK, None)
        if isinstance(behaviour, Behaviour):
            tools.append(ToolSpec(name, member, behaviour))
    return tuple(tools)


def toolset(
    name: str,
    description: str,
    *,
    default: bool,
    contract: type[Any] | None,
    template: type[Any] | None = None,
    about: str = "",
    lines: tuple[Line, ...] = (),
    writes_under: str | None = None,
) -> Toolset:
    """The Toolset record for `contract`: every `@declare`d method, in the order it is written. A toolset
    whose tools are made at run time names instead the `template` class declaring the one they share."""
    made = _declared(name, template)
    return Toolset(
        name,
        description,
        default,
        contract,
        _declared(name, contract),
        made[0] if made else None,
        about,
        lines,
        writes_under,
    )


__all__ = ["NEEDS", "Behaviour", "Line", "ToolSpec", "Toolset", "declare", "needs", "toolset"]
