"""Configuration: a TOML file, then environment overrides, validated into frozen attrs classes.

Environment variables follow one rule: `GALFRIDAY_<SECTION>_<KEY>` sets `[section] key`, and
`GALFRIDAY_<SECTION>` alone sets the section's `adapter` (so `GALFRIDAY_STORE=sqlite`,
`GALFRIDAY_STORE_DSN=...`, `GALFRIDAY_KRAKEN_API_KEY=...`). `ENVIRONMENT_VARIABLES` lists every one.

Secrets (API keys, DSNs) are `Secret` values whose repr and str are redacted. API credentials come only from
the environment or from a file named in the configuration (`api_key_file`), never from the TOML itself.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
from attrs import field, frozen

from galfriday.domain.retention import RetentionPolicy
from galfriday.domain.tolerance import TolerancePolicy
from galfriday.errors import ConfigurationError, InvalidValueError

ENV_PREFIX = "GALFRIDAY_"


class Secret:
    """A secret string; `reveal()` is the only way to read it, and it never prints."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


def _secret_meta(**extra: Any) -> dict[str, Any]:
    return {"secret": True, **extra}


@frozen
class StoreConfig:
    """The store; the embedded SQLite file `galfriday.db` by default, so nothing needs a server to start."""

    adapter: str = "sqlite"
    dsn: Secret | None = field(default=None, repr=False, metadata=_secret_meta(in_file=True))
    pool_min_size: int = 1
    pool_max_size: int = 10
    command_timeout: float = 30.0
    application_name: str = "galfriday"
    slow_query_ms: float = 200.0
    settings: dict[str, Any] = field(factory=dict)


@frozen
class ExchangeConfig:
    adapter: str = "memory"
    settings: dict[str, Any] = field(factory=dict)


@frozen
class KrakenConfig:
    rest_url: str = "https://api.kraken.com"
    ws_url: str = "wss://ws.kraken.com/v2"
    ws_auth_url: str = "wss://ws-auth.kraken.com/v2"
    api_key: Secret | None = field(default=None, repr=False, metadata=_secret_meta())
    api_secret: Secret | None = field(default=None, repr=False, metadata=_secret_meta())
    api_key_file: Path | None = None
    api_secret_file: Path | None = None
    rate_tier: str = "starter"
    """Kraken verification tier for the REST call counter: starter, intermediate or pro."""
    stream: bool = True
    """Connect the WebSocket v2 stream; false runs REST only (the account is polled)."""


@frozen
class BusConfig:
    adapter: str = "memory"
    maxsize: int = 1000
    settings: dict[str, Any] = field(factory=dict)


@frozen
class ModelsConfig:
    runtime: str = "memory"
    artifact_store: str = "memory"
    trainer: str = "memory"
    settings: dict[str, Any] = field(factory=dict)


@frozen
class NotifierConfig:
    adapter: str = "log"
    settings: dict[str, Any] = field(factory=dict)


DEFAULT_RETENTION: tuple[RetentionPolicy, ...] = (
    RetentionPolicy(table="candles", interval_seconds=60, keep_days=90),
    RetentionPolicy(table="raw_journal", keep_days=30),
)


@frozen
class RetentionConfig:
    """Per-table retention; expiring rows are archived (`archive` adapter, under `archive_dir`) then deleted."""

    archive: str = "parquet"
    archive_dir: str = "archive"
    compression: str = "zstd"
    every_seconds: float = 3600.0
    """How often `galfriday run` applies the policies (GALFRIDAY_RETENTION_EVERY_SECONDS)."""
    policies: tuple[RetentionPolicy, ...] = DEFAULT_RETENTION
    settings: dict[str, Any] = field(factory=dict)


