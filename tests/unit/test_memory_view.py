"""The memory view (MCP Apps) costs clients that did not negotiate the extension nothing, and is safe as served.

Only a client that advertised `io.modelcontextprotocol/ui` with the mcp-app MIME type sees list_blocks name
the view, sees the view in resources/list, and gets a list_blocks result that says what the view may call;
every other client's tools/list, resources/list and results are what they were. The view is one HTML
document that can reach nothing but its host.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from letta_client import AsyncLetta
from mcp import Client
from mcp.client.extension import advertise

from letta_mcp.core.config import Settings
from letta_mcp.server import apps, create_server

pytestmark = pytest.mark.anyio

AGENT_ID = "agent-00000000-0000-4000-8000-000000000000"
AGENT = {"id": AGENT_ID, "name": "a", "agent_type": "letta_v1_agent", "blocks": [], "tools": [], "tags": []}
BLOCK = {"id": "block-1", "label": "human", "value": "Ada", "limit": 100, "read_only": False}
APPS = advertise(apps.EXTENSION_ID, {"mimeTypes": [apps.APP_MIME_TYPE]})
MODES = ["legacy", "auto"]


def _server(**overrides: Any) -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/blocks") or request.url.path.endswith("/blocks/"):
            return httpx.Response(200, json=[BLOCK])
        return httpx.Response(200, json=AGENT)

    sdk = AsyncLetta(
        base_url="http://letta.test",
        api_key="k",
        max_retries=0,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(answer)),
    )
    return create_server(Settings(base_url="http://letta.test", api_key="k", **overrides), letta=sdk)


def _dumped(tools: Any) -> list[dict[str, Any]]:
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


@pytest.mark.parametrize("mode", MODES)
async def test_tools_list_is_unchanged_for_clients_without_apps(mode: Any) -> None:
    other = advertise("io.example/other", {})
    no_mime = advertise(apps.EXTENSION_ID, {"mimeTypes": ["text/html"]})
    async with Client(_server(), mode=mode) as plain, Client(_server(), mode=mode, extensions=[other, no_mime]) as odd:
        before = _dumped((await plain.list_tools()).tools)
        assert _dumped((await odd.list_tools()).tools) == before, "an extension that is not Apps changes nothing"
        assert "ui://" not in json.dumps(before)
    async with Client(_server(), mode=mode, extensions=[APPS]) as app:
        seen = _dumped((await app.list_tools()).tools)
    changed = [(a["name"], a["_meta"]) for a, b in zip(seen, before, strict=True) if a != b]
    assert changed == [
        (
            "list_blocks",
            {"anthropic/searchHint": "letta agent core memory blocks", "ui": {"resourceUri": apps.VIEW_URI}},
        )
    ], "only list_blocks names the view, and only for an Apps client"


@pytest.mark.parametrize("mode", MODES)
async def test_the_view_is_listed_to_apps_clients_only_and_read_as_an_app(mode: Any) -> None:
    async with Client(_server(), mode=mode) as plain:
        assert [str(r.uri) for r in (await plain.list_resources()).resources] == ["letta://agents"]
    async with Client(_server(), mode=mode, extensions=[APPS]) as app:
        assert apps.VIEW_URI in [str(r.uri) for r in (await app.list_resources()).resources]
        read = (await app.read_resource(apps.VIEW_URI)).contents[0]
    assert read.mime_type == "text/html;profile=mcp-app"
    assert read.meta == {"ui": {"csp": {}, "prefersBorder": True}}, "no domain may be reached"
    assert getattr(read, "text", None) == apps.view_html()


@pytest.mark.parametrize("mode", MODES)
async def test_a_list_blocks_result_says_what_the_view_may_call_to_apps_clients_only(mode: Any) -> None:
    async with Client(_server(), mode=mode) as plain:
        result = await plain.call_tool("list_blocks", {"agent": AGENT_ID})
        assert not result.is_error, result.content
        assert apps.RESULT_META not in (result.meta or {})
        structured = result.structured_content
    async with Client(_server(), mode=mode, extensions=[APPS]) as app:
        result = await app.call_tool("list_blocks", {"agent": AGENT_ID})
        assert result.structured_content == structured, "the same result"
        view = ["get_agent", "list_blocks", "get_block", "edit_block", "search_archival"]
        assert (result.meta or {})[apps.RESULT_META] == {"tools": view}
    async with Client(_server(read_only=True), mode=mode, extensions=[APPS]) as reader:
        result = await reader.call_tool("list_blocks", {"agent": AGENT_ID})
        view = ["get_agent", "list_blocks", "get_block", "search_archival"]
        assert (result.meta or {})[apps.RESULT_META] == {"tools": view}, "a read-only caller: no edit_block"


def test_the_view_reaches_nothing_but_its_host_and_writes_values_as_text() -> None:
    html = apps.view_html()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    rules = dict(rule.strip().split(" ", 1) for rule in csp.group(1).split(";"))
    assert rules["default-src"] == "'none'"
    assert rules["connect-src"] == "'none'"
    assert rules["script-src"] == "'unsafe-inline'"
    assert re.findall(r"https?://", html) == [], "nothing fetched from anywhere"
    for banned in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "fetch(",
        "XMLHttpRequest",
        "WebSocket",
        "<script src",
        "<link",
        "@import",
        "localStorage",
    ):
        assert banned not in html, banned
    assert html.count("<script>") == 1, "one inline script"
