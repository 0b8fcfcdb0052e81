"""What the Postgres store does beyond the contract: pool settings, monitoring, bulk paths, partitions, venues,
failed statements, lifecycle, and its plugin."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import attrs
import pytest
import pytest_asyncio

from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.postgres import repositories
from galfriday.adapters.postgres.plugin import make_postgres_store
from galfriday.adapters.postgres.store import PostgresStore
from galfriday.app import App
from galfriday.config import Config, Secret, StoreConfig
from galfriday.domain.market_data import Candle
from galfriday.domain.order_status import TERMINAL
from galfriday.errors import (
    ConfigurationError,
    DuplicateKeyError,
    InvalidValueError,
    StoreError,
    UnitOfWorkError,
)
from galfriday.hookspecs import AdapterContext
from galfriday.testing import samples
from galfriday.testing.store_assertions import read, write

pytestmark = pytest.mark.postgres


@pytest_asyncio.fixture
async def raw(migrated_module_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection to look behind the store's back."""
    connection = await asyncpg.connect(migrated_module_dsn)
    yield connection
    await connection.close()


def minute_bars(start: datetime, count: int, **changes: object) -> list[Candle]:
    return [samples.candle(start + timedelta(minutes=i), **changes) for i in range(count)]


async def partition_of(raw: asyncpg.Connection, open_time: datetime) -> str:
    return str(
        await raw.fetchval("SELECT tableoid::regclass::text FROM candles WHERE open_time = $1", open_time)
    )


# --- pool and lifecycle ------------------------------------------------------------------------------------


async def test_connections_carry_the_configured_application_name(
    pg_store: PostgresStore, raw: asyncpg.Connection
) -> None:
    async with pg_store.unit_of_work():
        names = await raw.fetch(
            "SELECT application_name FROM pg_stat_activity WHERE datname = current_database()"
        )
    assert "galfriday-tests" in {row["application_name"] for row in names}


async def test_the_pool_never_opens_more_than_its_maximum(
    migrated_module_dsn: str, raw: asyncpg.Connection
) -> None:
    store = PostgresStore(
        migrated_module_dsn, pool_min_size=0, pool_max_size=2, application_name="galfriday-pool"
    )
    await store.start()

    async def hold() -> None:
        async with store.unit_of_work() as uow:
            await uow.balances.all()
            await asyncio.sleep(0.2)

    try:
        await asyncio.gather(*(hold() for _ in range(5)))
        count = await raw.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'galfriday-pool'"
        )
    finally:
        await store.close()
    assert count <= 2


async def test_a_unit_of_work_from_a_store_not_started_is_refused(migrated_module_dsn: str) -> None:
    with pytest.raises(UnitOfWorkError):
        PostgresStore(migrated_module_dsn).unit_of_work()


async def test_a_closed_store_refuses_new_units_of_work_and_starts_again(migrated_module_dsn: str) -> None:
    store = PostgresStore(migrated_module_dsn)
    await store.start()
    await store.close()
    with pytest.raises(UnitOfWorkError):
        store.unit_of_work()
    await store.start()
    async with store.unit_of_work() as uow:
        assert await uow.balances.get("NONE") is None
    await store.close()


async def test_closing_inside_a_unit_of_work_is_refused(pg_store: PostgresStore) -> None:
    async with pg_store.unit_of_work():
        with pytest.raises(UnitOfWorkError):
            await pg_store.close()


async def test_starting_on_a_database_without_the_schema_says_to_migrate(empty_dsn: str) -> None:
    store = PostgresStore(empty_dsn)
    with pytest.raises(StoreError, match="galfriday db migrate"):
        await store.start()


async def test_an_unreachable_server_is_a_store_error_that_does_not_show_the_password() -> None:
    store = PostgresStore("postgresql://someone:hunter2@127.0.0.1:1/nowhere")
    with pytest.raises(StoreError) as raised:
        await store.start()
    assert "hunter2" not in str(raised.value)
    assert "hunter2" not in repr(store)


# --- failed statements --------------------------------------------------------------------------------------


async def test_a_failed_statement_leaves_the_unit_able_only_to_roll_back(pg_store: PostgresStore) -> None:
    async with pg_store.unit_of_work() as uow:
        await uow.balances.save(samples.balance("USD"))
        with pytest.raises(StoreError):
            await uow.journal.append(samples.journal_entry("NUL \x00 is not allowed in Postgres text"))
        with pytest.raises(UnitOfWorkError):
            await uow.balances.all()
        with pytest.raises(UnitOfWorkError, match="rolled back"):
            await uow.commit()
    async with pg_store.unit_of_work() as uow:
        assert await uow.balances.all() == []


