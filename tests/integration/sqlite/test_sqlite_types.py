"""SQLite values: amounts keep every digit and their exponent, instants keep microseconds, and a float or a
naive datetime is refused before it reaches SQL."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from galfriday.adapters.sqlite import codecs
from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.errors import FloatAmountError, NaiveDatetimeError, StoreError
from galfriday.testing import samples

DECIMAL_FORMS = ["0.10", "0.00000000", "1E+3", "-0", "-12.3400", "123456789012345678901234567890.000000001"]
INSTANTS = [
    datetime(2026, 3, 29, 7, 15, 30, 123456, tzinfo=UTC),
    datetime(2026, 3, 29, 7, 15, 30, 1, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]
NAIVE = datetime(2026, 1, 5, 12, 0)


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(tmp_path / "types.db")
    await store.start()
    yield store
    await store.close()


def raw(store: SqliteStore, sql: str) -> list[tuple[object, ...]]:
    """Rows as a second, plain connection sees them in the file."""
    with sqlite3.connect(store.path) as db:
        return db.execute(sql).fetchall()


@pytest.mark.parametrize("text", DECIMAL_FORMS)
def test_a_decimal_round_trips_with_its_digits_and_exponent(text: str) -> None:
    value = Decimal(text)
    back = codecs.text_to_decimal(codecs.decimal_to_text("amount", value))
    assert back.as_tuple() == value.as_tuple()


@pytest.mark.parametrize("instant", INSTANTS, ids=str)
def test_an_instant_round_trips_to_the_microsecond_in_utc(instant: datetime) -> None:
    back = codecs.micros_to_instant(codecs.instant_to_micros("at", instant))
    assert back == instant
    assert back.tzinfo is UTC


def test_instants_are_stored_as_microseconds_since_the_epoch() -> None:
    assert codecs.instant_to_micros("at", datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC)) == 1_000_005


def test_a_float_amount_is_refused() -> None:
    with pytest.raises(FloatAmountError) as raised:
        codecs.decimal_to_text("price", 0.1)
    assert raised.value.field == "price"


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError) as raised:
        codecs.instant_to_micros("since", NAIVE)
    assert raised.value.field == "since"


async def test_a_trailing_zero_survives_the_file(store: SqliteStore) -> None:
    held = samples.balance("BTC", total=Decimal("0.10"), available=Decimal("0.10"))
    async with store.unit_of_work() as uow:
        await uow.balances.save(held)
        await uow.commit()
    assert raw(store, "SELECT total, typeof(total) FROM balances") == [("0.10", "text")]
    async with store.unit_of_work() as uow:
        stored = await uow.balances.get("BTC")
    assert stored is not None
    assert str(stored.total) == "0.10"


async def test_an_instant_is_an_integer_in_the_file(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        await uow.executions.add(samples.execution(timestamp=INSTANTS[0]))
        await uow.commit()
    [(ts, kind)] = raw(store, "SELECT ts, typeof(ts) FROM executions")
    assert kind == "integer"
    assert ts == codecs.instant_to_micros("ts", INSTANTS[0])


async def test_a_float_smuggled_into_a_domain_value_never_reaches_the_file(store: SqliteStore) -> None:
    smuggled = samples.balance("BTC")
    object.__setattr__(smuggled, "total", 0.1)
    async with store.unit_of_work() as uow:
        with pytest.raises(FloatAmountError):
            await uow.balances.save(smuggled)
        await uow.commit()
    assert raw(store, "SELECT COUNT(*) FROM balances") == [(0,)]


@pytest.mark.parametrize(
    "query",
    [
        lambda uow: uow.orders.list_updated_since(NAIVE),
        lambda uow: uow.executions.since(NAIVE),
        lambda uow: uow.candles.range("BTC/USD", 60, NAIVE, NAIVE),
        lambda uow: uow.candles.delete_range("BTC/USD", 60, NAIVE, NAIVE),
        lambda uow: uow.candles.day_counts(60, NAIVE),
        lambda uow: uow.journal.delete_before(NAIVE),
        lambda uow: uow.models.register(**samples.model_registration(created_at=NAIVE)),
    ],
    ids=[
        "orders.since",
        "executions.since",
        "candles.range",
        "candles.delete",
        "candles.days",
        "journal",
        "model",
    ],
)
async def test_a_naive_datetime_argument_is_refused_by_the_repository(
    store: SqliteStore, query: object
) -> None:
    async with store.unit_of_work() as uow:
        with pytest.raises(NaiveDatetimeError):
            await query(uow)  # type: ignore[operator]


async def test_metadata_that_is_not_json_is_refused_before_sql(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        with pytest.raises(ValueError, match="metadata"):
            await uow.models.register(**samples.model_registration(metadata={"when": NAIVE}))
        assert await uow.models.versions("alpha") == []


async def test_candle_days_before_1970_are_counted_on_their_own_utc_day(store: SqliteStore) -> None:
    last_evening = datetime(1969, 12, 31, 23, 0, tzinfo=UTC)
    async with store.unit_of_work() as uow:
        await uow.candles.upsert_many(
            [samples.candle(last_evening), samples.candle(last_evening + timedelta(hours=1))]
        )
        counts = await uow.candles.day_counts(60, datetime(1970, 1, 2, tzinfo=UTC))
    assert [(c.day.isoformat(), c.rows) for c in counts] == [("1969-12-31", 1), ("1970-01-01", 1)]


async def test_a_sqlite_failure_surfaces_as_a_store_error_naming_the_call(store: SqliteStore) -> None:
    keyless = samples.balance("BTC")
    object.__setattr__(keyless, "asset", None)
    async with store.unit_of_work() as uow:
        with pytest.raises(StoreError, match=r"balances\.save failed in SQLite: NOT NULL"):
            await uow.balances.save(keyless)
