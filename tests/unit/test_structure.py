"""The structure the code relies on: no import cycles, tools that know no transport, backends that
implement the contract as declared, and no state shared between two servers in one process."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from letta_mcp.core.config import Settings
from letta_mcp.server import backend_for, create_server
from letta_mcp.toolsets import TOOLS, TOOLSETS
from tests.unit.test_catalog import APP_ONLY

pytestmark = pytest.mark.anyio

PACKAGE = Path(__file__).resolve().parents[2] / "letta_mcp"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(module: str) -> tuple[set[str], set[str]]:
    """The letta_mcp modules `module` imports anywhere (top level, in functions, under TYPE_CHECKING),
    and the top-level names of the other packages it imports."""
    path = MODULES[module]
    tree = ast.parse(path.read_text())
    ours: set[str] = set()
    theirs: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            # "letta_mcp.x.y:Name" or "letta_mcp.x.y" handed to importlib is a (lazy) import too.
            named = node.value.partition(":")[0]
            if named in MODULES and named != module:
                ours.add(named)
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base]).strip(".")
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "letta_mcp":
                ours.add(name if name in MODULES else name.rpartition(".")[0])
            else:
                theirs.add(name.split(".")[0])
    ours.discard(module)
    return ours, theirs


GRAPH = {module: imports_of(module)[0] for module in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_counting_lazy_and_type_only_imports() -> None:
    assert cycles(GRAPH) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


LAYERS = {
    "core": ("letta_mcp.core", "letta_mcp.toolsets", "letta_mcp._version"),
    "backends": ("letta_mcp.backends",),
    "server": ("letta_mcp.server",),
    "transports": ("letta_mcp.transports",),
    "cli": ("letta_mcp.cli", "letta_mcp.__main__", "letta_mcp.plugin"),
}
"""The package's layers, bottom up (`letta_mcp/__init__.py` is the lazy public surface above them all)."""
MAY_IMPORT = {
    "core": {"core"},
    "backends": {"core", "backends"},
    "server": {"core", "backends", "server"},
    "transports": {"core", "server", "transports"},
    "cli": {"core", "backends", "server", "transports", "cli"},
}
"""What each layer may import: the core nothing above it, backends no MCP surface and no transport,
transports no backend (they reach one only through the server)."""


def layer_of(module: str) -> str | None:
    if module == "letta_mcp":
        return "cli"  # the package's lazy public surface (`Settings`, `create_server`) stands above every layer
    for name, roots in LAYERS.items():
        if any(module == r or module.startswith(r + ".") for r in roots):
            return name
    return None


def wrong_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted(
        (module, target)
        for module, targets in graph.items()
        if module != "letta_mcp"
        for target in targets
        if layer_of(target) not in MAY_IMPORT[layer_of(module) or "cli"]
    )


def test_every_module_is_in_a_layer() -> None:
    assert [m for m in MODULES if m != "letta_mcp" and layer_of(m) is None] == []


def test_each_layer_imports_only_what_it_may() -> None:
    assert wrong_imports(GRAPH) == []


def test_the_layer_check_finds_a_wrong_import() -> None:
    assert wrong_imports({"letta_mcp.backends.app.agents": {"letta_mcp.server.sdk"}}) == [
        ("letta_mcp.backends.app.agents", "letta_mcp.server.sdk")
    ]
    assert wrong_imports({"letta_mcp.transports.http": {"letta_mcp.backends.rest"}}) != []
    assert wrong_imports({"letta_mcp.core.state": {"letta_mcp.server.notify"}}) != []


def test_only_the_rest_backend_imports_letta_client() -> None:
    for module in MODULES:
        if "letta_client" in imports_of(module)[1]:
            assert module.startswith("letta_mcp.backends.rest"), module


def test_only_the_app_backend_speaks_the_app_servers_protocol() -> None:
    for module in MODULES:
        if "websockets" in imports_of(module)[1] or "letta_mcp.backends.app.socket" in GRAPH[module]:
            assert module.startswith("letta_mcp.backends.app"), module


