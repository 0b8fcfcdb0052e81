"""The configuration reference (docs/configuration.md), generated from the attrs classes of galfriday.config.

Every section and key comes from `Config` itself: the type from the annotation, the default from the class,
the environment variable from `ENVIRONMENT_VARIABLES`, the meaning from the attribute's docstring in
galfriday/config.py (or, for a key that has none yet, from `MEANINGS` below). A test compares the committed
file with this output, so the reference cannot silently go stale.

    python -m galfriday.config_reference            # print it (as does `galfriday config --reference`)
    python -m galfriday.config_reference --write    # rewrite docs/configuration.md
    python -m galfriday.config_reference --check    # exit 1 when docs/configuration.md differs
"""

from __future__ import annotations

import ast
import inspect
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from galfriday import config as config_module
from galfriday.config import ENVIRONMENT_VARIABLES, Config, Secret
from galfriday.domain.retention import RetentionPolicy

DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
"""Where the reference is committed (in a source checkout)."""

UNDOCUMENTED = "(no description yet: add a docstring under the attribute in galfriday/config.py)"

SECTION_INTROS: Mapping[str, str] = {
    "exchange": "The exchange adapter: `memory` (a fake exchange with a matching engine), `kraken`, or a plugin's.",
    "kraken": "The Kraken adapter's endpoints, credentials and REST rate tier (used when `[exchange] adapter = "
    '"kraken"`). See [kraken-stream.md](kraken-stream.md).',
    "bus": "The in-process event bus that carries domain events between services.",
    "models": "Adapters of the model lifecycle: runtime, artifact store and trainer. See "
    "[model-registry.md](model-registry.md) and "
    "[monitoring-retraining-rollout.md](monitoring-retraining-rollout.md).",
    "notifier": "Where alerts go: `log` (the default), `webhook`, `memory`, or a plugin's (`slack`).",
    "logging": "Logging of the `galfriday` loggers.",
}
"""A section's introduction when its class has no docstring."""

MEANINGS: Mapping[str, str] = {
    "store.adapter": "Store adapter: `sqlite`, `postgres`, `memory`, or a plugin's.",
    "store.dsn": "SQLite: the database file (`galfriday.db` when unset). Postgres: a `postgresql://` URL. "
    "Secret: redacted everywhere.",
    "store.pool_min_size": "Postgres connection pool: connections kept open.",
    "store.pool_max_size": "Postgres connection pool: at most this many connections.",
    "store.command_timeout": "Postgres: seconds a statement may take before it is cancelled.",
    "store.application_name": "Postgres: `application_name` of the connections (seen in `pg_stat_activity`).",
    "store.slow_query_ms": "Statements slower than this are logged by the query monitor (SQLite and Postgres).",
    "store.settings": "Adapter settings (`[store.settings]`), see below.",
    "exchange.adapter": "Exchange adapter name.",
    "exchange.settings": "Adapter settings (`[exchange.settings]`), see below.",
    "kraken.rest_url": "Kraken REST API base URL (point it at `galfriday simulator kraken` to try things).",
    "kraken.ws_url": "Kraken WebSocket v2 public endpoint (market data).",
    "kraken.ws_auth_url": "Kraken WebSocket v2 private endpoint (executions, balances).",
    "kraken.api_key": "API key. Secret: only from the environment or `api_key_file`; refused in the file.",
    "kraken.api_secret": "API secret. Secret: only from the environment or `api_secret_file`; refused in the file.",
    "kraken.api_key_file": "A file holding the API key (read when `api_key` is not set).",
    "kraken.api_secret_file": "A file holding the API secret (read when `api_secret` is not set).",
    "bus.adapter": "Event bus adapter (`memory`: bounded, ordered, in-process).",
    "bus.maxsize": "Events a subscription may hold before the publisher waits (backpressure, never loss).",
    "bus.settings": "Adapter settings (`[bus.settings]`).",
    "models.runtime": "Model runtime adapter: `memory` or `onnx`.",
    "models.artifact_store": "Artifact store adapter: `memory` or `filesystem`.",
    "models.trainer": "Trainer adapter: `memory` or `sklearn` (needs the `train` extra).",
    "models.settings": "Settings of the three model adapters (`[models.settings]`), see below.",
    "notifier.adapter": "Notifier adapter name.",
    "notifier.settings": "Adapter settings (`[notifier.settings]`), see below.",
    "retention.archive": "Archive adapter that expired rows are written to before deletion (`parquet`).",
    "retention.archive_dir": "Directory of the archive files "
    "(`candles/interval=60/symbol=BTC-USD/date=2026-01-01/part-001.parquet`).",
    "retention.compression": "Parquet compression codec (any codec pyarrow supports).",
    "retention.policies": "`[[retention.policies]]`: `table` (`candles` or `raw_journal`), `keep_days` (whole "
    "UTC days), `interval_seconds` (candles: which interval), `archive` (default true).",
    "retention.settings": "Adapter settings of the archive (`[retention.settings]`).",
    "runtime.http_host": "Address `/health` and `/metrics` are served on.",
    "runtime.http_port": "Port of `/health` and `/metrics`; 0 picks a free one (logged at start).",
    "runtime.shutdown_timeout_seconds": "The whole shutdown (drain, stop components, close adapters) must fit "
    "in it; exit status 1 otherwise.",
    "runtime.intake_queue_size": "Stream events accepted but not yet applied; when full, the stream is not read "
    "(backpressure).",
    "runtime.restart_initial_seconds": "First restart delay of a crashed component; doubles up to "
    "`restart_max_seconds`, reset after a minute of running.",
    "runtime.restart_max_seconds": "Cap of a crashed component's restart delay.",
    "runtime.recovery_poll_seconds": "While the stream is down, the account is polled through REST this often.",
    "runtime.deadman_timeout_seconds": "The exchange's cancel-all-after timer, re-armed while orders are live; "
    "0 disables the dead-man's switch.",
    "runtime.models": "Comma-separated model names the model pipeline watches, retrains, shadows and promotes.",
    "runtime.model_check_seconds": "How often each of `models` takes one pipeline step.",
    "runtime.journal": "Keep every raw exchange frame in the store's journal (for `galfriday replay`).",
    "reconciliation.tolerances": "`[reconciliation.tolerances]`: `default`, assets (`BTC`) and pairs "
    '(`"BTC/USD"`), each `{absolute = "...", relative = "..."}`; an entry replaces the default whole (a bound it '
    "leaves out is 0). See [reconciliation.md](reconciliation.md).",
    "logging.level": "`DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`.",
}
"""Meanings of keys that have no attribute docstring in galfriday/config.py; a docstring there wins."""

