"""In-memory repositories: the store ports over plain dicts, with an undo log for rollback.

Units of work on one `MemoryStore` are serialised, so a transaction may write straight into the committed
tables: nobody else can look until it ends. Every write records how to undo itself; commit forgets the log,
rollback replays it backwards. Each repository call is all-or-nothing: it checks everything before it writes.
"""

from __future__ import annotations

import builtins
import copy
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import attrs

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
from galfriday.errors import DuplicateKeyError, NotFoundError, UnitOfWorkError

K = TypeVar("K")
V = TypeVar("V")

_MISSING: Any = object()


class CandleSeries:
    """The candles of one (symbol, interval): open times kept sorted for range queries."""

    def __init__(self) -> None:
        self.open_times: list[datetime] = []
        self.bars: dict[datetime, Candle] = {}


class Tables:
    """Everything one `MemoryStore` holds, as committed."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.order_ids_by_exchange_id: dict[str, dict[str, None]] = {}
        self.executions: dict[str, Execution] = {}
        self.exec_ids_by_order: dict[str, dict[str, None]] = {}
        self.balances: dict[str, Balance] = {}
        self.positions: dict[str, Position] = {}
        self.candles: dict[tuple[str, int], CandleSeries] = {}
        self.model_versions: dict[str, dict[int, ModelVersion]] = {}
        self.aliases: dict[tuple[str, str], int] = {}
        self.alias_history: dict[str, list[ModelAliasChange]] = {}
        self.journal: dict[int, JournalEntry] = {}
        self.journal_sequences: list[int] = []
        self.last_journal_sequence = 0
        """Never rolled back, like a database sequence: a number once handed out is not reused."""
        self.retention_runs: dict[str, RetentionRun] = {}
        self.stage_history: dict[str, list[ModelStageChange]] = {}
        self.reconciliation_runs: dict[str, ReconciliationRun] = {}
        self.adjustments: dict[str, PositionAdjustment] = {}
        self.experiments: dict[str, Experiment] = {}
        self.experiment_ids_by_name: dict[str, str] = {}
        self.outcomes: dict[str, dict[str, ExperimentOutcome]] = {}
        """Per experiment id, by prediction id, in insertion order."""
        self.predictions: dict[str, PredictionRecord] = {}
        self.prediction_ids_by_experiment: dict[str, dict[str, None]] = {}
        self.prediction_ids_by_model: dict[str, dict[str, None]] = {}


class Transaction:
    """The writes of one unit of work against `Tables`, and the log that undoes them."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables
        self._undo: list[Callable[[], None]] = []
        self._active = False

    def begin(self) -> None:
        self._active = True

    @property
    def active(self) -> bool:
        return self._active

    def tables(self) -> Tables:
        """The tables, for a repository call; `UnitOfWorkError` outside the unit of work's lifetime."""
        if not self._active:
            raise UnitOfWorkError(
                "repository used outside its unit of work: use it inside `async with store.unit_of_work()` "
                "and before commit or rollback"
            )
        return self._tables

    def commit(self) -> None:
        self._undo.clear()
        self._active = False

    def rollback(self) -> None:
        while self._undo:
            self._undo.pop()()
        self._active = False

    def put(self, table: dict[K, V], key: K, value: V) -> None:
        old = table.get(key, _MISSING)
        table[key] = value
        self._undo.append(lambda: _restore(table, key, old))

    def delete(self, table: dict[K, V], key: K) -> None:
        old = table.pop(key)
        self._undo.append(lambda: _restore(table, key, old))

    def child(self, table: dict[K, dict[V, None]], key: K) -> dict[V, None]:
        """The nested index `table[key]`, created (undoably) if missing."""
        inner = table.get(key)
        if inner is None:
            inner = {}
            self.put(table, key, inner)
        return inner

    def on_undo(self, undo: Callable[[], None]) -> None:
        self._undo.append(undo)


def _restore(table: dict[K, V], key: K, old: V) -> None:
    if old is _MISSING:
        table.pop(key, None)
    else:
        table[key] = old


def _detached_order(order: Order) -> Order:
    """A copy whose `fees` dict is not shared, so no caller can change what is stored."""
    return attrs.evolve(order, fees=dict(order.fees))


