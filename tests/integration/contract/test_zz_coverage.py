"""The coverage check of the contract suite (last in the folder, so it runs after every other test here).

The contract suite answers for every tool the App Server serves (`letta_mcp.backends.app.SERVED`: the
tools both backends serve, plus memory_history, restore_block and delete_block, which only the App Server
does), on each backend that
serves it (its backend's `serves` over `letta_mcp.toolsets.TOOLS_BY_NAME`, plus "ask" for the
ask_<agent> tools). What only REST serves is tested in the REST files. When the whole suite ran, a
served tool that no contract test called successfully on a backend fails this test; when only part of
it ran (-k, a file or a test named, --lf, -x stopping early, a skipped stack) it is skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from letta_mcp.backends.app import SERVED
from letta_mcp.toolsets import TOOLS_BY_NAME
from tests.integration.contract.target import CALLED, HERE, KINDS, RUN, SERVES

ALL_TOOLS = (*TOOLS_BY_NAME, "ask")
"""Every tool of the contract, with every ask_<agent> tool as "ask"."""


def required(kind: str) -> set[str]:
    """The tools the contract suite must call on `kind`: those the App Server serves, where `kind` serves them."""
    return {t for t in ALL_TOOLS if t in SERVED and SERVES[kind](t)}


def partial(me: str) -> str | None:
    """Why this session did not run the whole contract suite (None when it did)."""
    on_disk = {str(p.resolve()) for p in HERE.glob("test_*.py")}
    if not on_disk <= RUN.modules:
        return "not every module was collected: " + ", ".join(sorted(Path(p).name for p in on_disk - RUN.modules))
    if RUN.deselected:
        return f"{len(RUN.deselected)} contract tests were deselected"
    left_out = RUN.existing - set(RUN.selected)
    if left_out:
        return f"{len(left_out)} contract tests were not selected"
    others = [n for n in RUN.selected if n != me]
    not_run = [n for n in others if n not in RUN.outcomes]
    if not_run:
        return f"{len(not_run)} contract tests did not run before this one"
    skipped = [n for n in others if RUN.outcomes[n] == "skipped"]
    if skipped:
        return f"{len(skipped)} contract tests were skipped, such as {skipped[0]}"
    missing_kinds = [k for k in KINDS if k not in SERVES]
    if missing_kinds:
        return f"no test ran against {', '.join(missing_kinds)}"
    return None


def test_the_contract_is_what_the_app_server_serves() -> None:
    assert set(SERVED) <= set(ALL_TOOLS), "the App Server serves only tools of the contract"


def test_every_served_tool_was_called_on_every_backend(request: pytest.FixtureRequest) -> None:
    why = partial(request.node.nodeid)
    if why is not None:
        pytest.skip(f"only part of the contract suite ran ({why}): the coverage check needs all of it")
    assert all("ask" in required(kind) for kind in KINDS), "at least one ask_<agent> tool on each"
    missing = sorted((kind, tool) for kind in KINDS for tool in required(kind) if (kind, tool) not in CALLED)
    failed = [n for n, outcome in RUN.outcomes.items() if outcome == "failed"]
    note = f" ({len(failed)} contract tests failed, which may be why)" if failed else ""
    assert not missing, (
        "served tools no contract test called successfully on that backend"
        + note
        + ":\n"
        + "\n".join(f"  {kind}: {tool}" for kind, tool in missing)
    )
