"""Settings: every knob of letta-mcp, from flags, environment variables and defaults (in that order).

One pydantic-settings class. Each field names its environment variable (``validation_alias``)
and its flag is the field name with dashes (``max_result_chars`` → ``--max-result-chars``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from letta_mcp.toolsets import DEFAULT as DEFAULT_TOOLSETS
from letta_mcp.toolsets import NAMES as TOOLSETS

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def _env(name: str) -> Any:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """letta-mcp's configuration. Flags win over environment variables, which win over defaults."""

    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    base_url: str = Field(
        "http://localhost:8283",
        validation_alias=_env("LETTA_BASE_URL"),
        description="Letta to talk to: http(s):// for its REST API (self-hosted, or https://api.letta.com for Letta "
        "Cloud), ws(s):// for Letta Code's App Server, or 'local' to start an App Server (like --local).",
    )
    local: bool = Field(
        False,
        validation_alias=_env("LETTA_MCP_LOCAL"),
        description="Start Letta Code's App Server (letta-mcp[local]) on a free loopback port with your ~/.letta, "
        "serve through it, and stop it on exit.",
    )
    letta_command: str | None = Field(
        None,
        validation_alias=_env("LETTA_MCP_LETTA_COMMAND"),
        description="--local: the Letta Code command that runs the App Server (default: the `letta` that "
        "letta-mcp[local] installs, else the one on PATH).",
    )
    api_key: SecretStr | None = Field(
        None,
        validation_alias=_env("LETTA_API_KEY"),
        description="Letta API key (Letta Cloud, or a server run with a password). Prefer the variable to the flag.",
    )
    transport: Literal["stdio", "http"] = Field(
        "stdio", validation_alias=_env("LETTA_MCP_TRANSPORT"), description="stdio (launched by an IDE) or http."
    )
    host: str = Field(
        "127.0.0.1", validation_alias=_env("LETTA_MCP_HOST"), description="Address the HTTP transport binds."
    )
    port: int = Field(8284, ge=1, le=65535, validation_alias=_env("LETTA_MCP_PORT"), description="HTTP port.")
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        validation_alias=_env("LETTA_MCP_ALLOWED_HOSTS"),
        description="Extra Host header values HTTP accepts (comma-separated; 'name:*' for any port). Loopback always.",
    )
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        validation_alias=_env("LETTA_MCP_ALLOWED_ORIGINS"),
        description="Extra Origin header values HTTP accepts (comma-separated). Loopback origins always.",
    )
    auth: Literal["none", "token", "passthrough", "oauth"] = Field(
        "none",
        validation_alias=_env("LETTA_MCP_AUTH"),
        description="HTTP authentication: none (loopback only), token, passthrough (bearer = caller's Letta key), "
        "oauth (JWTs from an issuer).",
    )
    tokens: SecretStr | None = Field(
        None,
        validation_alias=_env("LETTA_MCP_TOKENS"),
        description='auth=token: JSON list of {"name", "token", optional "letta_api_key", "toolsets", '
        '"read_only", "agent_tag"}.',
    )
    tokens_file: str | None = Field(
        None, validation_alias=_env("LETTA_MCP_TOKENS_FILE"), description="auth=token: a JSON file of the same list."
    )
    oauth_issuer: str | None = Field(
        None, validation_alias=_env("LETTA_MCP_OAUTH_ISSUER"), description="auth=oauth: the issuer URL (iss)."
    )
    oauth_jwks_url: str | None = Field(
        None,
        validation_alias=_env("LETTA_MCP_OAUTH_JWKS_URL"),
        description="auth=oauth: where the issuer publishes its keys (default <issuer>/.well-known/jwks.json).",
    )
    oauth_jwks_seconds: float = Field(
        300,
        ge=1,
        le=86_400,
        validation_alias=_env("LETTA_MCP_OAUTH_JWKS_SECONDS"),
        description="auth=oauth: how long the issuer's keys are trusted before they are fetched again (a key "
        "the issuer removed is refused after that).",
    )
    oauth_scope_prefix: str = Field(
        "letta",
        min_length=1,
        max_length=50,
        pattern=r"^[A-Za-z0-9._/-]+$",
        validation_alias=_env("LETTA_MCP_OAUTH_SCOPE_PREFIX"),
        description="auth=oauth: the prefix of the scopes that grant access (<prefix>:read, :write, "
        ":agents:<tag> or :agents:*, :toolsets:<name>).",
    )
    oauth_audience: str | None = Field(
        None,
        validation_alias=_env("LETTA_MCP_OAUTH_AUDIENCE"),
        description="auth=oauth: the audience (aud) tokens must carry; default this server's public URL.",
    )
    public_url: str | None = Field(
        None,
        validation_alias=_env("LETTA_MCP_PUBLIC_URL"),
        description="This endpoint's public URL (e.g. https://mcp.example.com/mcp), for OAuth metadata.",
    )
    pool_size: int = Field(
        64,
        ge=1,
        le=10_000,
        validation_alias=_env("LETTA_MCP_POOL_SIZE"),
        description="Most Letta clients kept for callers' own keys (idle ones are closed after 10 minutes).",
    )
    new_keys_per_minute: int = Field(
        60,
        ge=1,
        le=100_000,
        validation_alias=_env("LETTA_MCP_NEW_KEYS_PER_MINUTE"),
        description="auth=passthrough: most new caller keys checked with Letta per minute per worker "
        "(bursts of 10); beyond it a new key gets 429, while accepted keys go on.",
    )
    workers: int = Field(
        1, ge=1, le=64, validation_alias=_env("LETTA_MCP_WORKERS"), description="HTTP worker processes."
    )
    http_sessions: bool = Field(
        False,
        validation_alias=_env("LETTA_MCP_HTTP_SESSIONS"),
        description="HTTP: keep a session for each protocol 2025-11-25 client (Mcp-Session-Id), so its user can "
        "be asked during a call (elicitation); such a client must then reach the same process (one worker; "
        "sticky sessions across replicas). 2026-07-28 clients are stateless either way.",
    )
    max_request_bytes: int = Field(
        4 * 1024 * 1024,
        ge=1024,
        le=100 * 1024 * 1024,
        validation_alias=_env("LETTA_MCP_MAX_REQUEST_BYTES"),
        description="Largest HTTP request body accepted.",
    )
    max_connections: int = Field(
        1000,
        ge=1,
        le=100_000,
        validation_alias=_env("LETTA_MCP_MAX_CONNECTIONS"),
        description="Most HTTP connections and requests at once per worker; beyond it, 503.",
    )
    header_timeout: float = Field(
        10.0,
        gt=0,
        le=600,
        validation_alias=_env("LETTA_MCP_HEADER_TIMEOUT"),
        description="Seconds a new HTTP connection has to send its request headers before it is closed.",
    )
    state_keys: SecretStr | None = Field(
        None,
        validation_alias=_env("LETTA_MCP_STATE_KEYS"),
        description="Comma-separated secrets (each at least 32 characters; the first seals, all open) that seal "
        "the state of an approval asked at protocol 2026-07-28, so any replica holding them continues the call. "
        "Unset: a key of this server (its --workers share one). Prefer the variable to the flag.",
    )
    log_level: LogLevel = Field("INFO", validation_alias=_env("LETTA_MCP_LOG_LEVEL"), description="Log level (stderr).")
    toolsets: Annotated[tuple[str, ...], NoDecode] = Field(
        DEFAULT_TOOLSETS,
        validation_alias=_env("LETTA_MCP_TOOLSETS"),
        description=f"Comma-separated toolsets to serve, or 'all'. Known: {', '.join(TOOLSETS)}.",
    )
    read_only: bool = Field(
        False, validation_alias=_env("LETTA_MCP_READ_ONLY"), description="Serve only tools that change nothing."
    )
    expose_tag: str = Field(
        "mcp:expose",
        min_length=1,
        max_length=200,
        validation_alias=_env("LETTA_MCP_EXPOSE_TAG"),
        description="Agents with this tag become tools of their own (ask_<name>), with the ask toolset.",
    )
    expose_agents: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        validation_alias=_env("LETTA_MCP_EXPOSE_AGENTS"),
        description="More agents (names or ids, comma-separated) to expose as ask_<name> tools.",
    )
    ask_cache_seconds: float = Field(
        10.0,
        ge=0,
        le=3600,
        validation_alias=_env("LETTA_MCP_ASK_CACHE_SECONDS"),
        description="How long the list of exposed agents is reused before tools/list asks Letta again.",
    )
    read_only_ask: bool = Field(
        False,
        validation_alias=_env("LETTA_MCP_READ_ONLY_ASK"),
        description="With --read-only, still serve ask_<name> tools (talking to an agent adds to its history).",
    )
    timeout: float = Field(
        30.0,
        gt=0,
        le=3600,
        validation_alias=_env("LETTA_MCP_TIMEOUT"),
        description="Seconds to wait for Letta on an ordinary call.",
    )
    connect_timeout: float = Field(
        5.0,
        gt=0,
        le=300,
        validation_alias=_env("LETTA_MCP_CONNECT_TIMEOUT"),
        description="Seconds to wait for a connection to Letta.",
    )
    wait_seconds: float = Field(
        45.0,
        ge=1,
        le=600,
        validation_alias=_env("LETTA_MCP_WAIT_SECONDS"),
        description="Seconds send_message waits for a reply before handing back a run to fetch with get_run.",
    )
    read_retries: int = Field(
        2,
        ge=0,
        le=10,
        validation_alias=_env("LETTA_MCP_READ_RETRIES"),
        description="Retries (with backoff) of a read that failed on a lost connection, 502-504 or a short 429. "
        "Writes never retry.",
    )
    max_result_chars: int = Field(
        20_000,
        ge=1_000,
        le=1_000_000,
        validation_alias=_env("LETTA_MCP_MAX_RESULT_CHARS"),
        description="Size budget of one tool result, in characters of JSON.",
    )
    conversation: Literal["default", "per-session"] = Field(
        "default",
        validation_alias=_env("LETTA_MCP_CONVERSATION"),
        description="Which thread send_message and ask_<agent> use when no conversation is given: the agent's "
        "default one, or one per MCP client session (created on first use; stdio).",
    )
    app_workspaces: str | None = Field(
        None,
        validation_alias=_env("LETTA_MCP_APP_WORKSPACES"),
        description="App Server behind authentication: the folder under which each scope's agents get a working "
        "directory of their own (default $XDG_STATE_HOME/letta-mcp/workspaces).",
    )
    max_upload_bytes: int = Field(
        10 * 1024 * 1024,
        ge=1,
        le=1024 * 1024 * 1024,
        validation_alias=_env("LETTA_MCP_MAX_UPLOAD_BYTES"),
        description="Largest file upload_file sends to Letta.",
    )
    default_model: str = Field(
        "openai/gpt-4o-mini",
        validation_alias=_env("LETTA_MCP_DEFAULT_MODEL"),
        description="Model handle for create_agent when none is given.",
    )
    default_embedding: str = Field(
        "openai/text-embedding-3-small",
        validation_alias=_env("LETTA_MCP_DEFAULT_EMBEDDING"),
        description="Embedding handle for create_agent when none is given.",
    )

    @field_validator("base_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if value.strip() == LOCAL:
            return LOCAL
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
            raise ValueError(
                "must be a URL with a host: http(s):// for Letta's REST API (e.g. http://localhost:8283), ws(s):// "
                "for Letta's App Server (e.g. ws://127.0.0.1:4500), or 'local' to start one"
            )
        try:
            parts.port  # noqa: B018 — raises on a malformed port
        except ValueError as exc:
            raise ValueError("has a malformed port") from exc
        return value.strip().rstrip("/")

    @field_validator("api_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        # A client config that maps an unset option to LETTA_API_KEY="" (Claude Code's plugin userConfig does)
        # means no key, not an empty one.
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        return None if isinstance(raw, str) and not raw.strip() else value

    @field_validator("toolsets", "allowed_hosts", "allowed_origins", "expose_agents", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("toolsets")
    @classmethod
    def _check_toolsets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "all" in value:
            return TOOLSETS
        unknown = [name for name in value if name not in TOOLSETS]
        if unknown:
            raise ValueError(f"unknown toolset {unknown[0]!r}; choose from {', '.join(TOOLSETS)} or 'all'")
        if not value:
            raise ValueError(f"name at least one toolset: {', '.join(TOOLSETS)} or 'all'")
        return tuple(name for name in TOOLSETS if name in value)

    @field_validator("state_keys")
    @classmethod
    def _check_state_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and any(len(key) < 32 for key in _keys(value.get_secret_value())):
            raise ValueError(
                'each key must be at least 32 characters: python -c "import secrets; print(secrets.token_hex(32))"'
            )
        return value

    def state_key_list(self) -> list[str]:
        """LETTA_MCP_STATE_KEYS, the sealing key first."""
        return _keys(self.state_keys.get_secret_value()) if self.state_keys is not None else []

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


def _keys(text: str) -> list[str]:
    return [key.strip() for key in text.split(",") if key.strip()]


LOCAL = "local"
"""LETTA_BASE_URL=local: the same as --local."""


def backend_kind(settings: Settings) -> Literal["rest", "app"]:
    """Which backend the settings point at: ws(s):// (or a local App Server) is the App Server; http(s):// REST."""
    if settings.local or settings.base_url == LOCAL:
        return "app"
    return "app" if urlsplit(settings.base_url).scheme in ("ws", "wss") else "rest"


def as_text(value: Any) -> str:
    """A setting's value as an environment variable (and a help text, a README cell) spells it."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, tuple | list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def shown_url(url: str) -> str:
    """A URL as it may appear in a message, a log line or a probe: without any user:password@."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def env_var(field: str) -> str:
    """The environment variable that sets `field`."""
    alias = Settings.model_fields[field].validation_alias
    assert isinstance(alias, AliasChoices)
    first = alias.choices[0]
    assert isinstance(first, str)
    return first


def flag(field: str) -> str:
    return "--" + field.replace("_", "-")
