"""Folders and files against the real Letta server: upload, processing, attach, open/close, and the agent reads them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from letta_mcp.server import create_server
from tests.conftest import settings_for
from tests.helpers import call, call_error
from tests.stack.letta_stack import Stack
from tests.subprocess_server import stdio_params

pytestmark = pytest.mark.anyio

DOC = "# Launch notes\nThe launch code is blue-42.\nThe backup code is green-7.\n"


async def test_upload_attach_and_the_agent_reads_it(client: Any, letta: Any, uid: str) -> None:
    folder = await call(client, "create_folder", name=f"{uid}-docs", description="launch docs")
    assert folder["id"].startswith("source-")
    assert (await call(client, "create_folder", name=f"{uid}-docs"))["id"] == folder["id"], "safe to repeat"
    folders: list[dict[str, Any]] = []
    cursor: dict[str, str] = {}
    while True:  # every page, by its cursor
        page = await call(client, "list_folders", limit=5, **cursor)
        folders += page["folders"]
        if not page.get("next_cursor"):
            break
        cursor = {"cursor": page["next_cursor"]}
    ours = [f for f in folders if f["name"] == f"{uid}-docs"]
    assert [(f["id"], f["description"]) for f in ours] == [(folder["id"], "launch docs")], "listed once, as made"
    steps: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        steps.append(message or "")

    result = await client.call_tool(
        "upload_file",
        {"folder": f"{uid}-docs", "name": "launch.md", "content": DOC, "wait_seconds": 60},
        progress_callback=on_progress,
    )
    assert not result.is_error, result.content
    uploaded = result.structured_content
    assert uploaded["status"] == "completed", uploaded
    assert uploaded["chunks"] >= 1
    assert any("processing" in s for s in steps), steps
    listed = await call(client, "list_files", folder=folder["id"])
    assert [(f["name"], f["status"]) for f in listed["files"]] == [("launch.md", "completed")]
    stored = await letta.folders.files.list(folder["id"], limit=5, include_content=True)
    assert stored.items[0].file_name == "launch.md"

    agent = await call(client, "create_agent", name=f"{uid}-reader")
    attached = await call(client, "attach_folder", agent=agent["id"], folder=f"{uid}-docs")
    assert attached["attached"] == [f"{uid}-docs"]
    assert attached["changed"] is True
    assert (await call(client, "attach_folder", agent=agent["id"], folder=folder["id"]))["changed"] is False
    name = f"{uid}-docs/launch.md"
    closed = await call(client, "close_file", agent=agent["id"], file=name)
    assert [(f["name"], f["open"]) for f in closed["files"]] == [(name, False)]
    opened = await call(client, "open_file", agent=agent["id"], file=uploaded["id"])
    assert [(f["name"], f["open"]) for f in opened["files"]] == [(name, True)]
    # The agent itself finds the document through the file tools attaching the folder gave it.
    reply = await call(client, "send_message", agent=agent["id"], message='[[tool:grep_files {"pattern": "blue-42"}]]')
    assert "blue-42" in reply["reply"]
    detached = await call(client, "detach_folder", agent=agent["id"], folder=folder["id"])
    assert detached["attached"] == []
    assert not (await letta.agents.folders.list(agent["id"], limit=5)).items


async def test_upload_from_a_path_over_stdio_and_the_limits(stack: Stack, letta: Any, uid: str, tmp_path: Path) -> None:
    doc = tmp_path / "notes.txt"
    doc.write_text("Notes from disk.\n")
    async with Client(stdio_params(stack, "--toolsets", "files", LETTA_MCP_MAX_UPLOAD_BYTES="100")) as client:
        folder = await call(client, "create_folder", name=f"{uid}-disk")
        out = await call(client, "upload_file", folder=folder["id"], name="notes.txt", path=str(doc))
        assert out["status"] == "completed"
        assert out["size"] == len("Notes from disk.\n")
        too_big = await call_error(client, "upload_file", folder=folder["id"], name="big.txt", content="x" * 101)
        assert "LETTA_MCP_MAX_UPLOAD_BYTES" in too_big
        missing = await call_error(client, "upload_file", folder=folder["id"], name="n.txt", path=str(tmp_path / "no"))
        assert "No file" in missing
    assert [f.file_name for f in (await letta.folders.files.list(folder["id"], limit=5)).items] == ["notes.txt"]
    # An HTTP server is not on the user's machine: a path means nothing there.
    async with Client(create_server(settings_for(stack, transport="http"))) as remote:
        refused = await call_error(remote, "upload_file", folder=folder["id"], name="x.txt", path=str(doc))
        assert "stdio" in refused


async def test_a_slow_upload_hands_back_its_status(client: Any, uid: str) -> None:
    folder = await call(client, "create_folder", name=f"{uid}-slow")
    out = await call(client, "upload_file", folder=folder["id"], name="a.md", content=DOC, wait_seconds=0)
    assert out["status"] != "completed"
    assert "list_files" in out["note"]
    assert json.dumps(out)
