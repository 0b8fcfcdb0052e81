"""The Postgres `Store`: one asyncpg pool per application, units of work over it, every call timed.

The schema comes only from the migrations (`galfriday db migrate`); `start` checks that it is there and says
so if not. Executions are kept per venue (the schema's unique key is (venue, exec_id)); a store reads and
writes the executions of the one venue it was built for.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import asyncpg

from galfriday.adapters.postgres.codecs import register_codecs
from galfriday.adapters.postgres.unit_of_work import PostgresUnitOfWork
from galfriday.adapters.sql.monitoring import QueryMonitor
from galfriday.errors import StoreError, UnitOfWorkError

if TYPE_CHECKING:
    from galfriday.ports.stores import Store

DEFAULT_VENUE = "default"

_SCHEMA_CHECK = """
SELECT to_regclass('orders') IS NOT NULL
   AND to_regclass('candles') IS NOT NULL
   AND to_regprocedure('galfriday_ensure_candle_partitions(timestamptz, timestamptz)') IS NOT NULL
   AND to_regclass('predictions') IS NOT NULL
   AND to_regclass('model_stage_history') IS NOT NULL
"""
"""One object of each migration (0001, 0002, 0003): a database missing any of them is refused at start."""


class PostgresStore:
    """A store on PostgreSQL through an asyncpg pool; `start` opens the pool, `close` drains and closes it."""

    def __init__(
        self,
        dsn: str,
        *,
        pool_min_size: int = 1,
        pool_max_size: int = 10,
        command_timeout: float = 30.0,
        application_name: str = "galfriday",
        slow_query_ms: float = 200.0,
        venue: str = DEFAULT_VENUE,
        logger: logging.Logger | None = None,
    ) -> None:
        self._dsn = dsn
        self._pool_min_size = pool_min_size
        self._pool_max_size = pool_max_size
        self._command_timeout = command_timeout
        self._application_name = application_name
        self.venue = venue
        self.monitor = QueryMonitor(slow_query_ms, logger)
        """Per-statement counts and latency histograms of every repository call, for the metrics endpoint."""
        self.known_candle_months: set[tuple[int, int]] = set()
        """(year, month) of the candle partitions known to exist, so upserts skip asking again."""
        self._pool: Any = None
        self._units: dict[PostgresUnitOfWork, asyncio.Task[Any] | None] = {}

    def __repr__(self) -> str:
        return f"PostgresStore({self.where()!r}, venue={self.venue!r})"

    def where(self) -> str:
        """Host, port and database of the DSN, without user or password: safe to log."""
        parts = urlsplit(self._dsn)
        return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or ''}"

    async def start(self) -> None:
        """Open the pool and check the schema is migrated; a started store starts once."""
        if self._pool is not None:
            return
        try:
            pool = await asyncpg.create_pool(
                self._dsn,
                min_size=self._pool_min_size,
                max_size=self._pool_max_size,
                command_timeout=self._command_timeout,
                server_settings={"application_name": self._application_name},
                init=register_codecs,
                reset=_keep_session,
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            raise StoreError(
                f"cannot connect to Postgres at {self.where()}: {type(exc).__name__}: {exc}"
            ) from None
        try:
            migrated = await pool.fetchval(_SCHEMA_CHECK)
        except BaseException:
            await pool.close()
            raise
        if not migrated:
            await pool.close()
            raise StoreError(
                f"the Postgres database at {self.where()} lacks the galfriday schema or its latest migrations; "
                "run `galfriday db migrate`"
            )
        self._pool = pool

    async def close(self) -> None:
        """Refuse new units of work, wait for those in progress to end, then close every connection."""
        if self._pool is None:
            return
        current = asyncio.current_task()
        if current is not None and current in self._units.values():
            raise UnitOfWorkError("close() called inside a unit of work on this store; close after the block")
        pool, self._pool = self._pool, None
        await pool.close()

    def unit_of_work(self) -> PostgresUnitOfWork:
        self.pool()
        return PostgresUnitOfWork(self)

    # --- for the units of work ----------------------------------------------------------------------------

    def pool(self) -> Any:
        if self._pool is None:
            raise UnitOfWorkError("the Postgres store is not started, or closed; call start() first")
        return self._pool

    def unit_started(self, unit: PostgresUnitOfWork, task: asyncio.Task[Any] | None) -> None:
        self._units[unit] = task

    def unit_ended(self, unit: PostgresUnitOfWork) -> None:
        self._units.pop(unit, None)

    def units_committed(self, months: set[tuple[int, int]]) -> None:
        self.known_candle_months |= months


async def _keep_session(connection: Any) -> None:
    """Pool reset hook: nothing to undo. Units of work always end their transaction, and use no session state
    (no LISTEN, cursors, SET or session locks), so the default reset would only add a round trip per unit."""


if TYPE_CHECKING:

    def _implements_the_port(store: PostgresStore) -> Store:
        return store