def _detached_version(version: ModelVersion) -> ModelVersion:
    return attrs.evolve(version, metadata=copy.deepcopy(version.metadata))


class _Repository:
    def __init__(self, transaction: Transaction) -> None:
        self._tx = transaction


class MemoryOrders(_Repository):
    """`OrderStore`: unique by client order id, indexed by exchange order id."""

    async def add(self, order: Order) -> None:
        if order.client_order_id in self._tx.tables().orders:
            raise DuplicateKeyError("order", order.client_order_id)
        self._write(order)

    async def save(self, order: Order) -> None:
        self._write(order)

    async def get(self, client_order_id: str) -> Order | None:
        found = self._tx.tables().orders.get(client_order_id)
        return None if found is None else _detached_order(found)

    async def get_by_exchange_id(self, exchange_order_id: str) -> Order | None:
        tables = self._tx.tables()
        ids = tables.order_ids_by_exchange_id.get(exchange_order_id)
        if not ids:
            return None
        found = min((tables.orders[cid] for cid in ids), key=_by_creation)
        return _detached_order(found)

    async def list_open(self, symbol: str | None = None) -> list[Order]:
        found = [
            order
            for order in self._tx.tables().orders.values()
            if not order.status.is_terminal and (symbol is None or order.symbol == symbol)
        ]
        return [_detached_order(order) for order in sorted(found, key=_by_creation)]

    async def list_updated_since(self, since: datetime) -> list[Order]:
        found = [order for order in self._tx.tables().orders.values() if order.updated_at >= since]
        found.sort(key=lambda order: (order.updated_at, order.client_order_id))
        return [_detached_order(order) for order in found]

    def _write(self, order: Order) -> None:
        tables = self._tx.tables()
        cid = order.client_order_id
        previous = tables.orders.get(cid)
        old_eid = None if previous is None else previous.exchange_order_id
        if old_eid is not None and old_eid != order.exchange_order_id:
            ids = tables.order_ids_by_exchange_id[old_eid]
            self._tx.delete(ids, cid)
            if not ids:
                self._tx.delete(tables.order_ids_by_exchange_id, old_eid)
        self._tx.put(tables.orders, cid, _detached_order(order))
        if order.exchange_order_id is not None and order.exchange_order_id != old_eid:
            self._tx.put(self._tx.child(tables.order_ids_by_exchange_id, order.exchange_order_id), cid, None)


def _by_creation(order: Order) -> tuple[datetime, str]:
    return (order.created_at, order.client_order_id)


def _by_time(execution: Execution) -> tuple[datetime, str]:
    return (execution.timestamp, execution.exec_id)


class MemoryExecutions(_Repository):
    """`ExecutionStore`: unique by exec id; storing the identical execution again is a no-op."""

    async def add(self, execution: Execution) -> bool:
        return await self.add_many((execution,)) == 1

    async def add_many(self, executions: Iterable[Execution]) -> int:
        tables = self._tx.tables()
        new: dict[str, Execution] = {}
        for execution in executions:
            known = tables.executions.get(execution.exec_id) or new.get(execution.exec_id)
            if known is None:
                new[execution.exec_id] = execution
            elif known != execution:
                raise DuplicateKeyError("execution", execution.exec_id)
        for exec_id, execution in new.items():
            self._tx.put(tables.executions, exec_id, execution)
            self._tx.put(self._tx.child(tables.exec_ids_by_order, execution.order_id), exec_id, None)
        return len(new)

    async def get(self, exec_id: str) -> Execution | None:
        return self._tx.tables().executions.get(exec_id)

    async def for_order(self, order_id: str) -> list[Execution]:
        tables = self._tx.tables()
        ids = tables.exec_ids_by_order.get(order_id, {})
        return sorted((tables.executions[exec_id] for exec_id in ids), key=_by_time)

    async def since(self, since: datetime) -> list[Execution]:
        found = [e for e in self._tx.tables().executions.values() if e.timestamp >= since]
        return sorted(found, key=_by_time)

    async def latest(self) -> Execution | None:
        return max(self._tx.tables().executions.values(), key=_by_time, default=None)