ADAPTER_SETTINGS_ROWS: tuple[tuple[str, str, str], ...] = (
    (
        "`[store.settings]`",
        "`sqlite`",
        '`auto_migrate` (true), `venue` (`"default"`), `busy_timeout_ms` (5000)',
    ),
    ("`[store.settings]`", "`postgres`", "`venue` (the exchange adapter's name)"),
    (
        "`[exchange.settings]`",
        "`memory`",
        '`pairs`, `balances`, `maker_fee` (`"0.0016"`), `taker_fee` (`"0.0026"`)',
    ),
    ("`[exchange.settings]`", "`paper` (plugin)", "`pairs`, `balances`, `maker_fee`, `taker_fee`"),
    (
        "`[models.settings]`",
        "`onnx`",
        "`intra_op_threads` (1), `inter_op_threads` (1), `inline_max_rows` (32), `executor_threads` (2)",
    ),
    ("`[models.settings]`", "`filesystem`", '`artifact_dir` (`"artifacts"`)'),
    (
        "`[models.settings]`",
        "`sklearn`",
        '`symbol` (`"BTC/USD"`), `interval_seconds` (3600), `horizon` (1), `max_trials` (8), '
        "`time_budget_seconds` (60)",
    ),
    ("`[notifier.settings]`", "`log`", '`logger` (`"galfriday.alerts"`)'),
    (
        "`[notifier.settings]`",
        "`webhook`",
        "`url_file` (or `GALFRIDAY_WEBHOOK_URL`; never `url`), `timeout_seconds` (10), `attempts` (3), "
        "`backoff_seconds` (0.5); `GALFRIDAY_WEBHOOK_TOKEN` is sent as a bearer token",
    ),
    (
        "`[notifier.settings]`",
        "`slack` (plugin)",
        "`webhook_url_file` (or `GALFRIDAY_SLACK_WEBHOOK_URL`), `attempts` (3), `backoff_seconds` (0.5), "
        "`timeout_seconds` (10)",
    ),
)
"""What the built-in adapters and the example plugins read from their `settings` table (by hand: adapters
read settings at run time, not from attrs classes)."""

ADAPTER_SETTINGS_INTRO = """\
## Adapter settings

Each section's `settings` table goes, as it is, to the adapter that section selects; the adapter checks it
(an unknown or malformed value fails at start-up naming `<section>.settings.<key>`). What the built-in
adapters and the example plugins read (this table is kept by hand; the adapter's plugin module is the
authority):
"""


def _attribute_docstrings() -> dict[str, dict[str, str]]:
    """class name -> attribute -> the docstring written under it in galfriday/config.py."""
    tree = ast.parse(inspect.getsource(config_module))
    found: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        docs: dict[str, str] = {}
        for statement, following in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                docs[statement.target.id] = " ".join(following.value.value.split())
        found[node.name] = docs
    return found