@frozen
class RuntimeConfig:
    """`galfriday run`: the HTTP endpoint (`/health`, `/metrics`), shutdown and supervision settings.

    Environment: GALFRIDAY_RUNTIME_HTTP_HOST, GALFRIDAY_RUNTIME_HTTP_PORT (0 picks a free port),
    GALFRIDAY_RUNTIME_SHUTDOWN_TIMEOUT_SECONDS, GALFRIDAY_RUNTIME_INTAKE_QUEUE_SIZE,
    GALFRIDAY_RUNTIME_RESTART_INITIAL_SECONDS, GALFRIDAY_RUNTIME_RESTART_MAX_SECONDS,
    GALFRIDAY_RUNTIME_RECOVERY_POLL_SECONDS (account polling while the stream is down),
    GALFRIDAY_RUNTIME_DEADMAN_TIMEOUT_SECONDS (the exchange's cancel-all-after timer while orders are live;
    0 disables it), GALFRIDAY_RUNTIME_MODELS (comma-separated model names whose drift and degradation are
    checked, and which are retrained when the policy says so, every GALFRIDAY_RUNTIME_MODEL_CHECK_SECONDS),
    GALFRIDAY_RUNTIME_JOURNAL (keep every raw exchange frame in the store's journal, for `galfriday replay`).
    """

    http_host: str = "127.0.0.1"
    http_port: int = 9464
    shutdown_timeout_seconds: float = 30.0
    intake_queue_size: int = 10_000
    restart_initial_seconds: float = 0.5
    restart_max_seconds: float = 60.0
    recovery_poll_seconds: float = 5.0
    deadman_timeout_seconds: int = 60
    models: str = ""
    model_check_seconds: float = 3600.0
    journal: bool = True

    def model_names(self) -> tuple[str, ...]:
        """`models` as a tuple of names, blanks dropped."""
        return tuple(name.strip() for name in self.models.split(",") if name.strip())


@frozen
class ReconciliationConfig:
    """Reconciliation with the exchange: when it runs, how an unknown outcome is retried, what is tolerated.

    Environment: GALFRIDAY_RECONCILIATION_INTERVAL_SECONDS, _WAIT_AT_STARTUP, _HALT_ON_MANUAL_REVIEW,
    _ALWAYS_IMPORT_FILLS, _RETRIES, _RETRY_BACKOFF_SECONDS, _LOOKBACK_SECONDS,
    _CONFIRM_AFTER_SECONDS. `tolerances` is set in the file
    only: `[reconciliation.tolerances]` with `default`, assets (`BTC`) and pairs (`"BTC/USD"`), each a table
    `{absolute = "0.0001", relative = "0.001"}` (see galfriday.domain.tolerance).
    """

    interval_seconds: float = 86400.0
    """Seconds between scheduled runs (daily by default)."""
    wait_at_startup: bool = True
    """Hold new orders until the start-up run has succeeded."""
    halt_on_manual_review: bool = True
    """Hold new orders while discrepancies beyond tolerance await a human."""
    always_import_fills: bool = True
    """Import a fill the exchange's trade history holds and we lack, whatever its size."""
    retries: int = 3
    """Retries of an exchange call whose outcome is unknown, before the run fails (changing nothing)."""
    retry_backoff_seconds: float = 0.5
    """The first retry's delay; each further retry doubles it."""
    lookback_seconds: float = 3600.0
    """How far before the last run's checkpoint the exchange's history is read again."""
    confirm_after_seconds: float = 5.0
    """A run that finds discrepancies looks again after this delay and acts only on those found both times
    (the others were stream events still being applied); 0 acts on the first look."""
    tolerances: dict[str, Any] = field(factory=dict)

    def policy(self) -> TolerancePolicy:
        return TolerancePolicy.from_table(
            self.tolerances,
            halt_on_manual_review=self.halt_on_manual_review,
            always_import_fills=self.always_import_fills,
        )


@frozen
class LoggingConfig:
    level: str = "INFO"


@frozen
class Config:
    """The whole configuration. Build it with `load_config`; every section has working defaults."""

    store: StoreConfig = StoreConfig()
    exchange: ExchangeConfig = ExchangeConfig()
    kraken: KrakenConfig = KrakenConfig()
    bus: BusConfig = BusConfig()
    models: ModelsConfig = ModelsConfig()
    notifier: NotifierConfig = NotifierConfig()
    retention: RetentionConfig = RetentionConfig()
    runtime: RuntimeConfig = RuntimeConfig()
    reconciliation: ReconciliationConfig = ReconciliationConfig()
    logging: LoggingConfig = LoggingConfig()

    def with_overrides(self, **sections: Any) -> Config:
        """A copy with whole sections replaced, for tests and embedding apps."""
        return attrs.evolve(self, **sections)


_SECTIONS: dict[str, type[Any]] = {f.name: f.type for f in attrs.fields(Config)}  # type: ignore[misc]
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _env_name(section: str, key: str) -> str:
    if key == "adapter":
        return f"{ENV_PREFIX}{section.upper()}"
    return f"{ENV_PREFIX}{section.upper()}_{key.upper()}"


def _section_classes() -> dict[str, type[Any]]:
    return {f.name: f.default.__class__ for f in attrs.fields(Config)}


