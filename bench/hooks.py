"""The Claude Code plugin's hooks, as Claude Code runs them (`sh letta-hook <event>`, a new process each time),
against a bare `python -c pass` measured alternately in the same run: SessionStart with the memory service
running, UserPromptSubmit with nothing changed, both with Letta down, and the first SessionStart of a cold
service. Also the notes' size in tokens (4 characters a token) at start and per prompt.
Usage: ``python -m bench.hooks --base-url URL [--api-key KEY] [--runs N]``."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "letta_mcp" / "plugin" / "claude" / "hooks" / "letta-hook"


@contextlib.contextmanager
def plugin_env(base_url: str, api_key: str | None, defaults: dict[str, str]) -> Iterator[dict[str, str]]:
    """A hook's environment: the plugin's options and data folder, a repository to work in, and the service
    stopped afterwards."""
    data = Path(tempfile.mkdtemp(prefix="bench-plugin-"))
    tmp = Path(tempfile.mkdtemp(prefix="bh-", dir="/tmp"))
    project = data / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LETTA_BASE_URL", "LETTA_API_KEY", "CLAUDE"))}
    env.update(
        CLAUDE_PLUGIN_DATA=str(data / "data"),
        CLAUDE_PLUGIN_OPTION_LETTA_URL=base_url,
        CLAUDE_PLUGIN_OPTION_API_KEY=api_key or "",
        TMPDIR=str(tmp),
        PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        BENCH_PROJECT=str(project),
    )
    # The models the test stacks have (the plugin's users keep letta-mcp's defaults).
    env.update({k: v for k, v in defaults.items() if k.startswith("LETTA_MCP_DEFAULT_")})
    try:
        yield env
    finally:
        for lock in tmp.glob("letta-mcp-*/*.lock"):
            with contextlib.suppress(ValueError, OSError):
                os.kill(int(lock.read_text().strip()), signal.SIGTERM)
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def hook(env: dict[str, str], event: str, session: str, source: str = "startup") -> tuple[float, dict[str, Any]]:
    payload = {"session_id": session, "cwd": env["BENCH_PROJECT"], "source": source, "hook_event_name": event}
    t0 = time.perf_counter()
    done = subprocess.run(
        ["sh", str(HOOK), event], input=json.dumps(payload), capture_output=True, text=True, env=env, check=True
    )
    took = time.perf_counter() - t0
    return took, json.loads(done.stdout) if done.stdout.strip() else {}


def bare(env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
    return time.perf_counter() - t0


def context_tokens(out: dict[str, Any]) -> int:
    return len((out.get("hookSpecificOutput") or {}).get("additionalContext", "")) // 4


def ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def measure(stack_env: dict[str, str], runs: int = 20) -> dict[str, Any]:
    """``stack_env``: the settings that point letta-mcp at a stack (its ``env()``)."""
    result: dict[str, Any] = {}
    with plugin_env(stack_env["LETTA_BASE_URL"], stack_env.get("LETTA_API_KEY"), stack_env) as env:
        session = str(uuid.uuid4())
        cold, out = hook(env, "session-start", session)
        if not out:  # the service was still starting: the first prompt brings the notes
            _, out = hook(env, "prompt", session)
        result["cold_session_start_ms"] = cold * 1000
        result["start_tokens"] = context_tokens(out)
        starts: list[float] = []
        prompts: list[float] = []
        floors: list[float] = []
        for _ in range(runs):
            took, _ = hook(env, "session-start", str(uuid.uuid4()))
            starts.append(took)
            took, quiet = hook(env, "prompt", session)
            assert not quiet, quiet  # nothing changed: nothing printed
            prompts.append(took)
            floors.append(bare(env))
        result["prompt_tokens_unchanged"] = 0
        result.update(
            floor_ms=ms(floors),
            session_start_p50_ms=ms(starts),
            prompt_p50_ms=ms(prompts),
            session_start_ratio=ms(starts) / ms(floors),
            prompt_ratio=ms(prompts) / ms(floors),
        )
    down = "ws://127.0.0.1:9" if stack_env["LETTA_BASE_URL"].startswith("ws") else "http://127.0.0.1:9"
    with plugin_env(down, None, stack_env) as env:
        session = str(uuid.uuid4())
        first, _ = hook(env, "session-start", session)
        downs = [hook(env, "prompt", session)[0] for _ in range(max(runs // 2, 3))]
        result.update(down_first_session_start_ms=first * 1000, down_prompt_p50_ms=ms(downs))
        result["down_max_ms"] = max(first, *downs) * 1000
    return result


def report(r: dict[str, Any], where: str = "") -> list[str]:
    return [
        f"plugin hooks{where}: UserPromptSubmit, nothing changed: p50 {r['prompt_p50_ms']:.0f} ms = "
        f"{r['prompt_ratio']:.1f}× a bare `python -c pass` ({r['floor_ms']:.0f} ms) (goal ≤ 150 ms); SessionStart "
        f"p50 {r['session_start_p50_ms']:.0f} ms = {r['session_start_ratio']:.1f}× (goal ≤ 500 ms); first "
        f"SessionStart of a cold service {r['cold_session_start_ms']:.0f} ms",
        f"plugin hooks{where}: Letta down: the longest hook {r['down_max_ms']:.0f} ms (goal ≤ 1,000 ms), prompt p50 "
        f"{r['down_prompt_p50_ms']:.0f} ms; notes at start {r['start_tokens']} tokens, per prompt with nothing "
        f"changed {r['prompt_tokens_unchanged']}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    stack_env = {"LETTA_BASE_URL": args.base_url, **({"LETTA_API_KEY": args.api_key} if args.api_key else {})}
    result = measure(stack_env, args.runs)
    print(json.dumps(result, indent=2))
    print("\n".join(report(result)))


if __name__ == "__main__":
    main()
