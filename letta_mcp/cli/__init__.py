"""The `letta-mcp` command: flags and environment → Settings, logging to stderr, then stdio or HTTP.

stdout belongs to the protocol in stdio mode, so nothing here prints to it except `--help`/`--version`.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import signal
import sys
import typing
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

import anyio
from pydantic import SecretStr, ValidationError

from letta_mcp._version import __version__
from letta_mcp.core.config import LOCAL, Settings, as_text, env_var, flag
from letta_mcp.core.logs import configure_logging

logger = logging.getLogger("letta_mcp")


def _default_text(field: str) -> str:
    default = Settings.model_fields[field].default
    if default is None:
        return "unset"
    return as_text(default) or "none"


def _is_bool(field: str) -> bool:
    return Settings.model_fields[field].annotation is bool


def _choices(field: str) -> list[str] | None:
    annotation = Settings.model_fields[field].annotation
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in typing.get_args(annotation)]
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="letta-mcp",
        description="MCP server for Letta's stateful agents. Every flag can also be set by the environment "
        "variable shown; flags win.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Examples:\n"
        "  letta-mcp                                  # stdio, for Claude Code / Cursor / Claude Desktop\n"
        "  letta-mcp --transport http --port 8284     # streamable HTTP at http://127.0.0.1:8284/mcp\n"
        "  LETTA_BASE_URL=https://api.letta.com LETTA_API_KEY=... letta-mcp",
    )
    parser.add_argument("--version", action="version", version=f"letta-mcp {__version__}")
    for name, info in Settings.model_fields.items():
        choices = _choices(name)
        helptext = f"{info.description} [env {env_var(name)}; default {_default_text(name)}]"
        if choices:
            helptext += f" (one of: {', '.join(choices)})"
        if _is_bool(name):
            parser.add_argument(
                flag(name),
                dest=name,
                action=argparse.BooleanOptionalAction,
                default=argparse.SUPPRESS,
                help=helptext,
            )
        else:
            parser.add_argument(flag(name), dest=name, default=argparse.SUPPRESS, metavar="VALUE", help=helptext)
    return parser


SECRETS = ("api_key", "tokens", "state_keys")
"""Settings whose values are never echoed, even in the error for a bad one."""


def _fail(message: str) -> NoReturn:
    print(f"letta-mcp: {message}", file=sys.stderr)
    raise SystemExit(2)


def _setting_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = str(err["loc"][0]) if err["loc"] else "?"
    field = (
        loc
        if loc in Settings.model_fields
        else next((f for f in Settings.model_fields if env_var(f).lower() == loc.lower()), loc)
    )
    where = f"{env_var(field)} / {flag(field)}" if field in Settings.model_fields else loc
    message = str(err["msg"]).removeprefix("Value error, ")
    value = err.get("input")
    shown = "" if field in SECRETS or isinstance(value, dict) else f" (got {value!r})"
    return f"invalid setting {where}: {message}{shown}"


def load_settings(overrides: dict[str, Any]) -> Settings:
    """Settings from flags (`overrides`) over the environment; a bad value ends the process with exit 2."""
    for name in SECRETS:
        if name in overrides:
            overrides[name] = SecretStr(overrides[name])
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        _fail(_setting_error(exc))


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("config", "doctor"):
        raise SystemExit(subcommand(argv[0], argv[1:]))
    args = vars(build_parser().parse_args(argv))
    settings = load_settings(args)
    configure_logging(settings.log_level)
    if settings.transport == "http":
        from letta_mcp.transports.auth import AuthConfigError
        from letta_mcp.transports.http import check_http_settings

        try:
            check_http_settings(settings)
        except AuthConfigError as exc:
            _fail(str(exc))
    with local_letta(settings) as settings:
        serve_forever(settings)


def serve_forever(settings: Settings) -> None:
    from letta_mcp.server import create_server

    if settings.transport == "stdio":
        from letta_mcp.transports import stdio

        server = create_server(settings)
        collect_again()
        anyio.run(stdio.serve, server, backend_options=event_loop_options())
        return
    from letta_mcp.transports.auth import server_auth
    from letta_mcp.transports.workers import serve

    if settings.workers > 1:
        export_settings(settings)
    server = create_server(settings, **server_auth(settings))
    collect_again()
    serve(server, settings)


@contextlib.contextmanager
def local_letta(settings: Settings) -> Iterator[Settings]:
    """With --local (or LETTA_BASE_URL=local): an App Server of our own for as long as letta-mcp runs, and the
    settings that point at it. It is stopped however letta-mcp ends: stdin closed, SIGTERM, Ctrl-C."""
    if not (settings.local or settings.base_url == LOCAL):
        yield settings
        return
    from letta_mcp.backends.app.local import LocalAppServer, LocalError

    app = LocalAppServer(settings.letta_command)
    try:
        url = app.start()
    except LocalError as exc:
        _fail(str(exc))
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    if settings.transport == "stdio":
        # A stdio server has nothing to flush (Letta holds the state), but its stdin reader thread would keep
        # a normal exit waiting: on a signal, stop the App Server and leave at once.
        def stop_and_exit(signum: int, frame: Any) -> None:
            app.stop()
            os._exit(128 + signum)

        for sig in previous:
            signal.signal(sig, stop_and_exit)
    try:
        yield settings.model_copy(update={"base_url": url, "local": False})
    except KeyboardInterrupt:
        pass
    finally:
        app.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def subcommand(name: str, argv: list[str]) -> int:
    """`letta-mcp config <client>` and `letta-mcp doctor`, with every settings flag too."""
    from letta_mcp.cli.onboarding import CLIENTS, config_block, doctor, where

    parser = build_parser()
    parser.prog = f"letta-mcp {name}"
    if name == "config":
        parser.description = "Print letta-mcp's configuration block for an MCP client, from the current settings."
        parser.add_argument("client", choices=CLIENTS)
        parser.add_argument(
            "--show-secrets",
            action="store_true",
            help="write secrets into the block instead of a reference to their variable",
        )
        parser.add_argument("--token", default=None, help="HTTP: the bearer token to put in (with --show-secrets)")
    else:
        parser.description = "Check that letta-mcp can work: Letta reachable, credentials, defaults, tools."
    args = vars(parser.parse_args(argv))
    client = args.pop("client", None)
    show = bool(args.pop("show_secrets", False))
    token = args.pop("token", None)
    settings = load_settings(args)
    if name == "config":
        assert client is not None
        print(f"# {where(client)}", file=sys.stderr)
        print(config_block(client, settings, show_secrets=show, token=token))
        return 0
    with local_letta(settings) as checked:
        results = anyio.run(doctor, checked)
    for passed, line in results:
        print(("✓ " if passed else "✗ ") + line)
    return 0 if all(passed for passed, _ in results) else 1


def collect_again() -> None:
    """The server is built: the start-up objects are moved out of the collector's sight (`gc.freeze`), and
    it runs again over what is made from now on (`__main__` held it off)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def event_loop_options() -> dict[str, Any]:
    """uvloop when it is installed (the `fast` extra): a quicker event loop for every request."""
    import importlib.util

    return {"use_uvloop": True} if importlib.util.find_spec("uvloop") is not None else {}


def export_settings(settings: Settings) -> None:
    """Put the effective settings (flags included) in the environment that worker processes inherit."""
    for name in settings.model_fields_set:
        os.environ[env_var(name)] = as_text(getattr(settings, name))


if __name__ == "__main__":
    main()