async def test_a_refused_duplicate_leaves_the_unit_of_work_usable(pg_store: PostgresStore) -> None:
    async with pg_store.unit_of_work() as uow:
        await uow.orders.add(samples.order("order-1"))
        with pytest.raises(DuplicateKeyError):
            await uow.orders.add(samples.order("order-1"))
        await uow.balances.save(samples.balance("USD"))
        await uow.commit()
    async with pg_store.unit_of_work() as uow:
        assert await uow.orders.get("order-1") == samples.order("order-1")
        assert await uow.balances.all() == [samples.balance("USD")]


# --- executions: batches, conflicts, venues ----------------------------------------------------------------


async def test_a_batch_refused_for_a_conflict_writes_none_of_its_new_executions(
    pg_store: PostgresStore,
) -> None:
    async with pg_store.unit_of_work() as uow:
        await uow.executions.add(samples.execution("exec-1"))
        await uow.commit()
    async with pg_store.unit_of_work() as uow:
        with pytest.raises(DuplicateKeyError):
            await uow.executions.add_many(
                [samples.execution("exec-2"), samples.execution("exec-1", price=Decimal("1"))]
            )
        assert await uow.executions.get("exec-2") is None
        await uow.commit()
    async with pg_store.unit_of_work() as uow:
        assert [e.exec_id for e in await uow.executions.since(samples.instant(-1))] == ["exec-1"]


async def test_a_batch_naming_one_exec_id_twice_with_different_content_is_refused(
    pg_store: PostgresStore,
) -> None:
    batch = [samples.execution("exec-1"), samples.execution("exec-1", fee=Decimal("0"))]
    async with pg_store.unit_of_work() as uow:
        with pytest.raises(DuplicateKeyError):
            await uow.executions.add_many(batch)
        assert await uow.executions.get("exec-1") is None


async def test_a_large_batch_of_executions_is_stored_whole(pg_store: PostgresStore) -> None:
    batch = [samples.execution(f"x-{i:05d}", timestamp=samples.instant(i)) for i in range(2000)]
    async with pg_store.unit_of_work() as uow:
        assert await uow.executions.add_many(batch) == 2000
        assert await uow.executions.add_many(batch) == 0
        await uow.commit()
    async with pg_store.unit_of_work() as uow:
        assert await uow.executions.since(samples.instant(-1)) == batch


async def test_the_same_execution_added_concurrently_is_new_exactly_once(pg_store: PostgresStore) -> None:
    async def add() -> bool:
        async with pg_store.unit_of_work() as uow:
            added = await uow.executions.add(samples.execution("exec-1"))
            await asyncio.sleep(0.05)
            await uow.commit()
            return added

    results = await asyncio.wait_for(asyncio.gather(*(add() for _ in range(5))), timeout=30)
    assert sorted(results) == [False, False, False, False, True]


async def test_each_venue_sees_only_its_own_executions(
    pg_store: PostgresStore, migrated_module_dsn: str
) -> None:
    other = PostgresStore(migrated_module_dsn, venue="kraken")
    await other.start()
    try:
        async with pg_store.unit_of_work() as uow:
            await uow.executions.add(samples.execution("exec-1"))
            await uow.commit()
        async with other.unit_of_work() as uow:
            assert await uow.executions.get("exec-1") is None
            assert await uow.executions.add(samples.execution("exec-1", price=Decimal("2"))) is True
            await uow.commit()
        async with pg_store.unit_of_work() as uow:
            stored = await uow.executions.get("exec-1")
        assert stored == samples.execution("exec-1")
    finally:
        await other.close()


# --- candles: COPY, partitions ------------------------------------------------------------------------------


async def test_a_large_batch_goes_through_copy_and_the_last_duplicate_wins(pg_store: PostgresStore) -> None:
    start = datetime(2026, 1, 31, 23, 0, tzinfo=UTC)
    bars = minute_bars(start, 300)
    replaced = samples.candle(start, close=Decimal("30001.5"), trade_count=1)
    assert len(bars) >= repositories.COPY_FROM_ROWS
    async with pg_store.unit_of_work() as uow:
        assert await uow.candles.upsert_many([*bars, replaced]) == 300
        await uow.commit()
    async with pg_store.unit_of_work() as uow:
        stored = await uow.candles.range("BTC/USD", 60, start, start + timedelta(hours=5))
    assert stored == [replaced, *bars[1:]]


async def test_re_ingesting_a_large_range_replaces_it(pg_store: PostgresStore) -> None:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    async with pg_store.unit_of_work() as uow:
        await uow.candles.upsert_many(minute_bars(start, 500))
        await uow.commit()
    again = minute_bars(start, 500, volume=Decimal("7.25"))
    async with pg_store.unit_of_work() as uow:
        assert await uow.candles.upsert_many(again) == 500
        assert await uow.candles.upsert_many(again) == 500
        await uow.commit()
    async with pg_store.unit_of_work() as uow:
        assert await uow.candles.range("BTC/USD", 60, start, start + timedelta(days=1)) == again


