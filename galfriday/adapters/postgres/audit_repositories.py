"""Postgres repositories of the audit records: reconciliation runs and adjustments, experiments and their
outcomes, the prediction log.

Same rules as `repositories`: one timed call per method (`reconciliations.add_run`, ...), SQL in constants,
values only as parameters, and a refusal the port allows (a used id, an unknown run or experiment) is found
without Postgres raising, so the unit of work stays usable. JSON documents go through the binary jsonb codec.

Measurements (latency, bucket) are floats, which `bind` refuses as statement parameters (they must never reach
an amount column). They are sent as their shortest round-tripping text and cast to `double precision` in SQL,
which Postgres parses exactly; COPY sends them in binary. Either way they read back bit for bit.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from galfriday.adapters.postgres.repositories import _count, _Repository, timed
from galfriday.domain.experiments import Experiment, ExperimentOutcome, ExperimentStatus, PredictionRecord
from galfriday.domain.reconciliation_audit import PositionAdjustment, ReconciliationRun
from galfriday.errors import DuplicateKeyError, NotFoundError

PREDICTION_COPY_ROWS = 100
"""Prediction batches at least this large are COPY'd into a staging table and moved with ON CONFLICT DO NOTHING;
smaller ones are one `unnest` insert. Measured (benchmarks/bench_prediction_writes.py, rows/s): at 10 rows
unnest 20.9k, COPY staging 9.4k; at 1,000 level (101k, 102k); at 5,000 unnest 60k, COPY staging 113k."""

# --- reconciliation runs and adjustments ----------------------------------------------------------------------

_RUN_COLUMNS = """id, type, status, started_at, finished_at, discrepancies_found, auto_corrected,
    manual_review_required, report"""

_ADD_RUN = f"""
INSERT INTO reconciliation_events ({_RUN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (id) DO NOTHING
"""

_GET_RUN = f"SELECT {_RUN_COLUMNS} FROM reconciliation_events WHERE id = $1"

_RECENT_RUNS = f"SELECT {_RUN_COLUMNS} FROM reconciliation_events ORDER BY started_at DESC, id DESC LIMIT $1"

_ADJUSTMENT_COLUMNS = (
    """id, reconciliation_event_id, subject, kind, old_value, new_value, reason, created_at"""
)

_ADD_ADJUSTMENT = f"""
INSERT INTO position_adjustments ({_ADJUSTMENT_COLUMNS})
SELECT $1::text, $2::text, $3::text, $4::text, $5::numeric, $6::numeric, $7::text, $8::timestamptz
WHERE EXISTS (SELECT 1 FROM reconciliation_events WHERE id = $2::text)
ON CONFLICT (id) DO NOTHING
"""

_RUN_EXISTS = "SELECT EXISTS (SELECT 1 FROM reconciliation_events WHERE id = $1)"

_GET_ADJUSTMENT = f"SELECT {_ADJUSTMENT_COLUMNS} FROM position_adjustments WHERE id = $1"

_ADJUSTMENTS_OF_RUN = f"""
SELECT {_ADJUSTMENT_COLUMNS} FROM position_adjustments WHERE reconciliation_event_id = $1 ORDER BY created_at, id
"""

_ALL_ADJUSTMENTS = f"SELECT {_ADJUSTMENT_COLUMNS} FROM position_adjustments ORDER BY created_at, id"


def _run(row: Any) -> ReconciliationRun:
    return ReconciliationRun(
        id=row["id"],
        kind=row["type"],
        status=row["status"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        discrepancies_found=row["discrepancies_found"],
        auto_corrected=row["auto_corrected"],
        manual_review_required=row["manual_review_required"],
        report=row["report"],
    )


def _adjustment(row: Any) -> PositionAdjustment:
    return PositionAdjustment(
        id=row["id"],
        run_id=row["reconciliation_event_id"],
        subject=row["subject"],
        kind=row["kind"],
        old_value=row["old_value"],
        new_value=row["new_value"],
        reason=row["reason"],
        created_at=row["created_at"],
    )


class PostgresReconciliations(_Repository):
    """`ReconciliationStore` on `reconciliation_events` (append-only) and `position_adjustments`."""

    @timed("reconciliations.add_run")
    async def add_run(self, run: ReconciliationRun) -> None:
        status = await self._session.execute(
            "reconciliations.add_run",
            _ADD_RUN,
            run.id,
            run.kind.value,
            run.status.value,
            run.started_at,
            run.finished_at,
            run.discrepancies_found,
            run.auto_corrected,
            run.manual_review_required,
            run.report,
        )
        if _count(status) == 0:
            raise DuplicateKeyError("reconciliation run", run.id)

    @timed("reconciliations.run")
    async def run(self, run_id: str) -> ReconciliationRun | None:
        row = await self._session.fetchrow("reconciliations.run", _GET_RUN, run_id)
        return None if row is None else _run(row)

    @timed("reconciliations.recent_runs")
    async def recent_runs(self, limit: int = 50) -> list[ReconciliationRun]:
        rows = await self._session.fetch("reconciliations.recent_runs", _RECENT_RUNS, max(limit, 0))
        return [_run(row) for row in rows]

    @timed("reconciliations.add_adjustment")
    async def add_adjustment(self, adjustment: PositionAdjustment) -> bool:
        """One statement inserts it if its run exists and its id is new; only a miss costs a second look."""
        session = self._session
        status = await session.execute(
            "reconciliations.add_adjustment",
            _ADD_ADJUSTMENT,
            adjustment.id,
            adjustment.run_id,
            adjustment.subject,
            adjustment.kind,
            adjustment.old_value,
            adjustment.new_value,
            adjustment.reason,
            adjustment.created_at,
        )
        if _count(status) == 1:
            return True
        if not await session.fetchval("reconciliations.add_adjustment", _RUN_EXISTS, adjustment.run_id):
            raise NotFoundError("reconciliation run", adjustment.run_id)
        return False

    @timed("reconciliations.adjustment")
    async def adjustment(self, adjustment_id: str) -> PositionAdjustment | None:
        row = await self._session.fetchrow("reconciliations.adjustment", _GET_ADJUSTMENT, adjustment_id)
        return None if row is None else _adjustment(row)

    @timed("reconciliations.adjustments")
    async def adjustments(self, run_id: str | None = None) -> list[PositionAdjustment]:
        if run_id is None:
            rows = await self._session.fetch("reconciliations.adjustments", _ALL_ADJUSTMENTS)
        else:
            rows = await self._session.fetch("reconciliations.adjustments", _ADJUSTMENTS_OF_RUN, run_id)
        return [_adjustment(row) for row in rows]


# --- experiments and outcomes ---------------------------------------------------------------------------------

_EXPERIMENT_COLUMNS = """id, name, mode, status, model_name, control_version, candidate_version, config,
    created_at, concluded_at, conclusion"""

_CREATE_EXPERIMENT = f"""
INSERT INTO experiments ({_EXPERIMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT DO NOTHING
"""

_EXPERIMENT_EXISTS = "SELECT EXISTS (SELECT 1 FROM experiments WHERE id = $1)"

_GET_EXPERIMENT = f"SELECT {_EXPERIMENT_COLUMNS} FROM experiments WHERE id = $1"

_EXPERIMENT_FOR_UPDATE = _GET_EXPERIMENT + " FOR UPDATE"

_EXPERIMENT_BY_NAME = f"SELECT {_EXPERIMENT_COLUMNS} FROM experiments WHERE name = $1"

_LIST_EXPERIMENTS = f"""
SELECT {_EXPERIMENT_COLUMNS} FROM experiments WHERE ($1::text IS NULL OR status = $1) ORDER BY created_at, id
"""

_FINISH_EXPERIMENT = "UPDATE experiments SET status = $2, concluded_at = $3, conclusion = $4 WHERE id = $1"

_KNOWN_EXPERIMENTS = "SELECT id FROM experiments WHERE id = ANY($1::text[])"

_OUTCOME_COLUMNS = "experiment_id, prediction_id, arm, model_version, routing_key, outcome, observed_at"

_ADD_OUTCOMES = f"""
INSERT INTO experiment_outcomes ({_OUTCOME_COLUMNS})
SELECT experiment_id, prediction_id, arm, model_version, routing_key, outcome, observed_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[], $6::jsonb[], $7::timestamptz[])
    WITH ORDINALITY AS given(experiment_id, prediction_id, arm, model_version, routing_key, outcome, observed_at,
        position)
ORDER BY position
ON CONFLICT (experiment_id, prediction_id) DO NOTHING
"""

_OUTCOMES = f"""
SELECT {_OUTCOME_COLUMNS} FROM experiment_outcomes WHERE experiment_id = $1 ORDER BY observed_at, id
"""


def _experiment(row: Any) -> Experiment:
    return Experiment(
        id=row["id"],
        name=row["name"],
        mode=row["mode"],
        status=row["status"],
        model_name=row["model_name"],
        control_version=row["control_version"],
        candidate_version=row["candidate_version"],
        config=row["config"],
        created_at=row["created_at"],
        concluded_at=row["concluded_at"],
        conclusion=row["conclusion"],
    )


def _outcome(row: Any) -> ExperimentOutcome:
    return ExperimentOutcome(
        experiment_id=row["experiment_id"],
        prediction_id=row["prediction_id"],
        arm=row["arm"],
        model_version=row["model_version"],
        routing_key=row["routing_key"],
        values={name: float(value) for name, value in row["outcome"].items()},
        observed_at=row["observed_at"],
    )


class PostgresExperiments(_Repository):
    """`ExperimentStore` on `experiments` (unique by id and by name) and `experiment_outcomes`."""

    @timed("experiments.create")
    async def create(self, experiment: Experiment) -> None:
        session = self._session
        status = await session.execute(
            "experiments.create",
            _CREATE_EXPERIMENT,
            experiment.id,
            experiment.name,
            experiment.mode.value,
            experiment.status.value,
            experiment.model_name,
            experiment.control_version,
            experiment.candidate_version,
            experiment.config,
            experiment.created_at,
            experiment.concluded_at,
            experiment.conclusion,
        )
        if _count(status) == 1:
            return
        if await session.fetchval("experiments.create", _EXPERIMENT_EXISTS, experiment.id):
            raise DuplicateKeyError("experiment", experiment.id)
        raise DuplicateKeyError("experiment name", experiment.name)

    @timed("experiments.get")
    async def get(self, experiment_id: str) -> Experiment | None:
        row = await self._session.fetchrow("experiments.get", _GET_EXPERIMENT, experiment_id)
        return None if row is None else _experiment(row)

    @timed("experiments.get_by_name")
    async def get_by_name(self, name: str) -> Experiment | None:
        row = await self._session.fetchrow("experiments.get_by_name", _EXPERIMENT_BY_NAME, name)
        return None if row is None else _experiment(row)

    @timed("experiments.list")
    async def list(self, status: ExperimentStatus | None = None) -> builtins.list[Experiment]:
        wanted = None if status is None else ExperimentStatus(status).value
        rows = await self._session.fetch("experiments.list", _LIST_EXPERIMENTS, wanted)
        return [_experiment(row) for row in rows]

    @timed("experiments.finish")
    async def finish(
        self, experiment_id: str, status: ExperimentStatus, conclusion: dict[str, Any] | None, at: datetime
    ) -> Experiment:
        """The row is locked while the move is checked, so two concurrent finishes cannot both succeed."""
        session = self._session
        row = await session.fetchrow("experiments.finish", _EXPERIMENT_FOR_UPDATE, experiment_id)
        if row is None:
            raise NotFoundError("experiment", experiment_id)
        finished = _experiment(row).finished(status, conclusion, at)
        await session.execute(
            "experiments.finish",
            _FINISH_EXPERIMENT,
            experiment_id,
            finished.status.value,
            finished.concluded_at,
            finished.conclusion,
        )
        return finished

    @timed("experiments.add_outcome")
    async def add_outcome(self, outcome: ExperimentOutcome) -> bool:
        return await self._add("experiments.add_outcome", [outcome]) == 1

    @timed("experiments.add_outcomes")
    async def add_outcomes(self, outcomes: Iterable[ExperimentOutcome]) -> int:
        return await self._add("experiments.add_outcomes", list(outcomes))

    async def _add(self, statement: str, batch: Sequence[ExperimentOutcome]) -> int:
        if not batch:
            return 0
        session = self._session
        wanted = sorted({outcome.experiment_id for outcome in batch})
        known = {row["id"] for row in await session.fetch(statement, _KNOWN_EXPERIMENTS, wanted)}
        for experiment_id in wanted:
            if experiment_id not in known:
                raise NotFoundError("experiment", experiment_id)
        status = await session.execute(
            statement,
            _ADD_OUTCOMES,
            [outcome.experiment_id for outcome in batch],
            [outcome.prediction_id for outcome in batch],
            [outcome.arm.value for outcome in batch],
            [outcome.model_version for outcome in batch],
            [outcome.routing_key for outcome in batch],
            [outcome.values for outcome in batch],
            [outcome.observed_at for outcome in batch],
        )
        return _count(status)

    @timed("experiments.outcomes")
    async def outcomes(self, experiment_id: str) -> builtins.list[ExperimentOutcome]:
        rows = await self._session.fetch("experiments.outcomes", _OUTCOMES, experiment_id)
        return [_outcome(row) for row in rows]


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
_PREDICTION_LIST = ", ".join(PREDICTION_COLUMNS)

PREDICTION_STAGING_TABLE = "galfriday_predictions_incoming"
"""Session-local (TEMPORARY) table that COPY fills; emptied by the statement that moves its rows on."""

_CREATE_PREDICTION_STAGING = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {PREDICTION_STAGING_TABLE} (LIKE predictions) ON COMMIT DELETE ROWS
"""

_MOVE_STAGED_PREDICTIONS = f"""
WITH staged AS (DELETE FROM {PREDICTION_STAGING_TABLE} RETURNING {_PREDICTION_LIST})
INSERT INTO predictions ({_PREDICTION_LIST}) SELECT {_PREDICTION_LIST} FROM staged
ON CONFLICT (id) DO NOTHING
"""

_INSERT_PREDICTIONS = f"""
INSERT INTO predictions ({_PREDICTION_LIST})
SELECT * FROM unnest(
    $1::text[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::jsonb[],
    $9::text[]::double precision[], $10::timestamptz[], $11::text[]::double precision[], $12::text[]
)
ON CONFLICT (id) DO NOTHING
"""

_GET_PREDICTION = f"SELECT {_PREDICTION_LIST} FROM predictions WHERE id = $1"

_PREDICTIONS_OF_EXPERIMENT = f"""
SELECT {_PREDICTION_LIST} FROM predictions
WHERE experiment_id = $1 AND ($2::timestamptz IS NULL OR at >= $2) ORDER BY at, id
"""

_PREDICTIONS_OF_MODEL = f"""
SELECT {_PREDICTION_LIST} FROM predictions
WHERE model_name = $1 AND ($2::timestamptz IS NULL OR at >= $2) ORDER BY at DESC, id DESC LIMIT $3
"""

_PREDICTIONS_OF_VERSION = f"""
SELECT {_PREDICTION_LIST} FROM predictions
WHERE model_name = $1 AND version = $4 AND ($2::timestamptz IS NULL OR at >= $2) ORDER BY at DESC, id DESC LIMIT $3
"""


def prediction_row(record: PredictionRecord) -> tuple[Any, ...]:
    """The prediction as one row in `PREDICTION_COLUMNS` order, as COPY takes it (floats in binary, exact)."""
    return (
        record.id,
        record.model_name,
        record.version,
        record.experiment_id,
        None if record.arm is None else record.arm.value,
        record.routing_key,
        record.acted,
        {name: list(values) for name, values in record.outputs.items()},
        record.latency_seconds,
        record.at,
        record.bucket,
        record.features_hash,
    )


def _prediction_columns(records: Sequence[PredictionRecord]) -> list[list[Any]]:
    """The batch as one array per column, for `unnest`; floats as their shortest exact text."""
    columns = [list(column) for column in zip(*(prediction_row(record) for record in records), strict=True)]
    columns[8] = [repr(value) for value in columns[8]]
    columns[10] = [None if value is None else repr(value) for value in columns[10]]
    return columns


def _prediction(row: Any) -> PredictionRecord:
    return PredictionRecord(
        id=row["id"],
        model_name=row["model_name"],
        version=row["version"],
        experiment_id=row["experiment_id"],
        arm=row["arm"],
        routing_key=row["routing_key"],
        acted=row["acted"],
        outputs={name: tuple(float(v) for v in values) for name, values in row["outputs"].items()},
        latency_seconds=row["latency_seconds"],
        at=row["at"],
        bucket=row["bucket"],
        features_hash=row["features_hash"],
    )


class PostgresPredictions(_Repository):
    """`PredictionStore` on `predictions`: unique by id; a repeated id is ignored."""

    @timed("predictions.add_many")
    async def add_many(self, records: Iterable[PredictionRecord]) -> int:
        batch = records if isinstance(records, list | tuple) else list(records)
        if not batch:
            return 0
        session = self._session
        if len(batch) < PREDICTION_COPY_ROWS:
            columns = _prediction_columns(batch)
            return _count(await session.execute("predictions.add_many", _INSERT_PREDICTIONS, *columns))
        await session.execute("predictions.add_many", _CREATE_PREDICTION_STAGING)
        await session.copy_records(
            PREDICTION_STAGING_TABLE, PREDICTION_COLUMNS, (prediction_row(record) for record in batch)
        )
        return _count(await session.execute("predictions.add_many", _MOVE_STAGED_PREDICTIONS))

    @timed("predictions.get")
    async def get(self, prediction_id: str) -> PredictionRecord | None:
        row = await self._session.fetchrow("predictions.get", _GET_PREDICTION, prediction_id)
        return None if row is None else _prediction(row)

    @timed("predictions.for_experiment")
    async def for_experiment(
        self, experiment_id: str, since: datetime | None = None
    ) -> list[PredictionRecord]:
        rows = await self._session.fetch(
            "predictions.for_experiment", _PREDICTIONS_OF_EXPERIMENT, experiment_id, since
        )
        return [_prediction(row) for row in rows]

    @timed("predictions.for_model")
    async def for_model(
        self, name: str, version: int | None = None, since: datetime | None = None, limit: int = 10_000
    ) -> list[PredictionRecord]:
        """The newest `limit` rows, read newest first through the index, then put oldest first."""
        if version is None:
            rows = await self._session.fetch(
                "predictions.for_model", _PREDICTIONS_OF_MODEL, name, since, max(limit, 0)
            )
        else:
            rows = await self._session.fetch(
                "predictions.for_model", _PREDICTIONS_OF_VERSION, name, since, max(limit, 0), version
            )
        return [_prediction(row) for row in reversed(rows)]
