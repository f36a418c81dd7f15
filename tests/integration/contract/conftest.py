"""The contract suite: every test here runs once per backend (`target`: REST, then the App Server).

Besides the `target` fixture this records what `test_zz_coverage` needs to know whether the whole
suite ran: every contract test that exists (from the modules' collection reports), the ones selected
and deselected, and the outcome of each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.app_client import direct
from tests.conftest import app_settings, settings_for
from tests.integration.contract.target import HERE, RUN, AppReadBack, Kind, ReadBack, RestReadBack, Target


def _contract(path: Any) -> bool:
    return Path(str(path)).resolve().parent == HERE


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.nodeid.endswith(".py") and _contract(report.fspath):
        RUN.modules.add(str(Path(str(report.fspath)).resolve()))
        RUN.existing.update(item.nodeid for item in report.result if isinstance(item, pytest.Item))


def pytest_deselected(items: list[pytest.Item]) -> None:
    RUN.deselected.update(item.nodeid for item in items if _contract(item.path))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _contract(item.path):
            item.add_marker(pytest.mark.integration)


def pytest_collection_finish(session: pytest.Session) -> None:
    RUN.selected = [item.nodeid for item in session.items if _contract(item.path)]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not _contract(report.fspath):
        return
    outcome: str = report.outcome
    if hasattr(report, "wasxfail"):
        outcome = "xfailed" if report.skipped else "xpassed"
    if report.when == "call" or outcome != "passed":
        previous = RUN.outcomes.get(report.nodeid)
        if previous in (None, "passed"):
            RUN.outcomes[report.nodeid] = outcome


@pytest.fixture(params=["rest", "app"])
def backend(request: pytest.FixtureRequest) -> tuple[Kind, Any]:
    """The backend's kind and its running stack (started on first use, once per session)."""
    kind: Kind = request.param
    return kind, request.getfixturevalue("stack" if kind == "rest" else "app_stack")


@pytest.fixture
async def target(backend: tuple[Kind, Any]) -> AsyncIterator[Target]:
    """One backend: a client of letta-mcp in front of it (default settings), and its own answers to read back."""
    kind, running = backend
    make = settings_for if kind == "rest" else app_settings
    async with _read_back(kind, running) as read:
        made = Target(kind, running.model, lambda **overrides: make(running, **overrides), read)
        made.server = made.new_server()
        async with made.connect(made.server) as client:
            made.mcp = client
            yield made


@asynccontextmanager
async def _read_back(kind: Kind, running: Any) -> AsyncIterator[ReadBack]:
    if kind == "rest":
        from letta_client import AsyncLetta

        sdk = AsyncLetta(base_url=running.base_url, api_key=running.password, max_retries=0, timeout=120)
        try:
            yield RestReadBack(sdk)
        finally:
            await sdk.close()
    else:
        async with direct(running.url, running.token) as d:
            yield AppReadBack(d)