_FILE_ONLY = ("settings", "policies", "tolerances")
"""Tables that only the configuration file sets."""

ENVIRONMENT_VARIABLES: dict[str, str] = {
    _env_name(section, f.name): f"[{section}] {f.name}"
    for section, cls in _section_classes().items()
    for f in attrs.fields(cls)
    if f.name not in _FILE_ONLY
}
"""Every environment variable galfriday reads, mapped to the configuration key it sets."""


# --- conversion --------------------------------------------------------------------------------------


def _as_str(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigurationError(key, value, "a string")
    return value


def _as_int(key: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ConfigurationError(key, value, "a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ConfigurationError(key, value, "a whole number, such as 10")


def _as_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _BOOLEAN_WORDS:
        return _BOOLEAN_WORDS[value.strip().lower()]
    raise ConfigurationError(key, value, "true or false")


_BOOLEAN_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _as_float(key: str, value: Any) -> float:
    if isinstance(value, bool):
        raise ConfigurationError(key, value, "a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ConfigurationError(key, value, "a number, such as 30 or 0.5")


def _as_path(key: str, value: Any) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(key, value, "a file path")
    return Path(value)


def _as_table(key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigurationError(key, value, "a table of adapter settings")
    return dict(value)


def _as_policies(key: str, value: Any) -> tuple[RetentionPolicy, ...]:
    if not isinstance(value, list):
        raise ConfigurationError(key, value, "an array of tables: [[retention.policies]]")
    policies = []
    for index, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            raise ConfigurationError(
                f"{key}[{index}]", entry, "a table with table, keep_days[, interval_seconds]"
            )
        try:
            policies.append(RetentionPolicy(**entry))
        except TypeError:
            raise ConfigurationError(
                f"{key}[{index}]", dict(entry), "keys table, keep_days, interval_seconds, archive"
            ) from None
        except InvalidValueError as exc:
            raise ConfigurationError(f"{key}[{index}].{exc.field}", exc.value, exc.expected) from None
    return tuple(policies)


def _converter_for(annotation: Any) -> Callable[[str, Any], Any]:
    text = str(annotation)
    if "RetentionPolicy" in text:
        return _as_policies
    if "Secret" in text:
        return lambda key, value: Secret(_as_str(key, value))
    if "Path" in text:
        return _as_path
    if "dict" in text:
        return _as_table
    if text.startswith("bool"):
        return _as_bool
    if text.startswith("int"):
        return _as_int
    if text.startswith("float"):
        return _as_float
    return _as_str


def _build_section(section: str, cls: type[Any], raw: Mapping[str, Any], env: Mapping[str, str]) -> Any:
    fields = {f.name: f for f in attrs.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise ConfigurationError(f"{section}.{unknown[0]}", raw[unknown[0]], f"one of {sorted(fields)}")
    values: dict[str, Any] = {}
    for name, f in fields.items():
        key = f"{section}.{name}"
        is_secret = bool(f.metadata.get("secret"))
        if name in raw:
            if is_secret and not f.metadata.get("in_file"):
                raise ConfigurationError(
                    key,
                    raw[name],
                    f"no secret in the configuration file; set {_env_name(section, name)} or {name}_file",
                    secret=True,
                )
            values[name] = _converter_for(f.type)(key, raw[name])
        env_value = env.get(_env_name(section, name))
        if env_value is not None and name not in _FILE_ONLY:
            values[name] = _converter_for(f.type)(_env_name(section, name), env_value)
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:  # pragma: no cover - conversions above catch the known cases
        raise ConfigurationError(section, "<section>", str(exc)) from exc


def _read_secret_files(kraken: KrakenConfig) -> KrakenConfig:
    updates: dict[str, Any] = {}
    for name in ("api_key", "api_secret"):
        path: Path | None = getattr(kraken, f"{name}_file")
        if path is not None and getattr(kraken, name) is None:
            try:
                updates[name] = Secret(path.read_text().strip())
            except OSError as exc:
                raise ConfigurationError(
                    f"kraken.{name}_file", str(path), f"a readable file ({exc.strerror})"
                ) from None
    return attrs.evolve(kraken, **updates) if updates else kraken


def _validate(config: Config) -> None:
    if config.logging.level.upper() not in _LOG_LEVELS:
        raise ConfigurationError("logging.level", config.logging.level, f"one of {', '.join(_LOG_LEVELS)}")
    for key, value in (
        ("store.pool_min_size", config.store.pool_min_size),
        ("bus.maxsize", config.bus.maxsize),
    ):
        if value < 1:
            raise ConfigurationError(key, value, "a whole number of at least 1")
    for key, seconds in (
        ("retention.every_seconds", config.retention.every_seconds),
        ("runtime.shutdown_timeout_seconds", config.runtime.shutdown_timeout_seconds),
        ("runtime.restart_initial_seconds", config.runtime.restart_initial_seconds),
        ("runtime.recovery_poll_seconds", config.runtime.recovery_poll_seconds),
        ("runtime.model_check_seconds", config.runtime.model_check_seconds),
    ):
        if not seconds > 0:
            raise ConfigurationError(key, seconds, "a number of seconds above 0")
    if config.runtime.restart_max_seconds < config.runtime.restart_initial_seconds:
        raise ConfigurationError(
            "runtime.restart_max_seconds",
            config.runtime.restart_max_seconds,
            f"at least runtime.restart_initial_seconds ({config.runtime.restart_initial_seconds})",
        )
    if not 0 <= config.runtime.deadman_timeout_seconds < 86400:
        raise ConfigurationError(
            "runtime.deadman_timeout_seconds",
            config.runtime.deadman_timeout_seconds,
            "whole seconds from 1 to 86399, or 0 to disable the dead-man's switch",
        )
    if config.runtime.intake_queue_size < 1:
        raise ConfigurationError("runtime.intake_queue_size", config.runtime.intake_queue_size, "at least 1")
    if not 0 <= config.runtime.http_port <= 65535:
        raise ConfigurationError(
            "runtime.http_port", config.runtime.http_port, "a TCP port 0..65535 (0: any free)"
        )
    if config.store.pool_max_size < config.store.pool_min_size:
        raise ConfigurationError(
            "store.pool_max_size",
            config.store.pool_max_size,
            f"at least store.pool_min_size ({config.store.pool_min_size})",
        )
    for key, url, schemes in (
        ("kraken.rest_url", config.kraken.rest_url, ("http://", "https://")),
        ("kraken.ws_url", config.kraken.ws_url, ("ws://", "wss://")),
        ("kraken.ws_auth_url", config.kraken.ws_auth_url, ("ws://", "wss://")),
    ):
        if not url.startswith(schemes):
            raise ConfigurationError(key, url, f"a URL starting with {' or '.join(schemes)}")


def _validate_reconciliation(config: ReconciliationConfig) -> None:
    for key in ("interval_seconds", "retry_backoff_seconds", "lookback_seconds", "confirm_after_seconds"):
        value = getattr(config, key)
        if value < 0 or (key == "interval_seconds" and value == 0):
            raise ConfigurationError(f"reconciliation.{key}", value, "seconds (interval above 0)")
    if config.retries < 0:
        raise ConfigurationError("reconciliation.retries", config.retries, "a whole number, zero or more")
    try:
        config.policy()
    except InvalidValueError as exc:
        raise ConfigurationError(f"reconciliation.{exc.field}", exc.value, exc.expected) from None


def config_from_mapping(raw: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Config:
    """Build a Config from a parsed TOML document and an environment (os.environ by default)."""
    env = os.environ if environ is None else environ
    unknown = sorted(set(raw) - set(_SECTIONS))
    if unknown:
        raise ConfigurationError(unknown[0], raw[unknown[0]], f"a section among {sorted(_SECTIONS)}")
    sections: dict[str, Any] = {}
    for section, cls in _section_classes().items():
        table = raw.get(section, {})
        if not isinstance(table, Mapping):
            raise ConfigurationError(section, table, "a table")
        sections[section] = _build_section(section, cls, table, env)
    sections["kraken"] = _read_secret_files(sections["kraken"])
    config = Config(**sections)
    _validate(config)
    _validate_reconciliation(config.reconciliation)
    return config


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read the TOML file at `path` (or `GALFRIDAY_CONFIG`, or none) and apply environment overrides."""
    env = os.environ if environ is None else environ
    chosen = path if path is not None else env.get(f"{ENV_PREFIX}CONFIG")
    raw: dict[str, Any] = {}
    if chosen:
        file = Path(chosen)
        try:
            raw = tomllib.loads(file.read_text())
        except OSError as exc:
            raise ConfigurationError(
                "config file", str(file), f"a readable TOML file ({exc.strerror})"
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError("config file", str(file), f"valid TOML ({exc})") from None
    return config_from_mapping(raw, env)
