"""The in-memory `Store`: every repository port in plain dicts, with real transactions.

Units of work are serialised by one `asyncio.Lock`, taken on entering `async with` and released when the unit
ends (commit, rollback, or leaving the block), so concurrent tasks see serializable behaviour. Nothing written
is visible to another unit of work before commit, and leaving without commit undoes every write. Used by tests
and by applications that embed galfriday without a database.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import TYPE_CHECKING, Self

from galfriday.adapters.memory.repositories import (
    MemoryBalances,
    MemoryCandles,
    MemoryExecutions,
    MemoryExperiments,
    MemoryJournal,
    MemoryModels,
    MemoryOrders,
    MemoryPositions,
    MemoryPredictions,
    MemoryReconciliations,
    MemoryRetentionRuns,
    Tables,
    Transaction,
)
from galfriday.errors import UnitOfWorkError
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
    Store,
    UnitOfWork,
)


class MemoryStore:
    """A store that lives as long as the process. Usable as soon as it is built; `close` ends it.

    `start` is optional (there is nothing to acquire) and re-opens a closed store with its data intact,
    which lets a test close and restart a store as if the process had restarted against the same database.
    """

    def __init__(self) -> None:
        self._tables = Tables()
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[object] | None = None
        self._closed = False

    def unit_of_work(self) -> MemoryUnitOfWork:
        self._refuse_if_closed()
        return MemoryUnitOfWork(self)

    async def start(self) -> None:
        self._closed = False

    async def close(self) -> None:
        """Refuse new units of work, then wait for the one in progress (if any) to end."""
        if self._holder is not None and self._holder is asyncio.current_task():
            raise UnitOfWorkError("close() called inside a unit of work on this store; close after the block")
        self._closed = True
        async with self._lock:
            pass

    async def _acquire(self) -> None:
        self._refuse_if_closed()
        await self._lock.acquire()
        if self._closed:
            self._lock.release()
            self._refuse_if_closed()
        self._holder = asyncio.current_task()

    def _release(self) -> None:
        self._holder = None
        self._lock.release()

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise UnitOfWorkError("the memory store is closed; call start() to use it again")


class MemoryUnitOfWork:
    """One transaction over every repository of a `MemoryStore`; entered once, ended by commit or rollback."""

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

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._tx = Transaction(store._tables)
        self._entered = False
        self.orders = MemoryOrders(self._tx)
        self.executions = MemoryExecutions(self._tx)
        self.balances = MemoryBalances(self._tx)
        self.positions = MemoryPositions(self._tx)
        self.candles = MemoryCandles(self._tx)
        self.models = MemoryModels(self._tx)
        self.journal = MemoryJournal(self._tx)
        self.retention_runs = MemoryRetentionRuns(self._tx)
        self.reconciliations = MemoryReconciliations(self._tx)
        self.experiments = MemoryExperiments(self._tx)
        self.predictions = MemoryPredictions(self._tx)

    async def __aenter__(self) -> Self:
        if self._entered:
            raise UnitOfWorkError("a unit of work is entered once; ask the store for a new one")
        self._entered = True
        await self._store._acquire()
        self._tx.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()

    async def commit(self) -> None:
        """Make every write of this unit visible to later ones, at once, and end the unit."""
        if not self._tx.active:
            raise UnitOfWorkError("commit outside a unit of work, or after it ended; open a new one")
        self._tx.commit()
        self._store._release()

    async def rollback(self) -> None:
        """Undo every write of this unit and end it; does nothing once the unit has ended."""
        if self._tx.active:
            self._tx.rollback()
            self._store._release()


if TYPE_CHECKING:

    def _implements_the_ports(store: MemoryStore, uow: MemoryUnitOfWork) -> tuple[Store, UnitOfWork]:
        return store, uow
