"""The Postgres unit of work: one pooled connection, one transaction, every repository.

A unit of work takes a connection from the pool when its `async with` block is entered and starts a
transaction; `commit` or `rollback` (or leaving the block, which rolls back) ends the transaction and returns
the connection. Repositories reach the connection only through the unit's `Session`, which refuses use before
the block, after the end, and after a statement failed (Postgres has then aborted the transaction: the unit
can only roll back, and `commit` says so instead of silently committing nothing).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterable, Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from galfriday.adapters.postgres.audit_repositories import (
    PostgresExperiments,
    PostgresPredictions,
    PostgresReconciliations,
)
from galfriday.adapters.postgres.codecs import bind
from galfriday.adapters.postgres.repositories import (
    PostgresBalances,
    PostgresCandles,
    PostgresExecutions,
    PostgresJournal,
    PostgresModels,
    PostgresOrders,
    PostgresPositions,
    PostgresRetentionRuns,
)
from galfriday.adapters.sql.monitoring import QueryMonitor
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
    from galfriday.adapters.postgres.store import PostgresStore


class _State(enum.Enum):
    NEW = "new"
    ACTIVE = "active"
    ENDED = "ended"


class Session:
    """The connection of one unit of work while its transaction is open; every statement goes through here."""

    def __init__(self, monitor: QueryMonitor, venue: str, known_months: set[tuple[int, int]]) -> None:
        self.monitor = monitor
        self.venue = venue
        self.known_months = known_months
        """Candle partition months known to exist (shared by the store's units of work)."""
        self.ensured_months: set[tuple[int, int]] = set()
        """Months this unit made sure of; they become known to the store only if it commits."""
        self.failed = False
        self._state = _State.NEW
        self._connection: Any = None

    def open(self, connection: Any) -> None:
        self._connection = connection
        self._state = _State.ACTIVE

    def end(self) -> Any:
        """Mark the unit ended and hand back its connection (for the pool)."""
        connection, self._connection = self._connection, None
        self._state = _State.ENDED
        return connection

    @property
    def active(self) -> bool:
        return self._state is _State.ACTIVE

    def connection(self) -> Any:
        """The open connection; `UnitOfWorkError` before the block, after the end, or after a failure."""
        if self._state is not _State.ACTIVE:
            raise UnitOfWorkError(
                "repository used outside its unit of work: use it inside `async with store.unit_of_work()` "
                "and before commit or rollback"
            )
        if self.failed:
            raise UnitOfWorkError(
                "an earlier statement of this unit of work failed and Postgres aborted its transaction; "
                "leave the block (it rolls back) and retry in a new unit of work"
            )
        return self._connection

    async def execute(self, statement: str, sql: str, *args: Any) -> str:
        return str(await self.connection().execute(sql, *bind(statement, args)))

    async def fetch(self, statement: str, sql: str, *args: Any) -> list[Any]:
        return list(await self.connection().fetch(sql, *bind(statement, args)))

    async def fetchrow(self, statement: str, sql: str, *args: Any) -> Any:
        return await self.connection().fetchrow(sql, *bind(statement, args))

    async def fetchval(self, statement: str, sql: str, *args: Any) -> Any:
        return await self.connection().fetchval(sql, *bind(statement, args))

    def savepoint(self) -> Any:
        """`async with session.savepoint():` a nested transaction, undone on its own if the block raises."""
        return self.connection().transaction()

    async def copy_records(
        self, table: str, columns: Sequence[str], records: Iterable[Sequence[Any]]
    ) -> None:
        """Binary COPY into `table` (a constant name). Rows are built from domain values, already exact."""
        await self.connection().copy_records_to_table(table, records=records, columns=list(columns))

    async def copy_text(self, table: str, columns: Sequence[str], chunks: AsyncIterable[bytes]) -> None:
        """Text-format COPY into `table` (a constant name) from chunks of tab-separated lines.

        Faster than binary COPY for Decimal-heavy rows: Python formats `str(Decimal)` far more cheaply than it
        encodes a binary numeric. Callers must only send values that need no COPY escaping.
        """
        await self.connection().copy_to_table(table, source=chunks, columns=list(columns), format="text")


class PostgresUnitOfWork:
    """One transaction over every repository of a `PostgresStore`; entered once, ended by commit or rollback."""

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

    def __init__(self, store: PostgresStore) -> None:
        self._store = store
        self._session = Session(store.monitor, store.venue, store.known_candle_months)
        self._entered = False
        self._transaction: Any = None
        self._pool: Any = None
        self.orders = PostgresOrders(self._session)
        self.executions = PostgresExecutions(self._session)
        self.balances = PostgresBalances(self._session)
        self.positions = PostgresPositions(self._session)
        self.candles = PostgresCandles(self._session)
        self.models = PostgresModels(self._session)
        self.journal = PostgresJournal(self._session)
        self.retention_runs = PostgresRetentionRuns(self._session)
        self.reconciliations = PostgresReconciliations(self._session)
        self.experiments = PostgresExperiments(self._session)
        self.predictions = PostgresPredictions(self._session)

    async def __aenter__(self) -> Self:
        if self._entered:
            raise UnitOfWorkError("a unit of work is entered once; ask the store for a new one")
        self._entered = True
        self._pool = pool = self._store.pool()
        connection = await pool.acquire()
        try:
            self._transaction = connection.transaction()
            await self._transaction.start()
        except BaseException:
            await pool.release(connection)
            raise
        self._session.open(connection)
        self._store.unit_started(self, asyncio.current_task())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()

    async def commit(self) -> None:
        """Commit every write of this unit at once and end the unit."""
        if not self._session.active:
            raise UnitOfWorkError("commit outside a unit of work, or after it ended; open a new one")
        if self._session.failed:
            await self.rollback()
            raise UnitOfWorkError(
                "cannot commit: a statement of this unit of work failed, so Postgres aborted the transaction; "
                "it has been rolled back and nothing was written"
            )
        try:
            await self._transaction.commit()
        except Exception as exc:
            await self._end(clean=False)
            raise StoreError(
                f"commit failed ({type(exc).__name__}: {exc}); if the connection was lost, the outcome is unknown"
            ) from exc
        self._store.units_committed(self._session.ensured_months)
        await self._end(clean=True)

    async def rollback(self) -> None:
        """Undo every write of this unit and end it; does nothing once the unit has ended."""
        if not self._session.active:
            return
        try:
            await self._transaction.rollback()
        except Exception:
            # The connection is broken or busy; closing it makes the server abort the transaction all the same.
            await self._end(clean=False)
            return
        except BaseException:
            await self._end(clean=False)
            raise
        await self._end(clean=True)

    async def _end(self, *, clean: bool) -> None:
        connection = self._session.end()
        self._store.unit_ended(self)
        if not clean:
            connection.terminate()
        await self._pool.release(connection)


if TYPE_CHECKING:

    def _implements_the_port(uow: PostgresUnitOfWork) -> UnitOfWork:
        return uow
