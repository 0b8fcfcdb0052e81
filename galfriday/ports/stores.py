"""Store ports: one repository per aggregate, all reached through a unit of work (one transaction).

Rules every adapter enforces (the contract suite in `galfriday.testing` checks them):
- orders are unique by client order id; executions by exec id (adding the same execution twice is a no-op,
  adding a different one under a used exec id is a `DuplicateKeyError`);
- candles are unique by (symbol, interval, open time) and re-ingesting a range replaces it;
- model versions are numbered 1, 2, ... per name by the store;
- retention runs are unique by id (recording the same run twice is a no-op, a different one is refused);
- reconciliation runs are append-only (a second run under a used id is a `DuplicateKeyError`); adjustments,
  experiment outcomes and predictions are unique by id and a repeat is ignored;
- nothing written in a unit of work is visible to others until `commit`, and all of it is discarded otherwise.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from galfriday.domain.balances import Balance
from galfriday.domain.executions import Execution
from galfriday.domain.experiments import Experiment, ExperimentOutcome, ExperimentStatus, PredictionRecord
from galfriday.domain.journal import JournalEntry
from galfriday.domain.market_data import Candle
from galfriday.domain.models import FeatureSpec, ModelAliasChange, ModelStage, ModelStageChange, ModelVersion
from galfriday.domain.orders import Order
from galfriday.domain.positions import Position
from galfriday.domain.reconciliation_audit import PositionAdjustment, ReconciliationRun
from galfriday.domain.retention import CandleDay, RetentionRun


class OrderStore(Protocol):
    async def add(self, order: Order) -> None:
        """Insert a new order; `DuplicateKeyError` if its client order id is taken."""
        ...

    async def save(self, order: Order) -> None:
        """Insert or replace an order by client order id."""
        ...

    async def get(self, client_order_id: str) -> Order | None: ...

    async def get_by_exchange_id(self, exchange_order_id: str) -> Order | None: ...

    async def list_open(self, symbol: str | None = None) -> list[Order]:
        """Orders whose status is not terminal, oldest first."""
        ...

    async def list_updated_since(self, since: datetime) -> list[Order]:
        """Orders updated at or after `since`, oldest update first."""
        ...


class ExecutionStore(Protocol):
    async def add(self, execution: Execution) -> bool:
        """Insert; True if new, False if the identical execution was already stored."""
        ...

    async def add_many(self, executions: Iterable[Execution]) -> int:
        """Insert a batch with `add`'s rules; return how many were new."""
        ...

    async def get(self, exec_id: str) -> Execution | None: ...

    async def for_order(self, order_id: str) -> list[Execution]:
        """Executions of one exchange order id, oldest first."""
        ...

    async def since(self, since: datetime) -> list[Execution]:
        """Executions at or after `since`, oldest first (ties by exec id)."""
        ...

    async def latest(self) -> Execution | None:
        """The most recent execution by timestamp: where a REST backfill resumes."""
        ...


class BalanceStore(Protocol):
    async def save(self, balance: Balance) -> None: ...

    async def get(self, asset: str) -> Balance | None: ...

    async def all(self) -> list[Balance]:
        """Every balance, by asset code."""
        ...


class PositionStore(Protocol):
    async def save(self, position: Position) -> None: ...

    async def get(self, symbol: str) -> Position | None: ...

    async def all(self) -> list[Position]:
        """Every position, by symbol."""
        ...


class CandleStore(Protocol):
    async def upsert_many(self, candles: Iterable[Candle]) -> int:
        """Insert or replace by (symbol, interval, open time); return how many rows were written."""
        ...

    async def range(self, symbol: str, interval_seconds: int, start: datetime, end: datetime) -> list[Candle]:
        """Candles with `start <= open_time < end`, oldest first."""
        ...

    async def latest(self, symbol: str, interval_seconds: int) -> Candle | None: ...

    async def day_counts(self, interval_seconds: int, before: datetime) -> list[CandleDay]:
        """Per symbol and UTC day, how many candles of this interval open before `before`; by symbol, day."""
        ...

    async def delete_range(self, symbol: str, interval_seconds: int, start: datetime, end: datetime) -> int:
        """Delete candles with `start <= open_time < end`; return how many."""
        ...

    async def drop_expired_partitions(self, before: datetime) -> list[str]:
        """Reclaim storage wholly older than `before` once its rows are archived and deleted.

        Postgres detaches and drops the candle partitions whose range ends at or before `before`; stores
        without partitions return an empty list.
        """
        ...


