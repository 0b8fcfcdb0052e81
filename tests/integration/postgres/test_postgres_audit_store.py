"""What the Postgres store does for the audit records beyond the contract: every call timed under its name,
concurrent units of work that finish one experiment or move one model version, and both prediction paths."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from galfriday.adapters.postgres.audit_repositories import PREDICTION_COPY_ROWS
from galfriday.adapters.postgres.store import PostgresStore
from galfriday.adapters.sql.migrations import migrate, rollback
from galfriday.domain.experiments import ExperimentStatus
from galfriday.domain.models import ModelStage, ModelStageChange
from galfriday.errors import InvalidValueError, StoreError
from galfriday.testing import samples
from galfriday.testing.audit_store_contract import (
    AUDIT_STATEMENT_NAMES,
    call_every_audit_method,
    experiment,
    prediction,
)
from galfriday.testing.samples import instant
from galfriday.testing.store_assertions import read, write

pytestmark = pytest.mark.postgres

TIMEOUT = 30


async def test_every_audit_repository_call_is_counted_under_its_name(pg_store: PostgresStore) -> None:
    async with pg_store.unit_of_work() as uow:
        await call_every_audit_method(uow)
        await uow.commit()
    stats = pg_store.monitor.snapshot()
    assert {name: stats[name].count for name in AUDIT_STATEMENT_NAMES if name in stats} == dict.fromkeys(
        AUDIT_STATEMENT_NAMES, 1
    )


async def test_of_two_concurrent_finishes_of_one_experiment_exactly_one_wins(pg_store: PostgresStore) -> None:
    await write(pg_store, lambda uow: uow.experiments.create(experiment()))
    both_read = asyncio.Barrier(2)

    async def finish(status: ExperimentStatus) -> str:
        async with pg_store.unit_of_work() as uow:
            await uow.experiments.get("exp-1")
            await both_read.wait()  # both saw it running before either moves it
            try:
                await uow.experiments.finish("exp-1", status, {"by": status.value}, instant(5))
            except InvalidValueError:
                return "refused"
            await asyncio.sleep(0.05)  # hold the row lock while the other waits for it
            await uow.commit()
            return "finished"

    async with asyncio.timeout(TIMEOUT):
        outcomes = await asyncio.gather(finish(ExperimentStatus.CONCLUDED), finish(ExperimentStatus.STOPPED))
    assert sorted(outcomes) == ["finished", "refused"]
    stored = await read(pg_store, lambda uow: uow.experiments.get("exp-1"))
    assert stored is not None
    assert stored.conclusion == {"by": stored.status.value}


async def test_concurrent_stage_moves_of_one_version_record_a_connected_history(
    pg_store: PostgresStore,
) -> None:
    await write(pg_store, lambda uow: uow.models.register(**samples.model_registration("alpha")))
    moves = [ModelStage.STAGING, ModelStage.PRODUCTION, ModelStage.ARCHIVED, ModelStage.STAGING]

    async def move(stage: ModelStage, at_second: int) -> None:
        async with pg_store.unit_of_work() as uow:
            await uow.models.set_stage("alpha", 1, stage, actor="tester", at=instant(at_second))
            await asyncio.sleep(0.01)
            await uow.commit()

    async with asyncio.timeout(TIMEOUT):
        await asyncio.gather(*(move(stage, i) for i, stage in enumerate(moves)))
    history = await read(pg_store, lambda uow: uow.models.stage_history("alpha"))
    assert sorted(change.to_stage for change in history) == sorted(moves)
    # However the moves interleaved, each starts where the one committed before it ended: one unbroken chain.
    chain = _chain(history)
    assert len(chain) == len(moves)
    version = await read(pg_store, lambda uow: uow.models.get("alpha", 1))
    assert version is not None
    assert version.stage == chain[-1].to_stage


async def test_small_and_large_prediction_batches_take_their_own_paths_and_count_new_rows(
    pg_store: PostgresStore, migrated_module_dsn: str
) -> None:
    small = [prediction(f"s{i}", at=instant(i)) for i in range(PREDICTION_COPY_ROWS - 1)]
    large = [prediction(f"l{i}", at=instant(i)) for i in range(PREDICTION_COPY_ROWS)]
    async with pg_store.unit_of_work() as uow:
        assert await uow.predictions.add_many(small) == len(small)
        assert await uow.predictions.add_many(large + small[:5]) == len(large)
        assert await uow.predictions.add_many([*small[:3], prediction("new")]) == 1
        await uow.commit()
    connection = await asyncpg.connect(migrated_module_dsn)
    try:
        assert await connection.fetchval("SELECT count(*) FROM predictions") == len(small) + len(large) + 1
    finally:
        await connection.close()


def _chain(changes: list[ModelStageChange]) -> list[ModelStageChange]:
    """All the changes in an order where each starts at the stage the one before it ended, from development
    (the order they committed in); empty when there is no such order.

    A search, not a greedy walk: a stage reached twice (staging, here) has two ways on, and only one of them
    may lead through every change."""

    def extend(current: ModelStage, remaining: list[ModelStageChange]) -> list[ModelStageChange] | None:
        if not remaining:
            return []
        for index, change in enumerate(remaining):
            if change.from_stage == current:
                rest = extend(change.to_stage, remaining[:index] + remaining[index + 1 :])
                if rest is not None:
                    return [change, *rest]
        return None

    return extend(ModelStage.DEVELOPMENT, list(changes)) or []


async def test_starting_on_a_database_without_the_audit_migration_says_to_migrate(empty_dsn: str) -> None:
    migrate("postgres", empty_dsn)
    rollback("postgres", empty_dsn, 2)
    store = PostgresStore(empty_dsn)
    with pytest.raises(StoreError, match="galfriday db migrate"):
        await store.start()