async def test_candles_land_in_their_utc_month_partition(
    pg_store: PostgresStore, raw: asyncpg.Connection
) -> None:
    last_minute = datetime(2013, 4, 30, 23, 59, tzinfo=UTC)
    async with pg_store.unit_of_work() as uow:
        await uow.candles.upsert_many(minute_bars(last_minute, 2))
        await uow.commit()
    assert await partition_of(raw, last_minute) == "candles_p201304"
    assert await partition_of(raw, last_minute + timedelta(minutes=1)) == "candles_p201305"


async def test_a_partition_made_in_a_rolled_back_unit_is_made_again(
    pg_store: PostgresStore, raw: asyncpg.Connection
) -> None:
    when = datetime(2011, 7, 1, tzinfo=UTC)
    async with pg_store.unit_of_work() as uow:
        await uow.candles.upsert_many([samples.candle(when)])
    async with pg_store.unit_of_work() as uow:
        await uow.candles.upsert_many([samples.candle(when)])
        await uow.commit()
    assert await partition_of(raw, when) == "candles_p201107"


async def test_concurrent_units_writing_a_new_month_all_succeed(
    pg_store: PostgresStore, raw: asyncpg.Connection
) -> None:
    when = datetime(2012, 2, 10, tzinfo=UTC)

    async def write(symbol: str) -> None:
        async with pg_store.unit_of_work() as uow:
            await uow.candles.upsert_many(minute_bars(when, 150, symbol=symbol))
            await uow.commit()

    symbols = ["BTC/USD", "ETH/USD", "SOL/USD", "XRP/USD"]
    await asyncio.wait_for(asyncio.gather(*(write(symbol) for symbol in symbols)), timeout=30)
    counts = await raw.fetch("SELECT tableoid::regclass::text AS part, count(*) FROM candles GROUP BY part")
    assert [(row["part"], row["count"]) for row in counts] == [("candles_p201202", 600)]


async def test_expired_partitions_are_dropped_only_once_empty(
    pg_store: PostgresStore, raw: asyncpg.Connection
) -> None:
    march, april = datetime(2015, 3, 10, tzinfo=UTC), datetime(2015, 4, 10, tzinfo=UTC)
    async with pg_store.unit_of_work() as uow:
        await uow.candles.upsert_many([samples.candle(march), samples.candle(april)])
        await uow.commit()
    async with pg_store.unit_of_work() as uow:
        assert await uow.candles.delete_range("BTC/USD", 60, march, march + timedelta(days=1)) == 1
        dropped = await uow.candles.drop_expired_partitions(datetime(2015, 5, 1, tzinfo=UTC))
        await uow.commit()
    assert "candles_p201503" in dropped
    assert "candles_p201504" not in dropped
    assert await raw.fetchval("SELECT to_regclass('candles_p201503')") is None
    async with pg_store.unit_of_work() as uow:
        await uow.candles.upsert_many([samples.candle(march)])
        await uow.commit()
    assert await partition_of(raw, march) == "candles_p201503"


# --- models under concurrency -------------------------------------------------------------------------------


async def test_concurrent_registrations_of_different_models_do_not_wait_for_each_other(
    pg_store: PostgresStore,
) -> None:
    async def register(name: str) -> int:
        async with pg_store.unit_of_work() as uow:
            registered = await uow.models.register(**samples.model_registration(name))
            await uow.commit()
            return registered.version

    versions = await asyncio.wait_for(
        asyncio.gather(*(register(name) for name in ["a", "b", "a", "b", "a"])), timeout=30
    )
    assert sorted(versions) == [1, 1, 2, 2, 3]


# --- monitoring ---------------------------------------------------------------------------------------------


async def test_every_repository_call_is_counted_under_its_name(pg_store: PostgresStore) -> None:
    async with pg_store.unit_of_work() as uow:
        await uow.orders.add(samples.order("order-1"))
        await uow.orders.get("order-1")
        await uow.orders.get("order-2")
        await uow.candles.upsert_many([samples.candle()])
        await uow.commit()
    stats = pg_store.monitor.snapshot()
    assert stats["orders.add"].count == 1
    assert stats["orders.get"].count == 2
    assert stats["candles.upsert_many"].count == 1


async def test_retention_run_calls_are_counted_under_their_names(pg_store: PostgresStore) -> None:
    async with pg_store.unit_of_work() as uow:
        await uow.retention_runs.record(samples.retention_run())
        await uow.retention_runs.recent()
        await uow.commit()
    stats = pg_store.monitor.snapshot()
    assert (stats["retention_runs.record"].count, stats["retention_runs.recent"].count) == (1, 1)


