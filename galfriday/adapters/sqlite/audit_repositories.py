"""SQLite repositories of the audit records: reconciliation runs and adjustments, experiments and their
outcomes, the prediction log.

Same rules as `repositories`: one timed call per method (`reconciliations.add_run`, ...), values encoded by
`codecs` before SQL sees them, refusals checked before anything is written so the unit of work stays usable.
Measurements (latency, bucket) are REAL, which is exactly Python's float; JSON floats are written in their
shortest round-tripping form, so every float reads back bit for bit.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from galfriday.adapters.sqlite.codecs import (
    bool_to_int,
    from_json,
    instant_to_micros,
    micros_to_instant,
    optional_decimal_to_text,
    optional_instant_to_micros,
    optional_text_to_decimal,
    to_json,
)
from galfriday.adapters.sqlite.repositories import IN_CHUNK, Row, _columns, _insert, _one, _Repository
from galfriday.domain.experiments import Experiment, ExperimentOutcome, ExperimentStatus, PredictionRecord
from galfriday.domain.reconciliation_audit import PositionAdjustment, ReconciliationRun
from galfriday.errors import DuplicateKeyError, NotFoundError

# --- reconciliation runs and adjustments ----------------------------------------------------------------------

RUN_COLUMNS = (
    "id",
    "type",
    "status",
    "started_at",
    "finished_at",
    "discrepancies_found",
    "auto_corrected",
    "manual_review_required",
    "report",
)
_SELECT_RUNS = f"SELECT {_columns(RUN_COLUMNS)} FROM reconciliation_events"
_ADD_RUN = _insert("reconciliation_events", RUN_COLUMNS) + " ON CONFLICT (id) DO NOTHING"

ADJUSTMENT_COLUMNS = (
    "id",
    "reconciliation_event_id",
    "subject",
    "kind",
    "old_value",
    "new_value",
    "reason",
    "created_at",
)
_SELECT_ADJUSTMENTS = f"SELECT {_columns(ADJUSTMENT_COLUMNS)} FROM position_adjustments"
_ADD_ADJUSTMENT = _insert("position_adjustments", ADJUSTMENT_COLUMNS) + " ON CONFLICT (id) DO NOTHING"


def _run_row(run: ReconciliationRun) -> tuple[Any, ...]:
    return (
        run.id,
        run.kind.value,
        run.status.value,
        instant_to_micros("started_at", run.started_at),
        instant_to_micros("finished_at", run.finished_at),
        run.discrepancies_found,
        run.auto_corrected,
        run.manual_review_required,
        to_json(run.report),
    )


def _run(row: Row) -> ReconciliationRun:
    return ReconciliationRun(
        id=row[0],
        kind=row[1],
        status=row[2],
        started_at=micros_to_instant(row[3]),
        finished_at=micros_to_instant(row[4]),
        discrepancies_found=row[5],
        auto_corrected=row[6],
        manual_review_required=row[7],
        report=from_json(row[8]),
    )


def _adjustment_row(adjustment: PositionAdjustment) -> tuple[Any, ...]:
    return (
        adjustment.id,
        adjustment.run_id,
        adjustment.subject,
        adjustment.kind,
        optional_decimal_to_text("old_value", adjustment.old_value),
        optional_decimal_to_text("new_value", adjustment.new_value),
        adjustment.reason,
        instant_to_micros("created_at", adjustment.created_at),
    )


def _adjustment(row: Row) -> PositionAdjustment:
    return PositionAdjustment(
        id=row[0],
        run_id=row[1],
        subject=row[2],
        kind=row[3],
        old_value=optional_text_to_decimal(row[4]),
        new_value=optional_text_to_decimal(row[5]),
        reason=row[6],
        created_at=micros_to_instant(row[7]),
    )


class SqliteReconciliations(_Repository):
    """`ReconciliationStore` on `reconciliation_events` (append-only) and `position_adjustments`."""

    async def add_run(self, run: ReconciliationRun) -> None:
        row = _run_row(run)
        with self._call("reconciliations.add_run") as db:
            cursor = await db.execute(_ADD_RUN, row)
            if cursor.rowcount == 0:
                raise DuplicateKeyError("reconciliation run", run.id)

    async def run(self, run_id: str) -> ReconciliationRun | None:
        with self._call("reconciliations.run") as db:
            row = await _one(db, f"{_SELECT_RUNS} WHERE id = ?", (run_id,))
        return None if row is None else _run(row)

    async def recent_runs(self, limit: int = 50) -> list[ReconciliationRun]:
        with self._call("reconciliations.recent_runs") as db:
            rows = await db.execute_fetchall(
                f"{_SELECT_RUNS} ORDER BY started_at DESC, id DESC LIMIT ?", (max(limit, 0),)
            )
        return [_run(row) for row in rows]

    async def add_adjustment(self, adjustment: PositionAdjustment) -> bool:
        row = _adjustment_row(adjustment)
        with self._call("reconciliations.add_adjustment") as db:
            if (
                await _one(db, "SELECT 1 FROM reconciliation_events WHERE id = ?", (adjustment.run_id,))
                is None
            ):
                raise NotFoundError("reconciliation run", adjustment.run_id)
            cursor = await db.execute(_ADD_ADJUSTMENT, row)
            return cursor.rowcount == 1

    async def adjustment(self, adjustment_id: str) -> PositionAdjustment | None:
        with self._call("reconciliations.adjustment") as db:
            row = await _one(db, f"{_SELECT_ADJUSTMENTS} WHERE id = ?", (adjustment_id,))
        return None if row is None else _adjustment(row)

    async def adjustments(self, run_id: str | None = None) -> list[PositionAdjustment]:
        with self._call("reconciliations.adjustments") as db:
            if run_id is None:
                rows = await db.execute_fetchall(f"{_SELECT_ADJUSTMENTS} ORDER BY created_at, id")
            else:
                rows = await db.execute_fetchall(
                    f"{_SELECT_ADJUSTMENTS} WHERE reconciliation_event_id = ? ORDER BY created_at, id",
                    (run_id,),
                )
        return [_adjustment(row) for row in rows]


# --- experiments and outcomes ---------------------------------------------------------------------------------

EXPERIMENT_COLUMNS = (
    "id",
    "name",
    "mode",
    "status",
    "model_name",
    "control_version",
    "candidate_version",
    "config",
    "created_at",
    "concluded_at",
    "conclusion",
)
_SELECT_EXPERIMENTS = f"SELECT {_columns(EXPERIMENT_COLUMNS)} FROM experiments"
_CREATE_EXPERIMENT = _insert("experiments", EXPERIMENT_COLUMNS) + " ON CONFLICT DO NOTHING"
_FINISH_EXPERIMENT = "UPDATE experiments SET status = ?, concluded_at = ?, conclusion = ? WHERE id = ?"

OUTCOME_COLUMNS = (
    "experiment_id",
    "prediction_id",
    "arm",
    "model_version",
    "routing_key",
    "outcome",
    "observed_at",
)
_ADD_OUTCOME = _insert("experiment_outcomes", OUTCOME_COLUMNS) + " ON CONFLICT DO NOTHING"


def _experiment_row(experiment: Experiment) -> tuple[Any, ...]:
    return (
        experiment.id,
        experiment.name,
        experiment.mode.value,
        experiment.status.value,
        experiment.model_name,
        experiment.control_version,
        experiment.candidate_version,
        to_json(experiment.config),
        instant_to_micros("created_at", experiment.created_at),
        optional_instant_to_micros("concluded_at", experiment.concluded_at),
        None if experiment.conclusion is None else to_json(experiment.conclusion),
    )


def _experiment(row: Row) -> Experiment:
    return Experiment(
        id=row[0],
        name=row[1],
        mode=row[2],
        status=row[3],
        model_name=row[4],
        control_version=row[5],
        candidate_version=row[6],
        config=from_json(row[7]),
        created_at=micros_to_instant(row[8]),
        concluded_at=None if row[9] is None else micros_to_instant(row[9]),
        conclusion=None if row[10] is None else from_json(row[10]),
    )


def _outcome_row(outcome: ExperimentOutcome) -> tuple[Any, ...]:
    return (
        outcome.experiment_id,
        outcome.prediction_id,
        outcome.arm.value,
        outcome.model_version,
        outcome.routing_key,
        to_json(outcome.values),
        instant_to_micros("observed_at", outcome.observed_at),
    )


def _outcome(row: Row) -> ExperimentOutcome:
    return ExperimentOutcome(
        experiment_id=row[0],
        prediction_id=row[1],
        arm=row[2],
        model_version=row[3],
        routing_key=row[4],
        values={name: float(value) for name, value in from_json(row[5]).items()},
        observed_at=micros_to_instant(row[6]),
    )


class SqliteExperiments(_Repository):
    """`ExperimentStore` on `experiments` (unique by id and by name) and `experiment_outcomes`."""

    async def create(self, experiment: Experiment) -> None:
        row = _experiment_row(experiment)
        with self._call("experiments.create") as db:
            cursor = await db.execute(_CREATE_EXPERIMENT, row)
            if cursor.rowcount == 1:
                return
            if await _one(db, "SELECT 1 FROM experiments WHERE id = ?", (experiment.id,)) is not None:
                raise DuplicateKeyError("experiment", experiment.id)
        raise DuplicateKeyError("experiment name", experiment.name)

    async def get(self, experiment_id: str) -> Experiment | None:
        with self._call("experiments.get") as db:
            row = await _one(db, f"{_SELECT_EXPERIMENTS} WHERE id = ?", (experiment_id,))
        return None if row is None else _experiment(row)

    async def get_by_name(self, name: str) -> Experiment | None:
        with self._call("experiments.get_by_name") as db:
            row = await _one(db, f"{_SELECT_EXPERIMENTS} WHERE name = ?", (name,))
        return None if row is None else _experiment(row)

    async def list(self, status: ExperimentStatus | None = None) -> builtins.list[Experiment]:
        with self._call("experiments.list") as db:
            if status is None:
                rows = await db.execute_fetchall(f"{_SELECT_EXPERIMENTS} ORDER BY created_at, id")
            else:
                rows = await db.execute_fetchall(
                    f"{_SELECT_EXPERIMENTS} WHERE status = ? ORDER BY created_at, id",
                    (ExperimentStatus(status).value,),
                )
        return [_experiment(row) for row in rows]

    async def finish(
        self, experiment_id: str, status: ExperimentStatus, conclusion: dict[str, Any] | None, at: datetime
    ) -> Experiment:
        with self._call("experiments.finish") as db:
            row = await _one(db, f"{_SELECT_EXPERIMENTS} WHERE id = ?", (experiment_id,))
            if row is None:
                raise NotFoundError("experiment", experiment_id)
            finished = _experiment(row).finished(status, conclusion, at)
            await db.execute(
                _FINISH_EXPERIMENT,
                (
                    finished.status.value,
                    optional_instant_to_micros("concluded_at", finished.concluded_at),
                    None if finished.conclusion is None else to_json(finished.conclusion),
                    experiment_id,
                ),
            )
        return finished

    async def add_outcome(self, outcome: ExperimentOutcome) -> bool:
        return await self._add("experiments.add_outcome", (outcome,)) == 1

    async def add_outcomes(self, outcomes: Iterable[ExperimentOutcome]) -> int:
        return await self._add("experiments.add_outcomes", outcomes)

    async def _add(self, statement: str, outcomes: Iterable[ExperimentOutcome]) -> int:
        batch = list(outcomes)
        rows = [_outcome_row(outcome) for outcome in batch]
        with self._call(statement) as db:
            wanted = sorted({outcome.experiment_id for outcome in batch})
            known = await _known(db, "experiments", "id", wanted)
            for experiment_id in wanted:
                if experiment_id not in known:
                    raise NotFoundError("experiment", experiment_id)
            if not rows:
                return 0
            cursor = await db.executemany(_ADD_OUTCOME, rows)
            return cursor.rowcount

    async def outcomes(self, experiment_id: str) -> builtins.list[ExperimentOutcome]:
        with self._call("experiments.outcomes") as db:
            rows = await db.execute_fetchall(
                f"SELECT {_columns(OUTCOME_COLUMNS)} FROM experiment_outcomes"
                " WHERE experiment_id = ? ORDER BY observed_at, id",
                (experiment_id,),
            )
        return [_outcome(row) for row in rows]


async def _known(db: Any, table: str, column: str, keys: Sequence[str]) -> set[str]:
    """Which of `keys` are in `table.column` (constant identifiers), looked up in chunks."""
    found: set[str] = set()
    for start in range(0, len(keys), IN_CHUNK):
        chunk = keys[start : start + IN_CHUNK]
        marks = ", ".join("?" for _ in chunk)
        rows = await db.execute_fetchall(f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", chunk)
        found.update(row[0] for row in rows)
    return found


# --- predictions ----------------------------------------------------------------------------------------------

PREDICTION_COLUMNS = (
    "id",
    "model_name",
    "version",
    "experiment_id",
    "arm",
    "routing_key",
    "acted",
    "outputs",
    "latency_seconds",
    "at",
    "bucket",
    "features_hash",
)
_SELECT_PREDICTIONS = f"SELECT {_columns(PREDICTION_COLUMNS)} FROM predictions"
_ADD_PREDICTION = _insert("predictions", PREDICTION_COLUMNS) + " ON CONFLICT (id) DO NOTHING"


def _prediction_row(record: PredictionRecord) -> tuple[Any, ...]:
    return (
        record.id,
        record.model_name,
        record.version,
        record.experiment_id,
        None if record.arm is None else record.arm.value,
        record.routing_key,
        bool_to_int(record.acted),
        to_json({name: list(values) for name, values in record.outputs.items()}),
        record.latency_seconds,
        instant_to_micros("at", record.at),
        record.bucket,
        record.features_hash,
    )


def _prediction(row: Row) -> PredictionRecord:
    return PredictionRecord(
        id=row[0],
        model_name=row[1],
        version=row[2],
        experiment_id=row[3],
        arm=row[4],
        routing_key=row[5],
        acted=bool(row[6]),
        outputs={name: tuple(float(v) for v in values) for name, values in from_json(row[7]).items()},
        latency_seconds=float(row[8]),
        at=micros_to_instant(row[9]),
        bucket=None if row[10] is None else float(row[10]),
        features_hash=row[11],
    )


class SqlitePredictions(_Repository):
    """`PredictionStore` on `predictions`: unique by id; a repeated id is ignored."""

    async def add_many(self, records: Iterable[PredictionRecord]) -> int:
        rows = [_prediction_row(record) for record in records]
        with self._call("predictions.add_many") as db:
            if not rows:
                return 0
            cursor = await db.executemany(_ADD_PREDICTION, rows)
            return cursor.rowcount

    async def get(self, prediction_id: str) -> PredictionRecord | None:
        with self._call("predictions.get") as db:
            row = await _one(db, f"{_SELECT_PREDICTIONS} WHERE id = ?", (prediction_id,))
        return None if row is None else _prediction(row)

    async def for_experiment(
        self, experiment_id: str, since: datetime | None = None
    ) -> list[PredictionRecord]:
        parameters: tuple[Any, ...] = (experiment_id,)
        conditions = "experiment_id = ?"
        if since is not None:
            parameters += (instant_to_micros("since", since),)
            conditions += " AND at >= ?"
        with self._call("predictions.for_experiment") as db:
            rows = await db.execute_fetchall(
                f"{_SELECT_PREDICTIONS} WHERE {conditions} ORDER BY at, id", parameters
            )
        return [_prediction(row) for row in rows]

    async def for_model(
        self, name: str, version: int | None = None, since: datetime | None = None, limit: int = 10_000
    ) -> list[PredictionRecord]:
        """The newest `limit` rows read newest first through the index, then put oldest first."""
        start = None if since is None else instant_to_micros("since", since)
        conditions = "model_name = ?" + ("" if version is None else " AND version = ?")
        conditions += "" if start is None else " AND at >= ?"
        parameters = [name, *([] if version is None else [version]), *([] if start is None else [start])]
        with self._call("predictions.for_model") as db:
            rows = await db.execute_fetchall(
                f"{_SELECT_PREDICTIONS} WHERE {conditions} ORDER BY at DESC, id DESC LIMIT ?",
                (*parameters, max(limit, 0)),
            )
        return [_prediction(row) for row in reversed(list(rows))]
