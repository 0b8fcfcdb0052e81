"""Values across the asyncpg boundary: exact decimals, UTC instants, floats and naive datetimes refused, JSONB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import asyncpg
import pytest
import pytest_asyncio

from galfriday.adapters.postgres.codecs import bind, register_codecs
from galfriday.adapters.postgres.store import PostgresStore
from galfriday.errors import FloatAmountError, NaiveDatetimeError
from galfriday.testing import samples

pytestmark = pytest.mark.postgres

SCALES = [
    "0.10",
    "1.000000000000000000000000000001",
    "-0.5",
    "100",
    "0",
    "0.00",
    "123456789012345678901234567890.5",
]


@pytest_asyncio.fixture
async def connection(migrated_module_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A bare asyncpg connection with the store's codecs."""
    connection = await asyncpg.connect(migrated_module_dsn)
    await register_codecs(connection)
    yield connection
    await connection.close()


@pytest.mark.parametrize("text", SCALES)
async def test_a_balance_keeps_the_decimal_digits_and_exponent_it_was_given(
    pg_store: PostgresStore, text: str
) -> None:
    amount = Decimal(text)
    async with pg_store.unit_of_work() as uow:
        await uow.balances.save(samples.balance("BTC", total=amount.copy_abs(), available=amount.copy_abs()))
        await uow.commit()
    async with pg_store.unit_of_work() as uow:
        stored = await uow.balances.get("BTC")
    assert stored is not None
    assert str(stored.total) == str(amount.copy_abs())
    assert stored.total.as_tuple() == amount.copy_abs().as_tuple()


async def test_decimal_0_10_stays_0_10_in_a_numeric_column(connection: asyncpg.Connection) -> None:
    value = await connection.fetchval("SELECT $1::numeric", Decimal("0.10"))
    assert str(value) == "0.10"


async def test_an_instant_comes_back_as_the_same_instant_in_utc(pg_store: PostgresStore) -> None:
    given = datetime(2026, 3, 29, 1, 2, 3, 999999, tzinfo=timezone(timedelta(hours=-9, minutes=-30)))
    async with pg_store.unit_of_work() as uow:
        await uow.positions.save(samples.position(updated_at=given))
        await uow.commit()
    async with pg_store.unit_of_work() as uow:
        stored = await uow.positions.get("BTC/USD")
    assert stored is not None
    assert stored.updated_at == given
    assert stored.updated_at.tzinfo is UTC


def test_binding_a_float_raises_float_amount_error() -> None:
    with pytest.raises(FloatAmountError) as raised:
        bind("balances.save", ["BTC", Decimal(1), 0.1])
    assert "balances.save" in str(raised.value)
    assert "$3" in str(raised.value)


def test_binding_a_float_inside_an_array_raises_float_amount_error() -> None:
    with pytest.raises(FloatAmountError):
        bind("executions.add_many", [[Decimal("1"), 2.5]])


def test_binding_a_naive_datetime_raises_naive_datetime_error() -> None:
    with pytest.raises(NaiveDatetimeError):
        bind("orders.list_updated_since", [datetime(2026, 1, 1)])


def test_binding_a_json_document_with_floats_is_allowed() -> None:
    assert bind("models.register", [{"accuracy": 0.93}]) == [{"accuracy": 0.93}]


async def test_a_float_smuggled_into_a_balance_is_refused_before_any_sql(pg_store: PostgresStore) -> None:
    tampered = samples.balance("BTC")
    object.__setattr__(tampered, "total", 1000.25)
    async with pg_store.unit_of_work() as uow:
        with pytest.raises(FloatAmountError):
            await uow.balances.save(tampered)
        assert await uow.balances.all() == []


async def test_a_naive_datetime_given_to_a_query_is_refused(pg_store: PostgresStore) -> None:
    async with pg_store.unit_of_work() as uow:
        with pytest.raises(NaiveDatetimeError):
            await uow.executions.since(datetime(2026, 1, 1))
        with pytest.raises(NaiveDatetimeError):
            await uow.candles.range("BTC/USD", 60, datetime(2026, 1, 1), datetime(2026, 1, 2))


async def test_a_float_given_to_a_query_is_refused(pg_store: PostgresStore) -> None:
    async with pg_store.unit_of_work() as uow:
        with pytest.raises(FloatAmountError):
            await uow.journal.read(after_sequence=1.5)  # type: ignore[arg-type]


async def test_jsonb_goes_through_copy_and_back(connection: asyncpg.Connection) -> None:
    document = {"fees": {"USD": "0.10"}, "tags": ["btc", "1m"], "rows": 1200, "nested": {"ok": True}}
    await connection.execute("CREATE TEMPORARY TABLE documents (body jsonb NOT NULL, note text)")
    await connection.copy_records_to_table(
        "documents", records=[(document, "copied")], columns=["body", "note"]
    )
    assert await connection.fetchval("SELECT body FROM documents") == document
    assert await connection.fetchval("SELECT body -> 'fees' ->> 'USD' FROM documents") == "0.10"


async def test_jsonb_parameters_are_stored_as_json_not_as_text(connection: asyncpg.Connection) -> None:
    kind = await connection.fetchval("SELECT jsonb_typeof($1::jsonb)", {"a": [1, 2]})
    assert kind == "object"


async def test_order_fees_are_stored_as_exact_decimal_strings_in_jsonb(
    pg_store: PostgresStore, migrated_module_dsn: str
) -> None:
    order = samples.order("order-1", fees={"USD": Decimal("0.10"), "BTC": Decimal("0.00000001")})
    async with pg_store.unit_of_work() as uow:
        await uow.orders.add(order)
        await uow.commit()
    connection = await asyncpg.connect(migrated_module_dsn)
    try:
        fees = await connection.fetchval("SELECT fees::text FROM orders")
    finally:
        await connection.close()
    assert fees == '{"BTC": "1E-8", "USD": "0.10"}'