def _first_paragraph(text: str | None) -> str:
    if not text:
        return ""
    return " ".join(inspect.cleandoc(text).split("\n\n")[0].split())


def _type_name(field: attrs.Attribute[Any]) -> str:
    text = str(field.type)
    if "RetentionPolicy" in text:
        return "array of tables"
    if "Secret" in text:
        return "secret string"
    if "Path" in text:
        return "file path"
    if text.startswith("dict"):
        return "table"
    for prefix, name in (("bool", "boolean"), ("int", "integer"), ("float", "number"), ("str", "string")):
        if text.startswith(prefix):
            return name
    return text


def _policy_text(policy: RetentionPolicy) -> str:
    interval = f" ({policy.interval_seconds} s)" if policy.interval_seconds is not None else ""
    archived = "" if policy.archive else ", not archived"
    return f"{policy.table}{interval}: {policy.keep_days} days{archived}"


def _default_text(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, Secret):
        return "(secret)"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, dict):
        return "`{}`" if not value else f"`{value}`"
    if isinstance(value, tuple) and all(isinstance(item, RetentionPolicy) for item in value):
        return "; ".join(_policy_text(item) for item in value) or "none"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    return f"`{value}`"


def _environment_text(section: str, field: attrs.Attribute[Any], by_key: Mapping[str, str]) -> str:
    name = by_key.get(f"[{section}] {field.name}")
    if name is None:
        return "file only"
    return f"`{name}`"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _section_rows(section: str, cls: type[Any], docstrings: Mapping[str, dict[str, str]]) -> Iterator[str]:
    by_key = {key: name for name, key in ENVIRONMENT_VARIABLES.items()}
    defaults = cls()
    yield "| key | type | default | environment | meaning |"
    yield "|---|---|---|---|---|"
    for field in attrs.fields(cls):
        meaning = docstrings.get(cls.__name__, {}).get(field.name) or MEANINGS.get(
            f"{section}.{field.name}", UNDOCUMENTED
        )
        cells = (
            f"`{field.name}`",
            _type_name(field),
            _default_text(getattr(defaults, field.name)),
            _environment_text(section, field, by_key),
            meaning,
        )
        yield "| " + " | ".join(_escape(cell) for cell in cells) + " |"


def reference_markdown() -> str:
    """The whole reference, as committed in docs/configuration.md."""
    docstrings = _attribute_docstrings()
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `python -m galfriday.config_reference --write` from galfriday/config.py; do not edit"
        " by hand. tests/unit/test_config_reference.py fails when this file is stale. -->",
        "",
        "galfriday reads a TOML file (`--config FILE`, or the file named by `GALFRIDAY_CONFIG`), then the"
        " environment. `GALFRIDAY_<SECTION>_<KEY>` sets `[section] key`, and `GALFRIDAY_<SECTION>` alone sets"
        " the section's `adapter`. Tables (`settings`, `policies`, `tolerances`) are set in the file only."
        " Every section has working defaults, so no file is needed to start. `galfriday config` prints the"
        " effective configuration (secrets redacted), `galfriday config --env` every variable, `galfriday config"
        " --reference` this page. Two more variables"
        " are read outside the sections: `GALFRIDAY_CONFIG` (the file) and `GALFRIDAY_DISABLE_PLUGINS`"
        " (comma-separated entry-point names of plugins not to load).",
        "",
        "Secrets (`store.dsn`, Kraken credentials) are redacted in every repr, log line and error message. API"
        " credentials come only from the environment or a file (`api_key_file`); a credential written into the"
        " TOML is refused. Invalid configuration fails with one message naming the key, the bad value and the"
        " expected form; an adapter name no plugin registers fails at start-up with the installed names.",
        "",
    ]
    for field in attrs.fields(Config):
        section = field.name
        cls = type(getattr(Config(), section))
        lines.append(f"## `[{section}]`")
        lines.append("")
        intro = _first_paragraph(cls.__doc__) or SECTION_INTROS.get(section, "")
        if intro:
            lines.extend([intro, ""])
        lines.extend(_section_rows(section, cls, docstrings))
        lines.append("")
    lines.extend([ADAPTER_SETTINGS_INTRO, "| table | adapter | keys (default) |", "|---|---|---|"])
    lines.extend(f"| {table} | {adapter} | {keys} |" for table, adapter, keys in ADAPTER_SETTINGS_ROWS)
    lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    text = reference_markdown()
    if args == ["--write"]:
        DOCS_PATH.write_text(text, encoding="utf-8")
        return 0
    if args == ["--check"]:
        if DOCS_PATH.read_text(encoding="utf-8") != text:
            print(f"{DOCS_PATH} is stale: run python -m galfriday.config_reference --write", file=sys.stderr)
            return 1
        return 0
    if args:
        print("usage: python -m galfriday.config_reference [--write | --check]", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
