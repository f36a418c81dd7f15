"""A fake Anthropic Messages API for running the pinned Claude Code offline (`claude -p`), owned by the tests.

It records every request (what Claude Code shows the model: the tool definitions it sends in full, the
deferred ones it only names, the MCP servers' instructions) and answers with a script: a user message
containing ``search: a | b`` gets one ToolSearch call per query (so Claude Code's own tool search runs
over the MCP tools, search hints included); ``call: NAME {json}`` gets one call of that tool with those
arguments; anything else gets the text "ok".
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeAnthropic:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.url = ""

    def tool_results(self) -> dict[str, list[str]]:
        """query → the tool names Claude Code's ToolSearch returned for it."""
        queries: dict[str, str] = {}
        found: dict[str, list[str]] = {}
        for body in self.requests:
            for message in body.get("messages", []):
                for block in message["content"] if isinstance(message["content"], list) else []:
                    if block.get("type") == "tool_use" and block.get("name") == "ToolSearch":
                        queries[block["id"]] = block["input"]["query"]
                    if block.get("type") == "tool_result" and block["tool_use_id"] in queries:
                        content = block.get("content") or []
                        names = [c["tool_name"] for c in content if isinstance(c, dict) and "tool_name" in c]
                        found[queries[block["tool_use_id"]]] = names
        return found


def _script(request: dict[str, Any]) -> list[dict[str, Any]]:
    last = next((m for m in reversed(request["messages"]) if m["role"] == "user"), request["messages"][-1])
    content = last["content"] if isinstance(last["content"], list) else [{"type": "text", "text": last["content"]}]
    if any(block.get("type") == "tool_result" for block in content):
        return [{"type": "text", "text": "ok"}]
    for block in content:
        text = block.get("text", "") if block.get("type") == "text" else ""
        called = re.search(r"call: (mcp__\S+) (\{.*\})", text)
        if called:
            return [{"type": "tool_use", "id": "toolu_call", "name": called[1], "input": json.loads(called[2])}]
        if "search:" in text:
            queries = [q.strip() for q in text.split("search:", 1)[1].split("|") if q.strip()]
            return [
                {"type": "tool_use", "id": f"toolu_{i}", "name": "ToolSearch", "input": {"query": q, "max_results": 5}}
                for i, q in enumerate(queries)
            ]
    return [{"type": "text", "text": "ok"}]


def _handler(fake: FakeAnthropic) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
            if not self.path.startswith("/v1/messages") or "count_tokens" in self.path:
                self._json({"input_tokens": 10})
                return
            fake.requests.append(body)
            blocks = _script(body)
            stop = "tool_use" if blocks[0]["type"] == "tool_use" else "end_turn"
            message = {
                "id": f"msg_{len(fake.requests)}",
                "type": "message",
                "role": "assistant",
                "model": body.get("model", "claude"),
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": 1, "output_tokens": 1},
            }
            if not body.get("stream"):
                self._json({**message, "content": blocks, "stop_reason": stop})
                return
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            self._event("message_start", {"type": "message_start", "message": message})
            for i, block in enumerate(blocks):
                if block["type"] == "text":
                    start, delta = {"type": "text", "text": ""}, {"type": "text_delta", "text": block["text"]}
                else:
                    start = {**block, "input": {}}
                    delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
                self._event("content_block_start", {"type": "content_block_start", "index": i, "content_block": start})
                self._event("content_block_delta", {"type": "content_block_delta", "index": i, "delta": delta})
                self._event("content_block_stop", {"type": "content_block_stop", "index": i})
            self._event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": 1},
                },
            )
            self._event("message_stop", {"type": "message_stop"})

        def do_GET(self) -> None:
            self.send_response(404)
            self.end_headers()

        def _json(self, data: dict[str, Any]) -> None:
            raw = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _event(self, kind: str, data: dict[str, Any]) -> None:
            self.wfile.write(f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

    return Handler


@contextmanager
def fake_anthropic() -> Iterator[FakeAnthropic]:
    """A running fake on a free loopback port; `.url` is its base URL (for ANTHROPIC_BASE_URL)."""
    fake = FakeAnthropic()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