class MemoryBalances(_Repository):
    """`BalanceStore`: one balance per asset."""

    async def save(self, balance: Balance) -> None:
        self._tx.put(self._tx.tables().balances, balance.asset, balance)

    async def get(self, asset: str) -> Balance | None:
        return self._tx.tables().balances.get(asset)

    async def all(self) -> list[Balance]:
        return sorted(self._tx.tables().balances.values(), key=lambda balance: balance.asset)


class MemoryPositions(_Repository):
    """`PositionStore`: one position per symbol."""

    async def save(self, position: Position) -> None:
        self._tx.put(self._tx.tables().positions, position.symbol, position)

    async def get(self, symbol: str) -> Position | None:
        return self._tx.tables().positions.get(symbol)

    async def all(self) -> list[Position]:
        return sorted(self._tx.tables().positions.values(), key=lambda position: position.symbol)


class MemoryCandles(_Repository):
    """`CandleStore`: unique by (symbol, interval, open time); writing a key again replaces the bar."""

    async def upsert_many(self, candles: Iterable[Candle]) -> int:
        tables = self._tx.tables()
        batch = list(candles)
        for candle in batch:
            series = tables.candles.get((candle.symbol, candle.interval_seconds))
            if series is None:
                series = CandleSeries()
                self._tx.put(tables.candles, (candle.symbol, candle.interval_seconds), series)
            if candle.open_time not in series.bars:
                insort(series.open_times, candle.open_time)
                self._tx.on_undo(_remover(series.open_times, candle.open_time))
            self._tx.put(series.bars, candle.open_time, candle)
        return len(batch)

    async def range(self, symbol: str, interval_seconds: int, start: datetime, end: datetime) -> list[Candle]:
        series = self._tx.tables().candles.get((symbol, interval_seconds))
        if series is None:
            return []
        times = series.open_times
        return [series.bars[t] for t in times[bisect_left(times, start) : bisect_left(times, end)]]

    async def latest(self, symbol: str, interval_seconds: int) -> Candle | None:
        series = self._tx.tables().candles.get((symbol, interval_seconds))
        if series is None or not series.open_times:
            return None
        return series.bars[series.open_times[-1]]

    async def day_counts(self, interval_seconds: int, before: datetime) -> list[CandleDay]:
        counts: dict[tuple[str, date], int] = {}
        for (symbol, interval), series in self._tx.tables().candles.items():
            if interval != interval_seconds:
                continue
            for open_time in series.open_times[: bisect_left(series.open_times, before)]:
                key = (symbol, open_time.date())
                counts[key] = counts.get(key, 0) + 1
        return [
            CandleDay(symbol, interval_seconds, day, rows) for (symbol, day), rows in sorted(counts.items())
        ]

    async def delete_range(self, symbol: str, interval_seconds: int, start: datetime, end: datetime) -> int:
        series = self._tx.tables().candles.get((symbol, interval_seconds))
        if series is None:
            return 0
        times = series.open_times
        doomed = times[bisect_left(times, start) : bisect_left(times, end)]
        if doomed:
            every = list(times)
            for open_time in doomed:
                self._tx.delete(series.bars, open_time)
            times[:] = [t for t in every if t in series.bars]
            self._tx.on_undo(_replacer(times, every))
        return len(doomed)

    async def drop_expired_partitions(self, before: datetime) -> list[str]:
        self._tx.tables()
        return []


def _remover(values: list[Any], value: Any) -> Callable[[], None]:
    """Undo for inserting `value` into the sorted list `values`."""

    def remove() -> None:
        del values[bisect_left(values, value)]

    return remove


def _drop_last(values: list[Any]) -> None:
    """Undo for an append."""
    values.pop()


def _append(tx: Transaction, table: dict[K, list[V]], key: K, value: V) -> None:
    """Append `value` to the list `table[key]` (created if missing), undoably."""
    values = table.get(key)
    if values is None:
        values = []
        tx.put(table, key, values)
    values.append(value)
    tx.on_undo(lambda: _drop_last(values))


def _replacer(values: list[Any], old: list[Any]) -> Callable[[], None]:
    """Undo for rewriting the list `values` in place."""

    def replace() -> None:
        values[:] = old

    return replace