def _parameters(fn: Any) -> list[tuple[str, Any, Any]]:
    signature = inspect.signature(fn)
    return [(p.name, p.kind, p.default) for p in list(signature.parameters.values())[1:]]


def _implementations(backend_name: str) -> dict[str, type[Any]]:
    """Each toolset's implementing class in a backend, found the way the backend finds it."""
    import importlib

    url = {"rest": "http://127.0.0.1:9", "app": "ws://127.0.0.1:9"}[backend_name]
    table = backend_for(Settings(base_url=url)).implementations  # type: ignore[attr-defined]
    found: dict[str, type[Any]] = {}
    for toolset in sorted(table.toolsets):
        module = importlib.import_module(f"{table.package}.{toolset}")
        found[toolset] = getattr(module, table.class_name(toolset))
    return found


@pytest.mark.parametrize(("backend_name", "url"), [("rest", "http://127.0.0.1:9"), ("app", "ws://127.0.0.1:9")])
def test_backends_implement_what_they_serve_with_the_contract_signature(backend_name: str, url: str) -> None:

    backend = backend_for(Settings(base_url=url))
    assert backend.name == backend_name
    implementations = _implementations(backend_name)
    for toolset in TOOLSETS:
        if toolset.contract is None:
            continue
        if toolset.name not in implementations:
            assert not any(backend.serves(spec.name) for spec in toolset.tools), toolset.name
            continue
        implementation = implementations[toolset.name]
        assert toolset.contract in implementation.__mro__
        for spec in toolset.tools:
            # Its own, or a step-by-step flow's it inherits (backends.flows); never just the contract's.
            own = next(
                (c.__dict__[spec.name] for c in implementation.__mro__ if spec.name in c.__dict__),
                None,
            )
            if own is getattr(toolset.contract, spec.name):
                own = None
            if backend.serves(spec.name):
                assert own is not None, f"{backend_name} serves {spec.name} but does not implement it"
                assert _parameters(own) == _parameters(spec.method), spec.name
            else:
                assert own is None, f"{backend_name} implements {spec.name} but does not list it"


async def test_two_servers_in_one_process_keep_their_own_tools() -> None:
    memory = create_server(Settings(base_url="http://127.0.0.1:9", toolsets="memory"))
    agents = create_server(Settings(base_url="http://127.0.0.1:9", toolsets="agents", read_only=True))
    async with Client(memory) as a, Client(agents) as b:
        names_a = [t.name for t in (await a.list_tools()).tools]
        names_b = [t.name for t in (await b.list_tools()).tools]
        assert names_a == [s.name for s in TOOLS if s.toolset == "memory" and s.name not in APP_ONLY]
        assert names_b == ["list_agents", "get_agent", "list_models"]
        refused = await a.call_tool("get_agent", {"agent": "x"})
        assert refused.is_error, "a tool of the other server's toolset is not callable here"


SCOPE_RULES = (
    "holds",
    "holds_tool",
    "refuse_foreign",
    "scope_tags",
    "with_scope",
    "in_scope",
    "agent_record",
    "resolve_agent",
)
"""What `backends.scoped.Scoped` decides for every backend: no backend may have its own copy."""


@pytest.mark.parametrize("backend_name", ["rest", "app"])
def test_every_backend_keeps_the_scope_rules_of_the_one_base(backend_name: str) -> None:

    from letta_mcp.backends.scoped import Scoped

    for implementation in _implementations(backend_name).values():
        name = implementation.__name__
        assert Scoped in implementation.__mro__, f"{name} does not take its scope rules from Scoped"
        for rule in SCOPE_RULES:
            owner = next(c for c in implementation.__mro__ if rule in c.__dict__)
            assert owner is Scoped, f"{owner.__name__} has its own {rule}: the scope rule must live once"
    for module, path in MODULES.items():
        if module.startswith(f"letta_mcp.backends.{backend_name}"):
            defined = {
                n.name
                for n in ast.walk(ast.parse(path.read_text()))
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            }
            assert not defined & set(SCOPE_RULES), (module, defined & set(SCOPE_RULES))