class ModelStore(Protocol):
    async def register(
        self,
        *,
        name: str,
        artifact_uri: str,
        artifact_sha256: str,
        created_at: datetime,
        features: Sequence[FeatureSpec] = (),
        parent_version: int | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> ModelVersion:
        """Register the next version of `name` (1 for the first); numbering is safe under concurrency."""
        ...

    async def get(self, name: str, version: int) -> ModelVersion | None: ...

    async def versions(self, name: str) -> list[ModelVersion]:
        """Every version of `name`, in version order."""
        ...

    async def set_stage(
        self,
        name: str,
        version: int,
        stage: ModelStage,
        *,
        actor: str = "system",
        reason: str = "",
        at: datetime | None = None,
    ) -> ModelVersion:
        """Move a version to a stage and append a `ModelStageChange` to its history (`at` defaults to now).

        `NotFoundError` for an unknown version. Setting the stage it already has is recorded too.
        """
        ...

    async def stage_history(self, name: str) -> list[ModelStageChange]:
        """Every stage move of every version of `name`, oldest first (ties in recording order)."""
        ...

    async def set_alias(
        self, name: str, alias: str, version: int | None, *, at: datetime, actor: str, reason: str
    ) -> ModelAliasChange:
        """Point `alias` at `version` (None removes it) and append the change to the alias history."""
        ...

    async def alias(self, name: str, alias: str) -> int | None:
        """The version `alias` points at now."""
        ...

    async def alias_history(self, name: str, alias: str | None = None) -> list[ModelAliasChange]:
        """The append-only history of alias moves, oldest first."""
        ...


class JournalStore(Protocol):
    async def append(self, entry: JournalEntry) -> JournalEntry:
        """Append; the returned entry carries its store-assigned, strictly increasing sequence."""
        ...

    async def append_many(self, entries: Iterable[JournalEntry]) -> int: ...

    async def read(self, after_sequence: int = 0, limit: int = 1000) -> list[JournalEntry]:
        """Entries with sequence greater than `after_sequence`, in sequence order."""
        ...

    async def delete_before(self, before: datetime) -> int:
        """Delete entries received before `before`; return how many."""
        ...


class RetentionRunStore(Protocol):
    async def record(self, run: RetentionRun) -> None:
        """Insert; the identical run again is a no-op, a different one under its id a `DuplicateKeyError`."""
        ...

    async def recent(self, limit: int = 50) -> list[RetentionRun]:
        """At most `limit` runs, newest first: latest start first, runs started together by id descending."""
        ...


class ReconciliationStore(Protocol):
    """The reconciliation audit trail: runs (append-only) and the adjustments they made."""

    async def add_run(self, run: ReconciliationRun) -> None:
        """Append a finished run; `DuplicateKeyError` if its id is already recorded (even identically)."""
        ...

    async def run(self, run_id: str) -> ReconciliationRun | None: ...

    async def recent_runs(self, limit: int = 50) -> list[ReconciliationRun]:
        """At most `limit` runs, newest first: latest start first, runs started together by id descending."""
        ...

    async def add_adjustment(self, adjustment: PositionAdjustment) -> bool:
        """Insert; False (nothing written) if an adjustment with its id is already stored.

        `NotFoundError` if its run is not recorded.
        """
        ...

    async def adjustment(self, adjustment_id: str) -> PositionAdjustment | None: ...

    async def adjustments(self, run_id: str | None = None) -> list[PositionAdjustment]:
        """Adjustments of one run (or all), oldest first: by `created_at`, ties by id."""
        ...


class ExperimentStore(Protocol):
    """Experiments and the outcomes observed for their predictions."""

    async def create(self, experiment: Experiment) -> None:
        """Insert; `DuplicateKeyError` if its id or its name is taken."""
        ...

    async def get(self, experiment_id: str) -> Experiment | None: ...

    async def get_by_name(self, name: str) -> Experiment | None: ...

    async def list(self, status: ExperimentStatus | None = None) -> builtins.list[Experiment]:
        """Experiments (with `status`, if given), oldest first: by `created_at`, ties by id."""
        ...

    async def finish(
        self, experiment_id: str, status: ExperimentStatus, conclusion: dict[str, Any] | None, at: datetime
    ) -> Experiment:
        """End a running experiment as `concluded` or `stopped` at `at`; return it as stored.

        `NotFoundError` for an unknown id; `InvalidValueError` if it is not running or `status` is `running`.
        """
        ...

    async def add_outcome(self, outcome: ExperimentOutcome) -> bool:
        """Insert; False (nothing written) if an outcome for (experiment_id, prediction_id) is stored.

        `NotFoundError` if the experiment is unknown.
        """
        ...

    async def add_outcomes(self, outcomes: Iterable[ExperimentOutcome]) -> int:
        """Insert a batch with `add_outcome`'s rules; return how many were new."""
        ...

    async def outcomes(self, experiment_id: str) -> builtins.list[ExperimentOutcome]:
        """The outcomes of one experiment in observation order: by `observed_at`, ties in insertion order."""
        ...


class PredictionStore(Protocol):
    """The prediction log: every model output, in experiments or not."""

    async def add_many(self, records: Iterable[PredictionRecord]) -> int:
        """Insert a batch; records whose id is already stored (or repeated in the batch) are ignored.

        Return how many were new.
        """
        ...

    async def get(self, prediction_id: str) -> PredictionRecord | None: ...

    async def for_experiment(
        self, experiment_id: str, since: datetime | None = None
    ) -> list[PredictionRecord]:
        """Predictions of one experiment (at or after `since`), oldest first: by `at`, ties by id."""
        ...

    async def for_model(
        self, name: str, version: int | None = None, since: datetime | None = None, limit: int = 10_000
    ) -> list[PredictionRecord]:
        """The newest `limit` predictions of `name` (of one version, at or after `since`), oldest first."""
        ...


class UnitOfWork(Protocol):
    """One transaction across every repository: `async with store.unit_of_work() as uow: ...; await uow.commit()`.

    Leaving the block without `commit` rolls back, and so does an exception.
    """

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

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class Store(Protocol):
    """A whole store backend (memory, SQLite, Postgres): a source of units of work with a lifecycle."""

    def unit_of_work(self) -> UnitOfWork: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...
