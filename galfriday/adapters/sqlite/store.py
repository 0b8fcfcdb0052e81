"""The SQLite `Store`: the embedded default, one database file, nothing to run beside the application.

One connection (on aiosqlite's worker thread) in WAL mode with `synchronous=FULL`, so a unit of work whose
`commit` has returned survives the process being killed, and with foreign keys on. `start` applies pending
migrations first (unless `auto_migrate=False`), so a new file needs no command before use. Units of work are
serialised by an `asyncio.Lock` and each is one `BEGIN IMMEDIATE` transaction; `busy_timeout` makes one wait
for another process's writer (a second app, `galfriday db ...`) instead of failing at once.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

import aiosqlite

from galfriday.adapters.sql import migrations
from galfriday.adapters.sql.monitoring import QueryMonitor
from galfriday.adapters.sqlite.unit_of_work import SqliteUnitOfWork
from galfriday.errors import ConfigurationError, StoreError, UnitOfWorkError

if TYPE_CHECKING:
    from galfriday.ports.stores import Store

BACKEND = "sqlite"
DEFAULT_BUSY_TIMEOUT_MS = 5000


def database_path(path: str | Path) -> Path:
    """The database file for a DSN: a path, optionally written as a `sqlite:///` URL."""
    text = str(path)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") :]
    if not text or text == ":memory:" or text.startswith("file:"):
        raise ConfigurationError(
            "store.dsn",
            text,
            "a database file path such as 'galfriday.db' (use the memory store for no file)",
        )
    return Path(text).expanduser()


class SqliteStore:
    """A store in one SQLite file. `start` opens (and migrates) it; `close` waits for the unit in progress.

    `monitor` holds per-statement latency statistics for the metrics endpoint; calls slower than
    `slow_query_ms` are logged. `venue` scopes executions, whose exec ids are unique per exchange.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        slow_query_ms: float = 200.0,
        auto_migrate: bool = True,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        venue: str = "default",
        logger: logging.Logger | None = None,
    ) -> None:
        self.path = database_path(path)
        self.monitor = QueryMonitor(slow_query_ms, logger)
        self.venue = venue
        self._auto_migrate = auto_migrate
        self._busy_timeout_ms = busy_timeout_ms
        self._connection: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[object] | None = None
        self._closing = False
        self._unfinished = False
        """A cancelled or failed BEGIN/COMMIT may have left a transaction open; the next unit rolls it back."""

    def unit_of_work(self) -> SqliteUnitOfWork:
        self._refuse_unless_open()
        return SqliteUnitOfWork(self)

    async def start(self) -> None:
        """Create the file if needed, apply pending migrations, open and configure the connection."""
        if self._connection is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._auto_migrate:
            await asyncio.to_thread(migrations.migrate, BACKEND, str(self.path))
        else:
            await asyncio.to_thread(self._require_schema)
        connection = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            await self._configure(connection)
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        self._closing = False
        self._unfinished = False

    async def close(self) -> None:
        """Refuse new units of work, wait for the one in progress (if any) to end, then close the file."""
        if self._holder is not None and self._holder is asyncio.current_task():
            raise UnitOfWorkError("close() called inside a unit of work on this store; close after the block")
        self._closing = True
        async with self._lock:
            connection, self._connection = self._connection, None
            if connection is not None:
                await connection.close()

    async def pragmas(self) -> dict[str, object]:
        """The connection's durability settings as SQLite reports them, for diagnostics and tests."""
        connection = self._open_connection()
        settings: dict[str, object] = {}
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout"):
            rows = list(await connection.execute_fetchall(f"PRAGMA {name}"))
            settings[name] = rows[0][0]
        return settings

    async def _configure(self, connection: aiosqlite.Connection) -> None:
        rows = list(await connection.execute_fetchall("PRAGMA journal_mode = WAL"))
        if not rows or str(rows[0][0]).lower() != "wal":
            raise StoreError(f"{self.path}: SQLite refused WAL mode (journal mode is {rows!r})")
        await connection.execute_fetchall("PRAGMA synchronous = FULL")
        await connection.execute_fetchall("PRAGMA foreign_keys = ON")
        await connection.execute_fetchall(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")

    def _require_schema(self) -> None:
        pending = [state.id for state in migrations.status(BACKEND, str(self.path)) if not state.applied]
        if pending:
            raise StoreError(
                f"{self.path} lacks migrations {', '.join(pending)}: run `galfriday db migrate` "
                "(or build the store with auto_migrate=True)"
            )

    async def _acquire(self) -> aiosqlite.Connection:
        """Take the store for one unit of work: wait for the previous one, return the connection."""
        self._refuse_unless_open()
        await self._lock.acquire()
        if self._connection is None or self._closing:
            self._lock.release()
            self._refuse_unless_open()
        self._holder = asyncio.current_task()
        connection = self._open_connection()
        if self._unfinished:
            try:
                with suppress(sqlite3.Error):  # "no transaction is active": nothing was left behind
                    await connection.execute_fetchall("ROLLBACK")
            except BaseException:
                self._release(unfinished=True)
                raise
            self._unfinished = False
        return connection

    def _release(self, *, unfinished: bool = False) -> None:
        """Let the next unit of work in; `unfinished` if this one's BEGIN or COMMIT may not have completed."""
        self._unfinished = self._unfinished or unfinished
        self._holder = None
        self._lock.release()

    def _open_connection(self) -> aiosqlite.Connection:
        self._refuse_unless_open()
        assert self._connection is not None
        return self._connection

    def _refuse_unless_open(self) -> None:
        if self._connection is None or self._closing:
            raise UnitOfWorkError(f"the SQLite store {self.path} is not open; call start() first")


if TYPE_CHECKING:

    def _implements_the_port(store: SqliteStore) -> Store:
        return store