class MemoryModels(_Repository):
    """`ModelStore`: versions numbered 1, 2, ... per name; aliases with an append-only history."""

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
        tables = self._tx.tables()
        versions = tables.model_versions.get(name, {})
        registered = ModelVersion(
            name=name,
            version=len(versions) + 1,
            artifact_uri=artifact_uri,
            artifact_sha256=artifact_sha256,
            created_at=created_at,
            features=tuple(features),
            parent_version=parent_version,
            metadata=copy.deepcopy(metadata or {}),
        )
        if name not in tables.model_versions:
            self._tx.put(tables.model_versions, name, versions)
        self._tx.put(versions, registered.version, registered)
        return _detached_version(registered)

    async def get(self, name: str, version: int) -> ModelVersion | None:
        found = self._tx.tables().model_versions.get(name, {}).get(version)
        return None if found is None else _detached_version(found)

    async def versions(self, name: str) -> list[ModelVersion]:
        found = self._tx.tables().model_versions.get(name, {})
        return [_detached_version(found[number]) for number in sorted(found)]

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
        tables = self._tx.tables()
        current = self._existing(tables, name, version)
        change = ModelStageChange(
            name=name,
            version=version,
            from_stage=current.stage,
            to_stage=stage,
            at=datetime.now(UTC) if at is None else at,
            actor=actor,
            reason=reason,
        )
        moved = attrs.evolve(current, stage=change.to_stage)
        self._tx.put(tables.model_versions[name], version, moved)
        _append(self._tx, tables.stage_history, name, change)
        return _detached_version(moved)

    async def stage_history(self, name: str) -> list[ModelStageChange]:
        history = self._tx.tables().stage_history.get(name, [])
        return sorted(history, key=lambda change: change.at)

    async def set_alias(
        self, name: str, alias: str, version: int | None, *, at: datetime, actor: str, reason: str
    ) -> ModelAliasChange:
        tables = self._tx.tables()
        if version is not None:
            self._existing(tables, name, version)
        key = (name, alias)
        change = ModelAliasChange(
            name=name,
            alias=alias,
            from_version=tables.aliases.get(key),
            to_version=version,
            at=at,
            actor=actor,
            reason=reason,
        )
        if version is not None:
            self._tx.put(tables.aliases, key, version)
        elif key in tables.aliases:
            self._tx.delete(tables.aliases, key)
        _append(self._tx, tables.alias_history, name, change)
        return change

    async def alias(self, name: str, alias: str) -> int | None:
        return self._tx.tables().aliases.get((name, alias))

    async def alias_history(self, name: str, alias: str | None = None) -> list[ModelAliasChange]:
        history = self._tx.tables().alias_history.get(name, [])
        return [change for change in history if alias is None or change.alias == alias]

    @staticmethod
    def _existing(tables: Tables, name: str, version: int) -> ModelVersion:
        found = tables.model_versions.get(name, {}).get(version)
        if found is None:
            raise NotFoundError("model version", (name, version))
        return found


class MemoryJournal(_Repository):
    """`JournalStore`: entries keyed by a store-assigned sequence that only ever increases."""

    async def append(self, entry: JournalEntry) -> JournalEntry:
        tables = self._tx.tables()
        tables.last_journal_sequence += 1
        stored = attrs.evolve(entry, sequence=tables.last_journal_sequence)
        self._tx.put(tables.journal, tables.last_journal_sequence, stored)
        tables.journal_sequences.append(tables.last_journal_sequence)
        self._tx.on_undo(_remover(tables.journal_sequences, tables.last_journal_sequence))
        return stored

    async def append_many(self, entries: Iterable[JournalEntry]) -> int:
        self._tx.tables()
        batch = list(entries)
        for entry in batch:
            await self.append(entry)
        return len(batch)

    async def read(self, after_sequence: int = 0, limit: int = 1000) -> list[JournalEntry]:
        tables = self._tx.tables()
        start = bisect_right(tables.journal_sequences, after_sequence)
        chosen = tables.journal_sequences[start : start + max(limit, 0)]
        return [tables.journal[sequence] for sequence in chosen]

    async def delete_before(self, before: datetime) -> int:
        tables = self._tx.tables()
        doomed = [seq for seq in tables.journal_sequences if tables.journal[seq].received_at < before]
        if not doomed:
            return 0
        every = list(tables.journal_sequences)
        for sequence in doomed:
            self._tx.delete(tables.journal, sequence)
        tables.journal_sequences[:] = [seq for seq in every if seq in tables.journal]
        self._tx.on_undo(_replacer(tables.journal_sequences, every))
        return len(doomed)


