"""Postgres repositories: one class per store port, SQL in constants, values only as parameters.

Every public method is one timed call (`repository.method` in the store's `QueryMonitor`). A call that a port
says may be refused (a taken client order id, a conflicting execution) is written so Postgres raises nothing:
`ON CONFLICT DO NOTHING`, then a check, and the call undoes its own rows before raising the typed error. So a
refused call leaves the unit of work usable, as with the memory store. Any database error aborts the
transaction: it is raised as `StoreError`, and the unit of work then only rolls back.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import asyncpg
import attrs

from galfriday.adapters.postgres.codecs import encode_jsonb
from galfriday.domain.balances import Balance
from galfriday.domain.executions import Execution
from galfriday.domain.journal import JournalEntry
from galfriday.domain.market_data import Candle
from galfriday.domain.models import FeatureSpec, ModelAliasChange, ModelStage, ModelStageChange, ModelVersion
from galfriday.domain.orders import Order
from galfriday.domain.positions import Position
from galfriday.domain.retention import CandleDay, RetentionRun
from galfriday.errors import DuplicateKeyError, InvalidValueError, NotFoundError, StoreError

if TYPE_CHECKING:
    from galfriday.adapters.postgres.unit_of_work import Session

P = ParamSpec("P")
R = TypeVar("R")
RepositoryT = TypeVar("RepositoryT", bound="_Repository")

DATABASE_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)
"""What a statement can raise from below: server errors, driver errors, lost connections, command timeouts."""

TERMINAL_STATUSES = ("filled", "canceled", "expired", "rejected")
"""Written out in `_OPEN_ORDERS` word for word as in the partial index `orders_open_idx`, so Postgres uses it."""

MODEL_VERSION_LOCK = 0x67616C01
"""First key of the transaction advisory lock that serialises version numbering per model name."""

MODEL_ALIAS_LOCK = 0x67616C02
"""First key of the transaction advisory lock that serialises moves of one alias."""

COPY_FROM_ROWS = 100
"""Candle batches at least this large go through COPY; smaller ones through one `unnest` upsert."""


def timed(
    statement: str,
) -> Callable[
    [Callable[Concatenate[RepositoryT, P], Coroutine[Any, Any, R]]],
    Callable[Concatenate[RepositoryT, P], Coroutine[Any, Any, R]],
]:
    """Run a repository method as one timed call named `statement`, inside its unit of work.

    Refuses use outside the unit of work before timing; turns database errors into `StoreError` and marks
    the unit failed (Postgres has aborted its transaction).
    """

    def decorate(
        method: Callable[Concatenate[RepositoryT, P], Coroutine[Any, Any, R]],
    ) -> Callable[Concatenate[RepositoryT, P], Coroutine[Any, Any, R]]:
        async def call(self: RepositoryT, /, *args: P.args, **kwargs: P.kwargs) -> R:
            session = self._session
            session.connection()
            with session.monitor.timed(statement):
                try:
                    return await method(self, *args, **kwargs)
                except DATABASE_ERRORS as exc:
                    session.failed = True
                    raise StoreError(f"{statement} failed: {type(exc).__name__}: {exc}") from exc

        return functools.update_wrapper(call, method)

    return decorate


def _count(status: str) -> int:
    """Rows affected, from a command tag such as `INSERT 0 3` or `DELETE 2`."""
    return int(status.rsplit(" ", 1)[-1])


class _Repository:
    def __init__(self, session: Session) -> None:
        self._session = session


# --- orders ----------------------------------------------------------------------------------------------

_ORDER_COLUMNS = """client_order_id, exchange_order_id, symbol, side, order_type, time_in_force, quantity,
    limit_price, status, filled_quantity, filled_cost, fees, closed_filled_quantity, exec_ids, external, reason,
    created_at, updated_at"""

_INSERT_ORDER = f"""
INSERT INTO orders ({_ORDER_COLUMNS})
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
"""

_ADD_ORDER = _INSERT_ORDER + "ON CONFLICT (client_order_id) DO NOTHING"

_SAVE_ORDER = (
    _INSERT_ORDER
    + """ON CONFLICT (client_order_id) DO UPDATE SET
    exchange_order_id = EXCLUDED.exchange_order_id, symbol = EXCLUDED.symbol, side = EXCLUDED.side,
    order_type = EXCLUDED.order_type, time_in_force = EXCLUDED.time_in_force, quantity = EXCLUDED.quantity,
    limit_price = EXCLUDED.limit_price, status = EXCLUDED.status, filled_quantity = EXCLUDED.filled_quantity,
    filled_cost = EXCLUDED.filled_cost, fees = EXCLUDED.fees,
    closed_filled_quantity = EXCLUDED.closed_filled_quantity, exec_ids = EXCLUDED.exec_ids,
    external = EXCLUDED.external, reason = EXCLUDED.reason, created_at = EXCLUDED.created_at,
    updated_at = EXCLUDED.updated_at"""
)

_GET_ORDER = f"SELECT {_ORDER_COLUMNS} FROM orders WHERE client_order_id = $1"

_ORDER_BY_EXCHANGE_ID = f"""
SELECT {_ORDER_COLUMNS} FROM orders WHERE exchange_order_id = $1 ORDER BY created_at, client_order_id LIMIT 1
"""

_OPEN_ORDERS = f"""
SELECT {_ORDER_COLUMNS} FROM orders
WHERE status NOT IN ('filled', 'canceled', 'expired', 'rejected') AND ($1::text IS NULL OR symbol = $1)
ORDER BY created_at, client_order_id
"""

_ORDERS_UPDATED_SINCE = f"""
SELECT {_ORDER_COLUMNS} FROM orders WHERE updated_at >= $1 ORDER BY updated_at, client_order_id
"""


def _order_values(order: Order) -> tuple[Any, ...]:
    return (
        order.client_order_id,
        order.exchange_order_id,
        order.symbol,
        order.side.value,
        order.order_type.value,
        order.time_in_force.value,
        order.quantity,
        order.limit_price,
        order.status.value,
        order.filled_quantity,
        order.filled_cost,
        {currency: str(fee) for currency, fee in order.fees.items()},
        order.closed_filled_quantity,
        sorted(order.exec_ids),
        order.external,
        order.reason,
        order.created_at,
        order.updated_at,
    )


def _order(row: Any) -> Order:
    return Order(
        client_order_id=row["client_order_id"],
        exchange_order_id=row["exchange_order_id"],
        symbol=row["symbol"],
        side=row["side"],
        order_type=row["order_type"],
        time_in_force=row["time_in_force"],
        quantity=row["quantity"],
        limit_price=row["limit_price"],
        status=row["status"],
        filled_quantity=row["filled_quantity"],
        filled_cost=row["filled_cost"],
        fees={currency: Decimal(fee) for currency, fee in row["fees"].items()},
        closed_filled_quantity=row["closed_filled_quantity"],
        exec_ids=frozenset(row["exec_ids"]),
        external=row["external"],
        reason=row["reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class PostgresOrders(_Repository):
    """`OrderStore` on the `orders` table: unique by client order id, indexed by exchange order id."""

    @timed("orders.add")
    async def add(self, order: Order) -> None:
        status = await self._session.execute("orders.add", _ADD_ORDER, *_order_values(order))
        if _count(status) == 0:
            raise DuplicateKeyError("order", order.client_order_id)

    @timed("orders.save")
    async def save(self, order: Order) -> None:
        await self._session.execute("orders.save", _SAVE_ORDER, *_order_values(order))

    @timed("orders.get")
    async def get(self, client_order_id: str) -> Order | None:
        row = await self._session.fetchrow("orders.get", _GET_ORDER, client_order_id)
        return None if row is None else _order(row)

    @timed("orders.get_by_exchange_id")
    async def get_by_exchange_id(self, exchange_order_id: str) -> Order | None:
        row = await self._session.fetchrow(
            "orders.get_by_exchange_id", _ORDER_BY_EXCHANGE_ID, exchange_order_id
        )
        return None if row is None else _order(row)

    @timed("orders.list_open")
    async def list_open(self, symbol: str | None = None) -> list[Order]:
        rows = await self._session.fetch("orders.list_open", _OPEN_ORDERS, symbol)
        return [_order(row) for row in rows]

    @timed("orders.list_updated_since")
    async def list_updated_since(self, since: datetime) -> list[Order]:
        rows = await self._session.fetch("orders.list_updated_since", _ORDERS_UPDATED_SINCE, since)
        return [_order(row) for row in rows]


# --- executions ------------------------------------------------------------------------------------------

_EXECUTION_COLUMNS = """exec_id, order_id, client_order_id, trade_id, symbol, side, quantity, price, fee,
    fee_currency, liquidity, ts"""

_INSERT_EXECUTIONS = f"""
INSERT INTO executions (venue, {_EXECUTION_COLUMNS})
SELECT $1, * FROM unnest(
    $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::numeric[], $9::numeric[],
    $10::numeric[], $11::text[], $12::text[], $13::timestamptz[]
)
ON CONFLICT (venue, exec_id) DO NOTHING
RETURNING exec_id
"""

_EXECUTIONS_BY_ID = f"""
SELECT {_EXECUTION_COLUMNS} FROM executions WHERE venue = $1 AND exec_id = ANY($2::text[])
"""

_UNDO_EXECUTIONS = "DELETE FROM executions WHERE venue = $1 AND exec_id = ANY($2::text[])"

_GET_EXECUTION = f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE venue = $1 AND exec_id = $2"

_EXECUTIONS_OF_ORDER = f"""
SELECT {_EXECUTION_COLUMNS} FROM executions WHERE venue = $1 AND order_id = $2 ORDER BY ts, exec_id
"""

_EXECUTIONS_SINCE = f"""
SELECT {_EXECUTION_COLUMNS} FROM executions WHERE venue = $1 AND ts >= $2 ORDER BY ts, exec_id
"""

_LATEST_EXECUTION = f"""
SELECT {_EXECUTION_COLUMNS} FROM executions WHERE venue = $1 ORDER BY ts DESC, exec_id DESC LIMIT 1
"""


def _execution(row: Any) -> Execution:
    return Execution(
        exec_id=row["exec_id"],
        order_id=row["order_id"],
        client_order_id=row["client_order_id"],
        trade_id=row["trade_id"],
        symbol=row["symbol"],
        side=row["side"],
        quantity=row["quantity"],
        price=row["price"],
        fee=row["fee"],
        fee_currency=row["fee_currency"],
        liquidity=row["liquidity"],
        timestamp=row["ts"],
    )


def _execution_columns(executions: Sequence[Execution]) -> list[list[Any]]:
    """The batch as one array per column, for `unnest`."""
    return [
        [e.exec_id for e in executions],
        [e.order_id for e in executions],
        [e.client_order_id for e in executions],
        [e.trade_id for e in executions],
        [e.symbol for e in executions],
        [e.side.value for e in executions],
        [e.quantity for e in executions],
        [e.price for e in executions],
        [e.fee for e in executions],
        [e.fee_currency for e in executions],
        [e.liquidity.value for e in executions],
        [e.timestamp for e in executions],
    ]


class PostgresExecutions(_Repository):
    """`ExecutionStore` on `executions`: unique by (venue, exec id); the identical execution again is a no-op."""

    @timed("executions.add")
    async def add(self, execution: Execution) -> bool:
        return await self._insert("executions.add", [execution]) == 1

    @timed("executions.add_many")
    async def add_many(self, executions: Iterable[Execution]) -> int:
        return await self._insert("executions.add_many", executions)

    async def _insert(self, statement: str, executions: Iterable[Execution]) -> int:
        """Insert the new ones in one statement; if any stored one differs, undo the inserted ones and raise."""
        batch: dict[str, Execution] = {}
        for execution in executions:
            known = batch.setdefault(execution.exec_id, execution)
            if known != execution:
                raise DuplicateKeyError("execution", execution.exec_id)
        if not batch:
            return 0
        venue = self._session.venue
        unique = list(batch.values())
        rows = await self._session.fetch(statement, _INSERT_EXECUTIONS, venue, *_execution_columns(unique))
        inserted = [row["exec_id"] for row in rows]
        if len(inserted) == len(unique):
            return len(inserted)
        new = set(inserted)
        repeated = [exec_id for exec_id in batch if exec_id not in new]
        stored = await self._session.fetch(statement, _EXECUTIONS_BY_ID, venue, repeated)
        for row in stored:
            if _execution(row) != batch[row["exec_id"]]:
                if inserted:
                    await self._session.execute(statement, _UNDO_EXECUTIONS, venue, inserted)
                raise DuplicateKeyError("execution", row["exec_id"])
        return len(inserted)

    @timed("executions.get")
    async def get(self, exec_id: str) -> Execution | None:
        row = await self._session.fetchrow("executions.get", _GET_EXECUTION, self._session.venue, exec_id)
        return None if row is None else _execution(row)

    @timed("executions.for_order")
    async def for_order(self, order_id: str) -> list[Execution]:
        rows = await self._session.fetch(
            "executions.for_order", _EXECUTIONS_OF_ORDER, self._session.venue, order_id
        )
        return [_execution(row) for row in rows]

    @timed("executions.since")
    async def since(self, since: datetime) -> list[Execution]:
        rows = await self._session.fetch("executions.since", _EXECUTIONS_SINCE, self._session.venue, since)
        return [_execution(row) for row in rows]

    @timed("executions.latest")
    async def latest(self) -> Execution | None:
        row = await self._session.fetchrow("executions.latest", _LATEST_EXECUTION, self._session.venue)
        return None if row is None else _execution(row)


# --- balances and positions ------------------------------------------------------------------------------

_SAVE_BALANCE = """
INSERT INTO balances (asset, total, available, updated_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (asset) DO UPDATE SET
    total = EXCLUDED.total, available = EXCLUDED.available, updated_at = EXCLUDED.updated_at
"""

_GET_BALANCE = "SELECT asset, total, available, updated_at FROM balances WHERE asset = $1"

_ALL_BALANCES = "SELECT asset, total, available, updated_at FROM balances ORDER BY asset"


def _balance(row: Any) -> Balance:
    return Balance(
        asset=row["asset"], total=row["total"], available=row["available"], updated_at=row["updated_at"]
    )


class PostgresBalances(_Repository):
    """`BalanceStore` on `balances`: one row per asset."""

    @timed("balances.save")
    async def save(self, balance: Balance) -> None:
        await self._session.execute(
            "balances.save",
            _SAVE_BALANCE,
            balance.asset,
            balance.total,
            balance.available,
            balance.updated_at,
        )

    @timed("balances.get")
    async def get(self, asset: str) -> Balance | None:
        row = await self._session.fetchrow("balances.get", _GET_BALANCE, asset)
        return None if row is None else _balance(row)

    @timed("balances.all")
    async def all(self) -> list[Balance]:
        return [_balance(row) for row in await self._session.fetch("balances.all", _ALL_BALANCES)]


_SAVE_POSITION = """
INSERT INTO positions (symbol, quantity, average_cost, realized_pnl, updated_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (symbol) DO UPDATE SET
    quantity = EXCLUDED.quantity, average_cost = EXCLUDED.average_cost,
    realized_pnl = EXCLUDED.realized_pnl, updated_at = EXCLUDED.updated_at
"""

_POSITION_COLUMNS = "symbol, quantity, average_cost, realized_pnl, updated_at"

_GET_POSITION = f"SELECT {_POSITION_COLUMNS} FROM positions WHERE symbol = $1"

_ALL_POSITIONS = f"SELECT {_POSITION_COLUMNS} FROM positions ORDER BY symbol"


def _position(row: Any) -> Position:
    return Position(
        symbol=row["symbol"],
        quantity=row["quantity"],
        average_cost=row["average_cost"],
        realized_pnl=row["realized_pnl"],
        updated_at=row["updated_at"],
    )


class PostgresPositions(_Repository):
    """`PositionStore` on `positions`: one row per symbol."""

    @timed("positions.save")
    async def save(self, position: Position) -> None:
        await self._session.execute(
            "positions.save",
            _SAVE_POSITION,
            position.symbol,
            position.quantity,
            position.average_cost,
            position.realized_pnl,
            position.updated_at,
        )

    @timed("positions.get")
    async def get(self, symbol: str) -> Position | None:
        row = await self._session.fetchrow("positions.get", _GET_POSITION, symbol)
        return None if row is None else _position(row)

    @timed("positions.all")
    async def all(self) -> list[Position]:
        return [_position(row) for row in await self._session.fetch("positions.all", _ALL_POSITIONS)]


# --- candles ---------------------------------------------------------------------------------------------

CANDLE_COLUMNS = (
    "symbol",
    "interval_seconds",
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "trade_count",
)
_CANDLE_LIST = ", ".join(CANDLE_COLUMNS)

CANDLE_STAGING_TABLE = "galfriday_candles_incoming"
"""Session-local (TEMPORARY) table that COPY fills for a re-ingest; emptied by the statement that moves its
rows on. `arrival` numbers the rows in batch order, so the last of a repeated key wins."""

_CREATE_CANDLE_STAGING = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {CANDLE_STAGING_TABLE} (
    LIKE candles,
    arrival bigint GENERATED ALWAYS AS IDENTITY
) ON COMMIT DELETE ROWS
"""

_CANDLE_UPSERT = """
ON CONFLICT (symbol, interval_seconds, open_time) DO UPDATE SET
    open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
    volume = EXCLUDED.volume, trade_count = EXCLUDED.trade_count
"""

_MOVE_STAGED_CANDLES = f"""
WITH staged AS (DELETE FROM {CANDLE_STAGING_TABLE} RETURNING {_CANDLE_LIST}, arrival)
INSERT INTO candles ({_CANDLE_LIST})
SELECT DISTINCT ON (symbol, interval_seconds, open_time) {_CANDLE_LIST} FROM staged
ORDER BY symbol, interval_seconds, open_time, arrival DESC
{_CANDLE_UPSERT}
"""

_UPSERT_CANDLES = f"""
INSERT INTO candles ({_CANDLE_LIST})
SELECT * FROM unnest(
    $1::text[], $2::integer[], $3::timestamptz[], $4::numeric[], $5::numeric[], $6::numeric[],
    $7::numeric[], $8::numeric[], $9::bigint[]
)
{_CANDLE_UPSERT}
"""

_CANDLES_OVERLAP = """
SELECT EXISTS (
    SELECT 1 FROM candles
    WHERE symbol = ANY($1::text[]) AND interval_seconds = ANY($2::integer[])
      AND open_time >= $3 AND open_time <= $4
)
"""

_ENSURE_PARTITIONS = "SELECT galfriday_ensure_candle_partitions($1, $1)"

_DROP_PARTITIONS = "SELECT name FROM galfriday_drop_candle_partitions($1) AS name"

_CANDLE_RANGE = f"""
SELECT {_CANDLE_LIST} FROM candles
WHERE symbol = $1 AND interval_seconds = $2 AND open_time >= $3 AND open_time < $4
ORDER BY open_time
"""

_LATEST_CANDLE = f"""
SELECT {_CANDLE_LIST} FROM candles WHERE symbol = $1 AND interval_seconds = $2
ORDER BY open_time DESC LIMIT 1
"""

_CANDLE_DAY_COUNTS = """
SELECT symbol, (open_time AT TIME ZONE 'UTC')::date AS day, count(*) AS rows
FROM candles WHERE interval_seconds = $1 AND open_time < $2
GROUP BY symbol, day ORDER BY symbol, day
"""

_DELETE_CANDLES = """
DELETE FROM candles WHERE symbol = $1 AND interval_seconds = $2 AND open_time >= $3 AND open_time < $4
"""


def _candle_records(candles: Iterable[Candle]) -> Iterator[tuple[Any, ...]]:
    """Rows in `CANDLE_COLUMNS` order, made one at a time as COPY consumes them."""
    for c in candles:
        yield (
            c.symbol,
            c.interval_seconds,
            c.open_time,
            c.open,
            c.high,
            c.low,
            c.close,
            c.volume,
            c.trade_count,
        )


COPY_CHUNK_ROWS = 2000
"""Candles per chunk handed to a text COPY: large enough to amortise the await, small enough to stream."""


async def _candle_text(candles: Sequence[Candle]) -> AsyncIterator[bytes]:
    """Candles as COPY text lines in `CANDLE_COLUMNS` order.

    No value needs COPY escaping: symbols are validated `BASE/QUOTE` codes (upper-case letters, digits, '.'),
    amounts are finite Decimals (`str` gives digits, '.', '-', 'E', '+'), and instants are ISO 8601 with offset.
    """
    for start in range(0, len(candles), COPY_CHUNK_ROWS):
        yield "".join(
            f"{c.symbol}\t{c.interval_seconds}\t{c.open_time.isoformat()}\t{c.open}\t{c.high}\t{c.low}"
            f"\t{c.close}\t{c.volume}\t{c.trade_count}\n"
            for c in candles[start : start + COPY_CHUNK_ROWS]
        ).encode()


MONTHS_BY_SPAN = 24
"""A batch spanning at most this many months gets a partition for each; a wider one only for months it uses."""


def _candle(row: Any) -> Candle:
    """A stored candle (columns in `CANDLE_COLUMNS` order), rebuilt without re-validating it (`Candle.trusted`)."""
    return Candle.trusted(*row)


def _months_apart(first: datetime, last: datetime) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def _months_between(first: datetime, last: datetime) -> set[tuple[int, int]]:
    """Every (year, month) from the month of `first` through the month of `last`."""
    start = first.year * 12 + first.month - 1
    return {(index // 12, index % 12 + 1) for index in range(start, start + _months_apart(first, last) + 1)}


def _month_partition(name: str) -> tuple[int, int]:
    """(year, month) of a partition named `candles_pYYYYMM`."""
    digits = name.removeprefix("candles_p")
    return int(digits[:4]), int(digits[4:])


class PostgresCandles(_Repository):
    """`CandleStore` on the month-partitioned `candles`: unique by (symbol, interval, open time)."""

    @timed("candles.upsert_many")
    async def upsert_many(self, candles: Iterable[Candle]) -> int:
        """Insert or replace; within one batch the last candle of a key wins. Returns the rows written.

        A small batch is one `unnest` upsert. A large one is COPY'd: straight into `candles` when none of its
        series has a stored candle in the batch's time span (a fresh ingest, one pass). Otherwise (a
        re-ingest), or if the straight copy hits a key twice (a repeated key in the batch, or a concurrent
        writer; the copy is then undone alone by its savepoint), it is COPY'd into a temporary table and
        upserted from there.
        """
        batch = candles if isinstance(candles, list | tuple) else list(candles)
        if not batch:
            return 0
        session = self._session
        if len(batch) < COPY_FROM_ROWS:
            unique = list({candle.key: candle for candle in batch}.values())
            await self._ensure_partitions(candle.open_time for candle in unique)
            columns = [list(column) for column in zip(*_candle_records(unique), strict=True)]
            await session.execute("candles.upsert_many", _UPSERT_CANDLES, *columns)
            return len(unique)
        first = min(candle.open_time for candle in batch)
        last = max(candle.open_time for candle in batch)
        await self._ensure_partitions((candle.open_time for candle in batch), first, last)
        symbols = sorted({candle.symbol for candle in batch})
        intervals = sorted({candle.interval_seconds for candle in batch})
        if not await session.fetchval(
            "candles.upsert_many", _CANDLES_OVERLAP, symbols, intervals, first, last
        ):
            try:
                async with session.savepoint():
                    await session.copy_text("candles", CANDLE_COLUMNS, _candle_text(batch))
                return len(batch)
            except asyncpg.UniqueViolationError:
                pass
        await session.execute("candles.upsert_many", _CREATE_CANDLE_STAGING)
        await session.copy_text(CANDLE_STAGING_TABLE, CANDLE_COLUMNS, _candle_text(batch))
        return _count(await session.execute("candles.upsert_many", _MOVE_STAGED_CANDLES))

    async def _ensure_partitions(
        self, opens: Iterable[datetime], first: datetime | None = None, last: datetime | None = None
    ) -> None:
        """Make sure the month partitions exist before rows arrive, asking Postgres only about new months.

        Given the batch's first and last open time, every month between them counts as used (no pass over
        the batch), unless that span is wider than `MONTHS_BY_SPAN` months.
        """
        session = self._session
        months: set[tuple[int, int]]
        if first is not None and last is not None and _months_apart(first, last) <= MONTHS_BY_SPAN:
            months = _months_between(first, last)
        else:
            months = {(opened.year, opened.month) for opened in opens}
        for year, month in sorted(months - session.known_months - session.ensured_months):
            await session.execute(
                "candles.upsert_many", _ENSURE_PARTITIONS, datetime(year, month, 1, tzinfo=UTC)
            )
            session.ensured_months.add((year, month))

    @timed("candles.range")
    async def range(self, symbol: str, interval_seconds: int, start: datetime, end: datetime) -> list[Candle]:
        rows = await self._session.fetch("candles.range", _CANDLE_RANGE, symbol, interval_seconds, start, end)
        return [_candle(row) for row in rows]

    @timed("candles.latest")
    async def latest(self, symbol: str, interval_seconds: int) -> Candle | None:
        row = await self._session.fetchrow("candles.latest", _LATEST_CANDLE, symbol, interval_seconds)
        return None if row is None else _candle(row)

    @timed("candles.day_counts")
    async def day_counts(self, interval_seconds: int, before: datetime) -> list[CandleDay]:
        rows = await self._session.fetch("candles.day_counts", _CANDLE_DAY_COUNTS, interval_seconds, before)
        return [CandleDay(row["symbol"], interval_seconds, row["day"], row["rows"]) for row in rows]

    @timed("candles.delete_range")
    async def delete_range(self, symbol: str, interval_seconds: int, start: datetime, end: datetime) -> int:
        status = await self._session.execute(
            "candles.delete_range", _DELETE_CANDLES, symbol, interval_seconds, start, end
        )
        return _count(status)

    @timed("candles.drop_expired_partitions")
    async def drop_expired_partitions(self, before: datetime) -> list[str]:
        """Detach and drop the month partitions that end by `before` and are empty (archived and deleted)."""
        rows = await self._session.fetch("candles.drop_expired_partitions", _DROP_PARTITIONS, before)
        dropped = [str(row["name"]) for row in rows]
        for name in dropped:
            self._session.known_months.discard(_month_partition(name))
            self._session.ensured_months.discard(_month_partition(name))
        return dropped


# --- models ----------------------------------------------------------------------------------------------

_MODEL_COLUMNS = """name, version, stage, artifact_uri, artifact_sha256, created_at, features, parent_version,
    metadata"""

_LOCK_MODEL_NAME = "SELECT pg_advisory_xact_lock($1, hashtext($2))"

_REGISTER_MODEL = f"""
INSERT INTO model_versions ({_MODEL_COLUMNS})
SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8 FROM model_versions WHERE name = $1
RETURNING {_MODEL_COLUMNS}
"""

_GET_MODEL = f"SELECT {_MODEL_COLUMNS} FROM model_versions WHERE name = $1 AND version = $2"

_MODEL_VERSIONS = f"SELECT {_MODEL_COLUMNS} FROM model_versions WHERE name = $1 ORDER BY version"

_STAGE_FOR_MOVE = "SELECT stage FROM model_versions WHERE name = $1 AND version = $2 FOR UPDATE"

_SET_STAGE = f"""
WITH history AS (
    INSERT INTO model_stage_history (name, version, from_stage, to_stage, at, actor, reason)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
)
UPDATE model_versions SET stage = $4 WHERE name = $1 AND version = $2 RETURNING {_MODEL_COLUMNS}
"""

_STAGE_HISTORY = """
SELECT name, version, from_stage, to_stage, at, actor, reason FROM model_stage_history
WHERE name = $1 ORDER BY at, id
"""

_ALIAS_BEFORE_MOVE = """
SELECT (SELECT version FROM model_aliases WHERE name = $1 AND alias = $2) AS previous,
       $3::integer IS NULL OR EXISTS (SELECT 1 FROM model_versions WHERE name = $1 AND version = $3) AS known
"""

_POINT_ALIAS = """
INSERT INTO model_aliases (name, alias, version, updated_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (name, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
"""

_REMOVE_ALIAS = "DELETE FROM model_aliases WHERE name = $1 AND alias = $2"

_RECORD_ALIAS_MOVE = """
INSERT INTO model_alias_history (name, alias, from_version, to_version, at, actor, reason)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""

_GET_ALIAS = "SELECT version FROM model_aliases WHERE name = $1 AND alias = $2"

_ALIAS_HISTORY = """
SELECT name, alias, from_version, to_version, at, actor, reason FROM model_alias_history
WHERE name = $1 AND ($2::text IS NULL OR alias = $2) ORDER BY id
"""


def _model_version(row: Any) -> ModelVersion:
    return ModelVersion(
        name=row["name"],
        version=row["version"],
        stage=row["stage"],
        artifact_uri=row["artifact_uri"],
        artifact_sha256=row["artifact_sha256"],
        created_at=row["created_at"],
        features=tuple(FeatureSpec(spec["name"], spec["dtype"]) for spec in row["features"]),
        parent_version=row["parent_version"],
        metadata=row["metadata"],
    )


def _alias_change(row: Any) -> ModelAliasChange:
    return ModelAliasChange(
        name=row["name"],
        alias=row["alias"],
        from_version=row["from_version"],
        to_version=row["to_version"],
        at=row["at"],
        actor=row["actor"],
        reason=row["reason"],
    )


class PostgresModels(_Repository):
    """`ModelStore` on `model_versions`, `model_aliases` and the append-only `model_alias_history`.

    Version numbers come from `max + 1` under a transaction advisory lock on the model name, so concurrent
    registrations of one model queue up and number 1, 2, ... without gaps; other models do not wait.
    """

    @timed("models.register")
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
        checked = ModelVersion(  # the domain's checks, before anything is written
            name=name,
            version=0,
            artifact_uri=artifact_uri,
            artifact_sha256=artifact_sha256,
            created_at=created_at,
            features=tuple(features),
            parent_version=parent_version,
            metadata=metadata or {},
        )
        try:
            encode_jsonb(checked.metadata)
        except TypeError as exc:
            raise InvalidValueError(
                "metadata", metadata, f"a JSON document (amounts as strings); {exc}"
            ) from None
        await self._session.execute("models.register", _LOCK_MODEL_NAME, MODEL_VERSION_LOCK, name)
        row = await self._session.fetchrow(
            "models.register",
            _REGISTER_MODEL,
            name,
            checked.stage.value,
            artifact_uri,
            checked.artifact_sha256,
            checked.created_at,
            [attrs.asdict(spec) for spec in checked.features],
            parent_version,
            checked.metadata,
        )
        return _model_version(row)

    @timed("models.get")
    async def get(self, name: str, version: int) -> ModelVersion | None:
        row = await self._session.fetchrow("models.get", _GET_MODEL, name, version)
        return None if row is None else _model_version(row)

    @timed("models.versions")
    async def versions(self, name: str) -> list[ModelVersion]:
        return [
            _model_version(row) for row in await self._session.fetch("models.versions", _MODEL_VERSIONS, name)
        ]

    @timed("models.set_stage")
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
        """Lock the version's row first, so the recorded `from_stage` is the one this move replaces."""
        session = self._session
        current = await session.fetchval("models.set_stage", _STAGE_FOR_MOVE, name, version)
        if current is None:
            raise NotFoundError("model version", (name, version))
        change = ModelStageChange(
            name=name,
            version=version,
            from_stage=current,
            to_stage=stage,
            at=datetime.now(UTC) if at is None else at,
            actor=actor,
            reason=reason,
        )
        row = await session.fetchrow(
            "models.set_stage",
            _SET_STAGE,
            name,
            version,
            change.from_stage.value,
            change.to_stage.value,
            change.at,
            actor,
            reason,
        )
        return _model_version(row)

    @timed("models.stage_history")
    async def stage_history(self, name: str) -> list[ModelStageChange]:
        rows = await self._session.fetch("models.stage_history", _STAGE_HISTORY, name)
        return [
            ModelStageChange(
                name=row["name"],
                version=row["version"],
                from_stage=row["from_stage"],
                to_stage=row["to_stage"],
                at=row["at"],
                actor=row["actor"],
                reason=row["reason"],
            )
            for row in rows
        ]

    @timed("models.set_alias")
    async def set_alias(
        self, name: str, alias: str, version: int | None, *, at: datetime, actor: str, reason: str
    ) -> ModelAliasChange:
        session = self._session
        await session.execute("models.set_alias", _LOCK_MODEL_NAME, MODEL_ALIAS_LOCK, f"{name}/{alias}")
        before = await session.fetchrow("models.set_alias", _ALIAS_BEFORE_MOVE, name, alias, version)
        if not before["known"]:
            raise NotFoundError("model version", (name, version))
        change = ModelAliasChange(
            name=name,
            alias=alias,
            from_version=before["previous"],
            to_version=version,
            at=at,
            actor=actor,
            reason=reason,
        )
        if version is None:
            await session.execute("models.set_alias", _REMOVE_ALIAS, name, alias)
        else:
            await session.execute("models.set_alias", _POINT_ALIAS, name, alias, version, change.at)
        await session.execute(
            "models.set_alias",
            _RECORD_ALIAS_MOVE,
            name,
            alias,
            change.from_version,
            version,
            change.at,
            actor,
            reason,
        )
        return change

    @timed("models.alias")
    async def alias(self, name: str, alias: str) -> int | None:
        found = await self._session.fetchval("models.alias", _GET_ALIAS, name, alias)
        return None if found is None else int(found)

    @timed("models.alias_history")
    async def alias_history(self, name: str, alias: str | None = None) -> list[ModelAliasChange]:
        rows = await self._session.fetch("models.alias_history", _ALIAS_HISTORY, name, alias)
        return [_alias_change(row) for row in rows]


# --- journal ---------------------------------------------------------------------------------------------

_APPEND_JOURNAL = """
INSERT INTO raw_journal (source, channel, received_at, payload) VALUES ($1, $2, $3, $4) RETURNING sequence
"""

_APPEND_JOURNAL_MANY = """
INSERT INTO raw_journal (source, channel, received_at, payload)
SELECT source, channel, received_at, payload
FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[])
    WITH ORDINALITY AS entry(source, channel, received_at, payload, position)
ORDER BY position
"""

_READ_JOURNAL = """
SELECT sequence, source, channel, received_at, payload FROM raw_journal
WHERE sequence > $1 ORDER BY sequence LIMIT $2
"""

_DELETE_JOURNAL = "DELETE FROM raw_journal WHERE received_at < $1"


class PostgresJournal(_Repository):
    """`JournalStore` on `raw_journal`: sequences from an identity column, never reused (even after rollback)."""

    @timed("journal.append")
    async def append(self, entry: JournalEntry) -> JournalEntry:
        sequence = await self._session.fetchval(
            "journal.append", _APPEND_JOURNAL, entry.source, entry.channel, entry.received_at, entry.payload
        )
        return attrs.evolve(entry, sequence=sequence)

    @timed("journal.append_many")
    async def append_many(self, entries: Iterable[JournalEntry]) -> int:
        batch = list(entries)
        if not batch:
            return 0
        status = await self._session.execute(
            "journal.append_many",
            _APPEND_JOURNAL_MANY,
            [e.source for e in batch],
            [e.channel for e in batch],
            [e.received_at for e in batch],
            [e.payload for e in batch],
        )
        return _count(status)

    @timed("journal.read")
    async def read(self, after_sequence: int = 0, limit: int = 1000) -> list[JournalEntry]:
        rows = await self._session.fetch("journal.read", _READ_JOURNAL, after_sequence, max(limit, 0))
        return [
            JournalEntry(
                source=row["source"],
                channel=row["channel"],
                received_at=row["received_at"],
                payload=row["payload"],
                sequence=row["sequence"],
            )
            for row in rows
        ]

    @timed("journal.delete_before")
    async def delete_before(self, before: datetime) -> int:
        return _count(await self._session.execute("journal.delete_before", _DELETE_JOURNAL, before))


# --- retention runs --------------------------------------------------------------------------------------

_RETENTION_RUN_COLUMNS = """id, table_name, cutoff, archived_rows, deleted_rows, archive_path, status, started_at,
    finished_at"""

_RECORD_RETENTION_RUN = f"""
INSERT INTO retention_runs ({_RETENTION_RUN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (id) DO NOTHING
"""

_GET_RETENTION_RUN = f"SELECT {_RETENTION_RUN_COLUMNS} FROM retention_runs WHERE id = $1"

_RECENT_RETENTION_RUNS = f"""
SELECT {_RETENTION_RUN_COLUMNS} FROM retention_runs ORDER BY started_at DESC, id DESC LIMIT $1
"""


def _retention_run(row: Any) -> RetentionRun:
    return RetentionRun(
        id=row["id"],
        table_name=row["table_name"],
        cutoff=row["cutoff"],
        archived_rows=row["archived_rows"],
        deleted_rows=row["deleted_rows"],
        archive_path=row["archive_path"],
        status=row["status"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


class PostgresRetentionRuns(_Repository):
    """`RetentionRunStore` on `retention_runs`: unique by id; recording the identical run again is a no-op."""

    @timed("retention_runs.record")
    async def record(self, run: RetentionRun) -> None:
        status = await self._session.execute(
            "retention_runs.record",
            _RECORD_RETENTION_RUN,
            run.id,
            run.table_name,
            run.cutoff,
            run.archived_rows,
            run.deleted_rows,
            run.archive_path,
            run.status.value,
            run.started_at,
            run.finished_at,
        )
        if _count(status) == 1:
            return
        stored = await self._session.fetchrow("retention_runs.record", _GET_RETENTION_RUN, run.id)
        if stored is None or _retention_run(stored) != run:
            raise DuplicateKeyError("retention run", run.id)

    @timed("retention_runs.recent")
    async def recent(self, limit: int = 50) -> list[RetentionRun]:
        rows = await self._session.fetch("retention_runs.recent", _RECENT_RETENTION_RUNS, max(limit, 0))
        return [_retention_run(row) for row in rows]
