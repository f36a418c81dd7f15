"""Shared fixtures: the real Letta stack (once per session), a server on it, clients that talk MCP to it."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from letta_mcp.core.config import Settings
from tests.stack.app_stack import AppStack, start_app
from tests.stack.letta_stack import EMBEDDING, MODEL, Stack, StackError, start

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.integration)


class _External(Stack):
    """A Letta server someone else runs (LETTA_TEST_BASE_URL): nothing to stop."""

    def stop(self) -> None:
        pass


KEPT_LOGS: list[str] = []
"""Run directories whose logs were kept because tests failed while they ran: printed in the summary."""


def start_stack(request: pytest.FixtureRequest, starter: Callable[..., Any] = start, **options: Any) -> Iterator[Any]:
    """A Letta stack (REST, or with `starter=start_app` an App Server) for a fixture: under CI a stack that
    cannot start ends the whole run at once, with the cause in one line (locally its tests are skipped);
    its logs are kept when a test failed while it ran."""
    try:
        running = starter(**options)
    except (StackError, OSError) as exc:
        cause = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if IN_CI:
            pytest.exit(f"the Letta stack could not start, so the integration tests cannot run: {cause}", 1)
        pytest.skip(f"the Letta stack could not start: {cause}")
    print(
        f"\n[letta-stack] up in {running.started_seconds:.1f} s at {getattr(running, 'base_url', None) or running.url}"
    )
    failed_before = request.session.testsfailed
    try:
        yield running
    finally:
        keep = request.session.testsfailed > failed_before
        running.stop(keep_logs=keep)
        if keep:
            KEPT_LOGS.append(running.run_dir)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for run_dir in KEPT_LOGS:
        terminalreporter.write_line(
            f"[letta-stack] logs of a stack that served failed tests: {run_dir} "
            "(letta.log, pg.log, fake_llm.jsonl, redis.log)"
        )


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    external = os.environ.get("LETTA_TEST_BASE_URL")
    if external:
        yield _External(
            run_dir="", base_url=external.rstrip("/"), fake_url="", fake_log="", letta_log="", pg_port=0, redis_port=0
        )
        return
    yield from start_stack(request)


@pytest.fixture
def uid() -> str:
    """A unique prefix, so each test makes its own agents on the shared server."""
    return f"t{uuid.uuid4().hex[:10]}"


def settings_for(stack: Stack, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "base_url": stack.base_url,
        "toolsets": "all",
        "default_model": MODEL,
        "default_embedding": EMBEDDING,
        "api_key": stack.password,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(stack: Stack) -> Settings:
    return settings_for(stack)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Any]:
    from mcp import Client

    from letta_mcp.server import create_server

    async with Client(create_server(settings)) as c:
        yield c


@pytest.fixture
async def letta(stack: Stack) -> AsyncIterator[Any]:
    """The Letta SDK, straight to the server: what tests read state back with."""
    from letta_client import AsyncLetta

    sdk = AsyncLetta(base_url=stack.base_url, api_key=stack.password, max_retries=0, timeout=120)
    try:
        yield sdk
    finally:
        await sdk.close()


@pytest.fixture(scope="session")
def app_stack(request: pytest.FixtureRequest) -> Iterator[AppStack]:
    """Letta's App Server, connected to the tests' fake model, for the whole session."""
    yield from start_stack(request, start_app)


def app_settings(app: AppStack, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"base_url": app.url, "toolsets": "all", "default_model": app.model}
    if app.token:
        values["api_key"] = app.token
    values.update(overrides)
    return Settings(**values)