class MemoryRetentionRuns(_Repository):
    """`RetentionRunStore`: unique by id; recording the identical run again is a no-op."""

    async def record(self, run: RetentionRun) -> None:
        tables = self._tx.tables()
        known = tables.retention_runs.get(run.id)
        if known is None:
            self._tx.put(tables.retention_runs, run.id, run)
        elif known != run:
            raise DuplicateKeyError("retention run", run.id)

    async def recent(self, limit: int = 50) -> list[RetentionRun]:
        runs = sorted(self._tx.tables().retention_runs.values(), key=_by_start, reverse=True)
        return runs[: max(limit, 0)]


def _by_start(run: RetentionRun) -> tuple[datetime, str]:
    return (run.started_at, run.id)


R = TypeVar("R")


def _detached(record: R) -> R:
    """A deep copy: records holding dicts (reports, configs, outputs) never share them with a caller."""
    return copy.deepcopy(record)


class MemoryReconciliations(_Repository):
    """`ReconciliationStore`: runs are append-only; an adjustment id already stored is ignored."""

    async def add_run(self, run: ReconciliationRun) -> None:
        tables = self._tx.tables()
        if run.id in tables.reconciliation_runs:
            raise DuplicateKeyError("reconciliation run", run.id)
        self._tx.put(tables.reconciliation_runs, run.id, _detached(run))

    async def run(self, run_id: str) -> ReconciliationRun | None:
        found = self._tx.tables().reconciliation_runs.get(run_id)
        return None if found is None else _detached(found)

    async def recent_runs(self, limit: int = 50) -> list[ReconciliationRun]:
        runs = sorted(
            self._tx.tables().reconciliation_runs.values(),
            key=lambda run: (run.started_at, run.id),
            reverse=True,
        )
        return [_detached(run) for run in runs[: max(limit, 0)]]

    async def add_adjustment(self, adjustment: PositionAdjustment) -> bool:
        tables = self._tx.tables()
        if adjustment.run_id not in tables.reconciliation_runs:
            raise NotFoundError("reconciliation run", adjustment.run_id)
        if adjustment.id in tables.adjustments:
            return False
        self._tx.put(tables.adjustments, adjustment.id, adjustment)
        return True

    async def adjustment(self, adjustment_id: str) -> PositionAdjustment | None:
        return self._tx.tables().adjustments.get(adjustment_id)

    async def adjustments(self, run_id: str | None = None) -> list[PositionAdjustment]:
        found = [
            adjustment
            for adjustment in self._tx.tables().adjustments.values()
            if run_id is None or adjustment.run_id == run_id
        ]
        return sorted(found, key=lambda adjustment: (adjustment.created_at, adjustment.id))


