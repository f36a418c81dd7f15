"""A deterministic, OpenAI-compatible model and embedding server that the tests own.

Letta calls it for chat completions and embeddings. Tests steer it with directives in the
user's text:

- ``[[tool:NAME {"arg": 1}]]`` — call tool NAME (it must be among the request's tools) with
  those JSON arguments; after the tool's result, answer with text. Several are called in turn, one
  after each result.
- ``[[think:TEXT]]`` — put TEXT in the reply's reasoning field as well.
- ``[[sleep:N]]`` — wait N seconds (a float) before answering (long replies).
- ``[[pause:N]]`` — wait N seconds before the answer that follows a tool's result (steps arrive, then
  the agent is slow: what a hand-back carries "so far").
- ``[[fail]]`` / ``[[fail:503]]`` — answer with that HTTP error instead.
- ``[[reply:TEXT]]`` — answer TEXT instead of the default echo.

Without a directive the reply is ``echo: <the user's text>``. Every request is appended as one
JSON line to the log file given with ``--log`` so tests can assert on what Letta sent.

Run: ``python fake_llm.py --port PORT --log FILE``. Stdlib only, so it starts in milliseconds.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import re
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODELS = ["fake-model", "fake-model-2"]
DEFAULT_DIMENSIONS = 1536
_DIRECTIVE = re.compile(r"\[\[(tool|sleep|pause|fail|reply|think)(?::(.*?))?\]\]", re.DOTALL)
_log_lock = threading.Lock()


def embed(text: str, dimensions: int) -> list[float]:
    """Hashed bag of words, L2-normalised: equal words give near vectors, so search is meaningful."""
    vec = [0.0] * dimensions
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        h = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
        vec[h % dimensions] += 1.0 if (h >> 63) == 0 else -1.0
    norm = math.sqrt(sum(v * v for v in vec))
    if norm == 0.0:
        vec[0] = 1.0
        return vec
    return [v / norm for v in vec]


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


_REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>", re.DOTALL)


def _user_text(message: dict[str, Any]) -> str:
    # Letta's App Server puts <system-reminder> context around the user's words: the user's text is the rest.
    text = _REMINDER.sub("", _text_of(message.get("content"))).strip()
    # Some agent types wrap the user's text in a JSON envelope.
    try:
        data = json.loads(text)
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            return str(data["message"])
    except ValueError:
        pass
    return text


def plan(body: dict[str, Any]) -> dict[str, Any]:
    """Decide the answer to one chat request: text, a tool call, a delay or a failure."""
    messages: list[dict[str, Any]] = body.get("messages", [])
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    user = _user_text(messages[last_user]) if last_user >= 0 else ""
    after_user = messages[last_user + 1 :] if last_user >= 0 else []
    tool_results = [m for m in after_user if m.get("role") == "tool"]
    directives = [(m.group(1), (m.group(2) or "").strip()) for m in _DIRECTIVE.finditer(user)]
    answer: dict[str, Any] = {"sleep": 0.0, "fail": None, "tool": None, "think": None}
    reply = None
    pause = 0.0
    calls: list[tuple[str, str]] = []
    for kind, arg in directives:
        if kind == "sleep":
            answer["sleep"] = float(arg or 0)
        elif kind == "pause":
            pause = float(arg or 0)
        elif kind == "fail":
            answer["fail"] = int(arg or 500)
        elif kind == "reply":
            reply = arg
        elif kind == "think":
            answer["think"] = arg
        elif kind == "tool":
            name, _, raw = arg.partition(" ")
            calls.append((name, raw.strip() or "{}"))
    # Several tool directives are called one after another, one per round trip.
    if len(calls) > len(tool_results):
        name, raw = calls[len(tool_results)]
        offered = {t.get("function", {}).get("name") for t in body.get("tools") or []}
        if name in offered:
            answer["tool"] = (name, raw)
    if tool_results and reply is None:
        reply = "tool said: " + _text_of(tool_results[-1].get("content"))[:2000]
    if reply is None:
        reply = "echo: " + _DIRECTIVE.sub("", user).strip()
    answer["text"] = reply
    # Sleep and think once per user turn, not again after a tool round trip.
    if tool_results:
        answer["sleep"] = pause
        answer["think"] = None
    return answer


class Handler(BaseHTTPRequestHandler):
    server: FakeServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def _record(self, body: Any) -> None:
        with _log_lock, open(self.server.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"t": time.time(), "path": self.path, "body": body}) + "\n")

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._send(
                200,
                {
                    "object": "list",
                    "data": [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in MODELS],
                },
            )
        elif self.path.rstrip("/") == "/health":
            self._send(200, {"ok": True})
        else:
            self._send(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self._record(body)
        if self.path.endswith("/embeddings"):
            self._embeddings(body)
        elif self.path.endswith("/chat/completions"):
            self._chat(body)
        else:
            self._send(404, {"error": {"message": "not found"}})

    def _embeddings(self, body: dict[str, Any]) -> None:
        inputs = body.get("input", [])
        if isinstance(inputs, str):
            inputs = [inputs]
        dims = int(body.get("dimensions") or DEFAULT_DIMENSIONS)
        data = []
        for i, text in enumerate(inputs):
            vec = embed(str(text), dims)
            emb: Any = vec
            if body.get("encoding_format") == "base64":
                emb = base64.b64encode(struct.pack(f"<{dims}f", *vec)).decode()
            data.append({"object": "embedding", "index": i, "embedding": emb})
        tokens = sum(len(str(t).split()) for t in inputs)
        self._send(
            200,
            {
                "object": "list",
                "data": data,
                "model": body.get("model", "fake"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )

    def _chat(self, body: dict[str, Any]) -> None:
        answer = plan(body)
        if answer["sleep"]:
            time.sleep(answer["sleep"])
        if answer["fail"]:
            self._send(answer["fail"], {"error": {"message": "fake model told to fail", "type": "server_error"}})
            return
        prompt_tokens = sum(len(_text_of(m.get("content")).split()) for m in body.get("messages", []))
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": 7, "total_tokens": prompt_tokens + 7}
        message: dict[str, Any] = {"role": "assistant", "content": answer["text"]}
        finish = "stop"
        if answer["tool"]:
            name, args = answer["tool"]
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_" + hashlib.sha1(f"{time.time()}".encode()).hexdigest()[:12],
                        "type": "function",
                        "function": {"name": name, "arguments": args},
                    }
                ],
            }
            finish = "tool_calls"
        if answer["think"]:
            message["reasoning_content"] = answer["think"]
        created = int(time.time())
        base = {
            "id": "chatcmpl-fake",
            "created": created,
            "model": body.get("model", "fake-model"),
            "system_fingerprint": "fake",
        }
        if not body.get("stream"):
            self._send(
                200,
                {
                    **base,
                    "object": "chat.completion",
                    "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
                    "usage": usage,
                },
            )
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()

        def chunk(delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> None:
            payload = {
                **base,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
                **extra,
            }
            self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
            self.wfile.flush()

        chunk({"role": "assistant", "content": ""})
        if answer["think"]:
            chunk({"reasoning_content": answer["think"]})
        if answer["tool"]:
            call = message["tool_calls"][0]
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": call["id"],
                            "type": "function",
                            "function": {"name": call["function"]["name"], "arguments": ""},
                        }
                    ]
                }
            )
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": call["function"]["arguments"]}}]})
        else:
            words = answer["text"].split(" ")
            for i, word in enumerate(words):
                chunk({"content": word if i == 0 else " " + word})
        chunk({}, finish)
        if (body.get("stream_options") or {}).get("include_usage"):
            payload = {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage}
            self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, log_path: str) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.log_path = log_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    FakeServer(args.port, args.log).serve_forever()


if __name__ == "__main__":
    main()
