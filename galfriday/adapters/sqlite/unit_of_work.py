"""The SQLite unit of work: one `BEGIN IMMEDIATE ... COMMIT` on the store's connection, across every repository.

`BEGIN IMMEDIATE` takes SQLite's write lock at the start, so a unit of work never fails half-way for want of
it (another process's writer makes it wait up to the busy timeout instead). Units of work of one store are
serialised by the store's lock, so what one writes is invisible to the others until it commits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Self

import aiosqlite

from galfriday.adapters.sql.monitoring import QueryMonitor
from galfriday.adapters.sqlite.audit_repositories import (
    SqliteExperiments,
    SqlitePredictions,
    SqliteReconciliations,
)
from galfriday.adapters.sqlite.repositories import (
    SqliteBalances,
    SqliteCandles,
    SqliteExecutions,
    SqliteJournal,
    SqliteModels,
    SqliteOrders,
    SqlitePositions,
    SqliteRetentionRuns,
)
from galfriday.errors import StoreError, UnitOfWorkError
from galfriday.ports.stores import (
    BalanceStore,
    CandleStore,
    ExecutionStore,
    ExperimentStore,
    JournalStore,
    ModelStore,
    OrderStore,
    PositionStore,
    PredictionStore,
    ReconciliationStore,
    RetentionRunStore,
    UnitOfWork,
)

if TYPE_CHECKING:
    from galfriday.adapters.sqlite.store import SqliteStore


class Session:
    """What the repositories of one unit of work share: the connection while the unit is open, the monitor."""

    def __init__(self, monitor: QueryMonitor, venue: str) -> None:
        self.monitor = monitor
        self.venue = venue
        self._connection: aiosqlite.Connection | None = None

    @property
    def active(self) -> bool:
        return self._connection is not None

    def open(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    def end(self) -> None:
        self._connection = None

    def connection(self) -> aiosqlite.Connection:
        """The connection; `UnitOfWorkError` before the unit is entered or after it ended."""
        if self._connection is None:
            raise UnitOfWorkError(
                "repository used outside its unit of work: use it inside `async with store.unit_of_work()` "
                "and before commit or rollback"
            )
        return self._connection

    @contextmanager
    def call(self, statement: str) -> Iterator[aiosqlite.Connection]:
        """Time one repository call under `statement`; SQLite errors surface as `StoreError`."""
        connection = self.connection()
        with self.monitor.timed(statement):
            try:
                yield connection
            except sqlite3.Error as exc:
                raise StoreError(f"{statement} failed in SQLite: {exc}") from exc


class SqliteUnitOfWork:
    """One transaction over every repository of a `SqliteStore`; entered once, ended by commit or rollback."""

    orders: OrderStore
    executions: ExecutionStore
    balances: BalanceStore
    positions: PositionStore
    candles: CandleStore
    models: ModelStore
    journal: JournalStore
    retention_runs: RetentionRunStore
    reconciliations: ReconciliationStore
    experiments: ExperimentStore
    predictions: PredictionStore

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self._session = Session(store.monitor, store.venue)
        self._entered = False
        self.orders = SqliteOrders(self._session)
        self.executions = SqliteExecutions(self._session)
        self.balances = SqliteBalances(self._session)
        self.positions = SqlitePositions(self._session)
        self.candles = SqliteCandles(self._session)
        self.models = SqliteModels(self._session)
        self.journal = SqliteJournal(self._session)
        self.retention_runs = SqliteRetentionRuns(self._session)
        self.reconciliations = SqliteReconciliations(self._session)
        self.experiments = SqliteExperiments(self._session)
        self.predictions = SqlitePredictions(self._session)

    async def __aenter__(self) -> Self:
        if self._entered:
            raise UnitOfWorkError("a unit of work is entered once; ask the store for a new one")
        self._entered = True
        connection = await self._store._acquire()
        try:
            with self._store.monitor.timed("unit_of_work.begin"):
                await connection.execute_fetchall("BEGIN IMMEDIATE")
        except BaseException as exc:
            # Cancelled while waiting, BEGIN still runs on the worker thread: the next unit rolls it back.
            self._store._release(unfinished=True)
            if isinstance(exc, sqlite3.OperationalError):
                raise StoreError(
                    f"could not start a transaction on {self._store.path} ({exc}); another process may be "
                    "holding the write lock longer than the busy timeout"
                ) from exc
            raise
        self._session.open(connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()

    async def commit(self) -> None:
        """Make every write of this unit durable and visible to later ones, at once, and end the unit."""
        await self._finish("commit", "COMMIT")

    async def rollback(self) -> None:
        """Undo every write of this unit and end it; does nothing once the unit has ended."""
        if self._session.active:
            await self._finish("rollback", "ROLLBACK")

    async def _finish(self, action: str, statement: str) -> None:
        """End the transaction with `statement` and let the next unit of work in, whatever happens."""
        if not self._session.active:
            raise UnitOfWorkError(f"{action} outside a unit of work, or after it ended; open a new one")
        connection = self._session.connection()
        self._session.end()
        try:
            with self._store.monitor.timed(f"unit_of_work.{action}"):
                await connection.execute_fetchall(statement)
        except BaseException as exc:
            # Failed or cancelled half-way: the next unit of work rolls back whatever is left open.
            self._store._release(unfinished=True)
            if isinstance(exc, sqlite3.Error):
                raise StoreError(
                    f"{action} failed in SQLite; the unit of work is rolled back: {exc}"
                ) from exc
            raise
        self._store._release()


if TYPE_CHECKING:

    def _implements_the_port(uow: SqliteUnitOfWork) -> UnitOfWork:
        return uow