class MemoryExperiments(_Repository):
    """`ExperimentStore`: unique by id and by name; outcomes unique by (experiment, prediction)."""

    async def create(self, experiment: Experiment) -> None:
        tables = self._tx.tables()
        if experiment.id in tables.experiments:
            raise DuplicateKeyError("experiment", experiment.id)
        if experiment.name in tables.experiment_ids_by_name:
            raise DuplicateKeyError("experiment name", experiment.name)
        self._tx.put(tables.experiments, experiment.id, _detached(experiment))
        self._tx.put(tables.experiment_ids_by_name, experiment.name, experiment.id)

    async def get(self, experiment_id: str) -> Experiment | None:
        found = self._tx.tables().experiments.get(experiment_id)
        return None if found is None else _detached(found)

    async def get_by_name(self, name: str) -> Experiment | None:
        tables = self._tx.tables()
        experiment_id = tables.experiment_ids_by_name.get(name)
        return None if experiment_id is None else _detached(tables.experiments[experiment_id])

    async def list(self, status: ExperimentStatus | None = None) -> builtins.list[Experiment]:
        found = [
            experiment
            for experiment in self._tx.tables().experiments.values()
            if status is None or experiment.status == status
        ]
        found.sort(key=lambda experiment: (experiment.created_at, experiment.id))
        return [_detached(experiment) for experiment in found]

    async def finish(
        self, experiment_id: str, status: ExperimentStatus, conclusion: dict[str, Any] | None, at: datetime
    ) -> Experiment:
        tables = self._tx.tables()
        current = tables.experiments.get(experiment_id)
        if current is None:
            raise NotFoundError("experiment", experiment_id)
        finished = current.finished(status, conclusion, at)
        self._tx.put(tables.experiments, experiment_id, finished)
        return _detached(finished)

    async def add_outcome(self, outcome: ExperimentOutcome) -> bool:
        return await self.add_outcomes((outcome,)) == 1

    async def add_outcomes(self, outcomes: Iterable[ExperimentOutcome]) -> int:
        tables = self._tx.tables()
        new: dict[tuple[str, str], ExperimentOutcome] = {}
        for outcome in outcomes:
            if outcome.experiment_id not in tables.experiments:
                raise NotFoundError("experiment", outcome.experiment_id)
            key = (outcome.experiment_id, outcome.prediction_id)
            if key not in new and outcome.prediction_id not in tables.outcomes.get(outcome.experiment_id, {}):
                new[key] = outcome
        for (experiment_id, prediction_id), outcome in new.items():
            by_prediction = tables.outcomes.get(experiment_id)
            if by_prediction is None:
                by_prediction = {}
                self._tx.put(tables.outcomes, experiment_id, by_prediction)
            self._tx.put(by_prediction, prediction_id, _detached(outcome))
        return len(new)

    async def outcomes(self, experiment_id: str) -> builtins.list[ExperimentOutcome]:
        found = self._tx.tables().outcomes.get(experiment_id, {}).values()
        return [_detached(outcome) for outcome in sorted(found, key=lambda outcome: outcome.observed_at)]


class MemoryPredictions(_Repository):
    """`PredictionStore`: unique by id; a repeated id is ignored."""

    async def add_many(self, records: Iterable[PredictionRecord]) -> int:
        tables = self._tx.tables()
        new: dict[str, PredictionRecord] = {}
        for record in records:
            if record.id not in tables.predictions and record.id not in new:
                new[record.id] = record
        for prediction_id, record in new.items():
            self._tx.put(tables.predictions, prediction_id, _detached(record))
            if record.experiment_id is not None:
                index = self._tx.child(tables.prediction_ids_by_experiment, record.experiment_id)
                self._tx.put(index, prediction_id, None)
            self._tx.put(
                self._tx.child(tables.prediction_ids_by_model, record.model_name), prediction_id, None
            )
        return len(new)

    async def get(self, prediction_id: str) -> PredictionRecord | None:
        found = self._tx.tables().predictions.get(prediction_id)
        return None if found is None else _detached(found)

    async def for_experiment(
        self, experiment_id: str, since: datetime | None = None
    ) -> list[PredictionRecord]:
        tables = self._tx.tables()
        ids = tables.prediction_ids_by_experiment.get(experiment_id, {})
        found = [tables.predictions[i] for i in ids if since is None or tables.predictions[i].at >= since]
        return [_detached(record) for record in sorted(found, key=_by_prediction_time)]

    async def for_model(
        self, name: str, version: int | None = None, since: datetime | None = None, limit: int = 10_000
    ) -> list[PredictionRecord]:
        tables = self._tx.tables()
        found = [
            record
            for record in (tables.predictions[i] for i in tables.prediction_ids_by_model.get(name, {}))
            if (version is None or record.version == version) and (since is None or record.at >= since)
        ]
        found.sort(key=_by_prediction_time)
        newest = found[len(found) - max(limit, 0) :] if limit > 0 else []
        return [_detached(record) for record in newest]


def _by_prediction_time(record: PredictionRecord) -> tuple[datetime, str]:
    return (record.at, record.id)
