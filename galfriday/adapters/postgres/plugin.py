"""Registers the Postgres store as `postgres` (`GALFRIDAY_STORE=postgres`, `GALFRIDAY_STORE_DSN=postgresql://...`)."""

from __future__ import annotations

from galfriday.adapters.postgres.store import PostgresStore
from galfriday.errors import ConfigurationError
from galfriday.hookspecs import AdapterContext, RegisterAdapter, hookimpl


def make_postgres_store(ctx: AdapterContext) -> PostgresStore:
    """A store from `[store]`: dsn, pool_min_size, pool_max_size, command_timeout, application_name, slow_query_ms.

    Executions are kept under the venue `[store.settings] venue`, by default the configured exchange adapter.
    """
    config = ctx.config.store
    if config.dsn is None or not config.dsn.reveal():
        raise ConfigurationError("store.dsn", None, "a postgresql:// URL; set GALFRIDAY_STORE_DSN")
    if not config.dsn.reveal().startswith(("postgresql://", "postgres://")):
        raise ConfigurationError("store.dsn", config.dsn, "a URL starting with postgresql://", secret=True)
    if not 0 <= config.pool_min_size <= config.pool_max_size or config.pool_max_size < 1:
        raise ConfigurationError(
            "store.pool_min_size/pool_max_size",
            (config.pool_min_size, config.pool_max_size),
            "0 <= pool_min_size <= pool_max_size, and pool_max_size at least 1",
        )
    if config.command_timeout <= 0:
        raise ConfigurationError("store.command_timeout", config.command_timeout, "seconds, more than 0")
    venue = ctx.settings.get("venue", ctx.config.exchange.adapter)
    if not isinstance(venue, str) or not venue:
        raise ConfigurationError("store.settings.venue", venue, "a non-empty venue name, such as kraken")
    return PostgresStore(
        config.dsn.reveal(),
        pool_min_size=config.pool_min_size,
        pool_max_size=config.pool_max_size,
        command_timeout=config.command_timeout,
        application_name=config.application_name,
        slow_query_ms=config.slow_query_ms,
        venue=venue,
    )


@hookimpl
def galfriday_register_stores(register: RegisterAdapter) -> None:
    register("postgres", make_postgres_store)
