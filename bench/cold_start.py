"""Cold start: process start → initialize → tools/list over stdio, letta-mcp against a bare `mcp` server.

Both are measured alternately in the same run (the machine is noisy), and the figure that matters
is the ratio of medians. Measured twice: with Letta reachable, as users have it (the first listing
then starts the background lookup of exposed agents, which must not hold the answer back), and with
Letta unreachable. Usage: ``python -m bench.cold_start [--runs N] [--base-url URL]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from bench.stdio import initialized

ROOT = Path(__file__).resolve().parents[1]


def once(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning `cmd` to reading its tools/list answer."""
    t0 = time.perf_counter()
    with initialized(cmd, env=env, cwd=str(ROOT), settle=0) as server:
        elapsed = time.perf_counter() - t0
        assert server.tools
    return elapsed


UNREACHABLE = "http://127.0.0.1:9"


def measure(runs: int = 15, base_url: str = UNREACHABLE) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LETTA_")}
    env["LETTA_BASE_URL"] = base_url
    ours = [sys.executable, "-m", "letta_mcp"]
    bare = [sys.executable, str(ROOT / "bench" / "bare_server.py")]
    once(ours, env)
    once(bare, env)  # warm the OS file cache for both
    a: list[float] = []
    b: list[float] = []
    for _ in range(runs):
        a.append(once(ours, env))
        b.append(once(bare, env))
    return {
        "letta_mcp_s": statistics.median(a),
        "bare_mcp_s": statistics.median(b),
        "ratio": statistics.median(a) / statistics.median(b),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--base-url", default=UNREACHABLE, help="the Letta to point at (default: none there)")
    args = parser.parse_args()
    result = measure(args.runs, args.base_url)
    print(
        f"cold start (start → initialize → tools/list, median of {result['runs']}): "
        f"letta-mcp {result['letta_mcp_s']:.3f} s, bare mcp {result['bare_mcp_s']:.3f} s, "
        f"ratio {result['ratio']:.2f}"
    )


if __name__ == "__main__":
    main()