async def test_a_refused_call_is_counted_as_a_failure(pg_store: PostgresStore) -> None:
    async with pg_store.unit_of_work() as uow:
        await uow.orders.add(samples.order("order-1"))
        with pytest.raises(DuplicateKeyError):
            await uow.orders.add(samples.order("order-1"))
    assert pg_store.monitor.snapshot()["orders.add"].failures == 1


async def test_calls_slower_than_the_threshold_are_logged_with_their_name(
    migrated_module_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = PostgresStore(migrated_module_dsn, slow_query_ms=0)
    await store.start()
    try:
        with caplog.at_level(logging.WARNING, logger="galfriday.store.queries"):
            async with store.unit_of_work() as uow:
                await uow.balances.all()
    finally:
        await store.close()
    assert any(getattr(record, "statement", None) == "balances.all" for record in caplog.records)


# --- SQL that must match the schema -------------------------------------------------------------------------


def test_the_open_order_query_names_exactly_the_terminal_statuses() -> None:
    assert set(repositories.TERMINAL_STATUSES) == {status.value for status in TERMINAL}
    quoted = ", ".join(f"'{status}'" for status in repositories.TERMINAL_STATUSES)
    assert f"status NOT IN ({quoted})" in repositories._OPEN_ORDERS


async def test_open_orders_are_read_through_the_partial_index(raw: asyncpg.Connection) -> None:
    await raw.execute("SET enable_seqscan = off")
    plan = "\n".join(row[0] for row in await raw.fetch("EXPLAIN " + repositories._OPEN_ORDERS, None))
    assert "orders_open_idx" in plan


# --- plugin and composition root ----------------------------------------------------------------------------


async def test_the_app_builds_a_postgres_store_from_configuration(migrated_module_dsn: str) -> None:
    config = Config(store=StoreConfig(adapter="postgres", dsn=Secret(migrated_module_dsn), pool_max_size=3))
    async with App.from_config(config, kinds=("store",)) as app:
        store = app.store
        assert isinstance(store, PostgresStore)
        assert store.venue == config.exchange.adapter
        await write(store, lambda uow: uow.balances.save(samples.balance("EUR")))
        assert await read(store, lambda uow: uow.balances.get("EUR")) == samples.balance("EUR")


@pytest.mark.parametrize(
    "changes",
    [
        {"dsn": None},
        {"dsn": Secret("sqlite:///x.db")},
        {"pool_min_size": 5, "pool_max_size": 2},
        {"command_timeout": 0.0},
    ],
)
def test_the_plugin_refuses_a_bad_store_configuration(changes: dict[str, object]) -> None:
    store_config = attrs.evolve(
        StoreConfig(adapter="postgres", dsn=Secret("postgresql://localhost/x")), **changes
    )
    ctx = AdapterContext(config=Config(store=store_config), settings={}, clock=ManualClock(samples.T0))
    with pytest.raises(ConfigurationError):
        make_postgres_store(ctx)


# --- cancellation -------------------------------------------------------------------------------------------


async def test_a_unit_of_work_cancelled_while_waiting_rolls_back_and_frees_its_connection(
    pg_store: PostgresStore, migrated_module_dsn: str
) -> None:
    store = PostgresStore(migrated_module_dsn, pool_min_size=0, pool_max_size=2)
    await store.start()
    first_holds_the_key = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> None:
        async with store.unit_of_work() as uow:
            await uow.orders.add(samples.order("order-1"))
            first_holds_the_key.set()
            await release_first.wait()
            await uow.commit()

    async def second() -> None:
        async with store.unit_of_work() as uow:
            await uow.balances.save(samples.balance("USD"))
            await uow.orders.add(samples.order("order-1"))  # waits for the first unit's key
            await uow.commit()

    try:
        holder = asyncio.create_task(first())
        await first_holds_the_key.wait()
        waiter = asyncio.create_task(second())
        await asyncio.sleep(0.2)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        release_first.set()
        await asyncio.wait_for(holder, timeout=10)
        for _ in range(3):  # both connections are usable again
            async with store.unit_of_work() as uow:
                assert await uow.balances.all() == []
                assert await uow.orders.get("order-1") == samples.order("order-1")
    finally:
        release_first.set()
        await store.close()


async def test_model_metadata_that_is_not_json_is_refused_and_the_unit_stays_usable(
    pg_store: PostgresStore,
) -> None:
    async with pg_store.unit_of_work() as uow:
        with pytest.raises(InvalidValueError):
            await uow.models.register(
                **samples.model_registration(metadata={"learning_rate": Decimal("0.1")})
            )
        registered = await uow.models.register(**samples.model_registration())
    assert registered.version == 1
