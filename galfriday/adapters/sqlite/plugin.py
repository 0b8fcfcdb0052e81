"""Registers the SQLite store as `sqlite`. Loaded through galfriday's own `galfriday` entry point."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from galfriday.adapters.sqlite.store import DEFAULT_BUSY_TIMEOUT_MS, SqliteStore
from galfriday.errors import ConfigurationError
from galfriday.hookspecs import AdapterContext, RegisterAdapter, hookimpl

DEFAULT_PATH = "galfriday.db"
"""The database file when `store.dsn` is not set (relative to the working directory)."""


def _setting(settings: Mapping[str, Any], key: str, kind: type, default: Any, expected: str) -> Any:
    value = settings.get(key, default)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigurationError(f"store.settings.{key}", value, expected)
    return value


def make_sqlite_store(ctx: AdapterContext) -> SqliteStore:
    """A store on `store.dsn` (a file path), with `[store.settings]` auto_migrate, venue, busy_timeout_ms."""
    dsn = ctx.config.store.dsn
    return SqliteStore(
        DEFAULT_PATH if dsn is None else dsn.reveal(),
        slow_query_ms=ctx.config.store.slow_query_ms,
        auto_migrate=_setting(ctx.settings, "auto_migrate", bool, True, "true or false"),
        venue=_setting(ctx.settings, "venue", str, "default", "the exchange name executions belong to"),
        busy_timeout_ms=_setting(
            ctx.settings, "busy_timeout_ms", int, DEFAULT_BUSY_TIMEOUT_MS, "whole milliseconds, such as 5000"
        ),
    )


@hookimpl
def galfriday_register_stores(register: RegisterAdapter) -> None:
    register("sqlite", make_sqlite_store)
