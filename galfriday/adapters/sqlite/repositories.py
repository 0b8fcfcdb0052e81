"""SQLite repositories: the store ports over the tables of `migrations/sqlite`, one class per port.

Every call runs inside its unit of work's transaction, is timed by the query monitor under a statement name
(`orders.get`, ...), and encodes its values through `codecs` before any SQL sees them. Values are always
parameters; identifiers come only from the constants below. Amounts are TEXT, so nothing here orders by an
amount column; instants are integers and order correctly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiosqlite
import attrs

from galfriday.adapters.sqlite.codecs import (
    amounts_to_json,
    bool_to_int,
    decimal_to_text,
    from_json,
    instant_to_micros,
    json_to_amounts,
    micros_to_instant,
    optional_decimal_to_text,
    optional_text_to_decimal,
    text_to_decimal,
    to_json,
)
from galfriday.domain.balances import Balance
from galfriday.domain.executions import Execution
from galfriday.domain.journal import JournalEntry
from galfriday.domain.market_data import Candle
from galfriday.domain.models import FeatureSpec, ModelAliasChange, ModelStage, ModelStageChange, ModelVersion
from galfriday.domain.order_status import TERMINAL
from galfriday.domain.orders import Order
from galfriday.domain.positions import Position
from galfriday.domain.retention import CandleDay, RetentionRun
from galfriday.domain.timestamps import EPOCH
from galfriday.errors import DuplicateKeyError, InvalidValueError, NotFoundError

if TYPE_CHECKING:
    from galfriday.adapters.sqlite.unit_of_work import Session

Row = Sequence[Any]

IN_CHUNK = 500
"""Keys per `IN (...)` lookup: well under SQLite's limit on bound parameters."""

OPEN_ORDER_FILTER = f"status NOT IN ({', '.join(repr(status.value) for status in sorted(TERMINAL))})"
"""Word for word the WHERE clause of the partial index `orders_open`, so SQLite uses that index."""

_DAY_MICROS = 86_400_000_000


def _columns(names: Sequence[str]) -> str:
    return ", ".join(names)


def _insert(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({_columns(columns)}) VALUES ({', '.join('?' for _ in columns)})"


def _upsert(table: str, columns: Sequence[str], key: Sequence[str]) -> str:
    """INSERT that replaces every non-key column of the row with the same key."""
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name not in key)
    return f"{_insert(table, columns)} ON CONFLICT ({_columns(key)}) DO UPDATE SET {updates}"


class _Repository:
    def __init__(self, session: Session) -> None:
        self._session = session

    @contextmanager
    def _call(self, statement: str) -> Iterator[aiosqlite.Connection]:
        with self._session.call(statement) as connection:
            yield connection


async def _rowcount(connection: aiosqlite.Connection, sql: str, parameters: Sequence[Any]) -> int:
    cursor = await connection.execute(sql, parameters)
    return cursor.rowcount


async def _one(connection: aiosqlite.Connection, sql: str, parameters: Sequence[Any]) -> Row | None:
    rows = list(await connection.execute_fetchall(sql, parameters))
    return rows[0] if rows else None


# --- orders -------------------------------------------------------------------------------------------------

ORDER_COLUMNS = (
    "client_order_id",
    "exchange_order_id",
    "symbol",
    "side",
    "order_type",
    "time_in_force",
    "quantity",
    "limit_price",
    "status",
    "filled_quantity",
    "filled_cost",
    "fees",
    "closed_filled_quantity",
    "exec_ids",
    "external",
    "reason",
    "created_at",
    "updated_at",
)
_SELECT_ORDERS = f"SELECT {_columns(ORDER_COLUMNS)} FROM orders"
_ADD_ORDER = _insert("orders", ORDER_COLUMNS) + " ON CONFLICT (client_order_id) DO NOTHING"
_SAVE_ORDER = _upsert("orders", ORDER_COLUMNS, ("client_order_id",))


def _order_row(order: Order) -> tuple[Any, ...]:
    return (
        order.client_order_id,
        order.exchange_order_id,
        order.symbol,
        order.side.value,
        order.order_type.value,
        order.time_in_force.value,
        decimal_to_text("quantity", order.quantity),
        optional_decimal_to_text("limit_price", order.limit_price),
        order.status.value,
        decimal_to_text("filled_quantity", order.filled_quantity),
        decimal_to_text("filled_cost", order.filled_cost),
        amounts_to_json("fees", order.fees),
        optional_decimal_to_text("closed_filled_quantity", order.closed_filled_quantity),
        to_json(sorted(order.exec_ids)),
        bool_to_int(order.external),
        order.reason,
        instant_to_micros("created_at", order.created_at),
        instant_to_micros("updated_at", order.updated_at),
    )


def _order(row: Row) -> Order:
    return Order(
        client_order_id=row[0],
        exchange_order_id=row[1],
        symbol=row[2],
        side=row[3],
        order_type=row[4],
        time_in_force=row[5],
        quantity=text_to_decimal(row[6]),
        limit_price=optional_text_to_decimal(row[7]),
        status=row[8],
        filled_quantity=text_to_decimal(row[9]),
        filled_cost=text_to_decimal(row[10]),
        fees=json_to_amounts(row[11]),
        closed_filled_quantity=optional_text_to_decimal(row[12]),
        exec_ids=frozenset(from_json(row[13])),
        external=bool(row[14]),
        reason=row[15],
        created_at=micros_to_instant(row[16]),
        updated_at=micros_to_instant(row[17]),
    )


class SqliteOrders(_Repository):
    """`OrderStore`: unique by client order id, indexed by exchange order id."""

    async def add(self, order: Order) -> None:
        row = _order_row(order)
        with self._call("orders.add") as db:
            if await _rowcount(db, _ADD_ORDER, row) == 0:
                raise DuplicateKeyError("order", order.client_order_id)

    async def save(self, order: Order) -> None:
        row = _order_row(order)
        with self._call("orders.save") as db:
            await db.execute_fetchall(_SAVE_ORDER, row)

    async def get(self, client_order_id: str) -> Order | None:
        with self._call("orders.get") as db:
            row = await _one(db, f"{_SELECT_ORDERS} WHERE client_order_id = ?", (client_order_id,))
        return None if row is None else _order(row)

    async def get_by_exchange_id(self, exchange_order_id: str) -> Order | None:
        with self._call("orders.get_by_exchange_id") as db:
            row = await _one(
                db,
                f"{_SELECT_ORDERS} WHERE exchange_order_id = ? ORDER BY created_at, client_order_id LIMIT 1",
                (exchange_order_id,),
            )
        return None if row is None else _order(row)

    async def list_open(self, symbol: str | None = None) -> list[Order]:
        sql = f"{_SELECT_ORDERS} WHERE {OPEN_ORDER_FILTER}"
        parameters: tuple[Any, ...] = ()
        if symbol is not None:
            sql += " AND symbol = ?"
            parameters = (symbol,)
        with self._call("orders.list_open") as db:
            rows = await db.execute_fetchall(f"{sql} ORDER BY created_at, client_order_id", parameters)
        return [_order(row) for row in rows]

    async def list_updated_since(self, since: datetime) -> list[Order]:
        parameters = (instant_to_micros("since", since),)
        with self._call("orders.list_updated_since") as db:
            rows = await db.execute_fetchall(
                f"{_SELECT_ORDERS} WHERE updated_at >= ? ORDER BY updated_at, client_order_id", parameters
            )
        return [_order(row) for row in rows]


# --- executions ---------------------------------------------------------------------------------------------

EXECUTION_COLUMNS = (
    "exec_id",
    "order_id",
    "client_order_id",
    "trade_id",
    "symbol",
    "side",
    "quantity",
    "price",
    "fee",
    "fee_currency",
    "liquidity",
    "ts",
)
_SELECT_EXECUTIONS = f"SELECT {_columns(EXECUTION_COLUMNS)} FROM executions WHERE venue = ?"
_INSERT_EXECUTION = _insert("executions", ("venue", *EXECUTION_COLUMNS))
_ADD_EXECUTION = _INSERT_EXECUTION + " ON CONFLICT (venue, exec_id) DO NOTHING"


def _execution_row(venue: str, execution: Execution) -> tuple[Any, ...]:
    return (
        venue,
        execution.exec_id,
        execution.order_id,
        execution.client_order_id,
        execution.trade_id,
        execution.symbol,
        execution.side.value,
        decimal_to_text("quantity", execution.quantity),
        decimal_to_text("price", execution.price),
        decimal_to_text("fee", execution.fee),
        execution.fee_currency,
        execution.liquidity.value,
        instant_to_micros("timestamp", execution.timestamp),
    )


def _execution(row: Row) -> Execution:
    return Execution(
        exec_id=row[0],
        order_id=row[1],
        client_order_id=row[2],
        trade_id=row[3],
        symbol=row[4],
        side=row[5],
        quantity=text_to_decimal(row[6]),
        price=text_to_decimal(row[7]),
        fee=text_to_decimal(row[8]),
        fee_currency=row[9],
        liquidity=row[10],
        timestamp=micros_to_instant(row[11]),
    )


class SqliteExecutions(_Repository):
    """`ExecutionStore`: unique by (venue, exec id); storing the identical execution again is a no-op.

    Equality is the domain's: the same values, whatever their decimal form, are the same execution.
    """

    async def add(self, execution: Execution) -> bool:
        venue = self._session.venue
        row = _execution_row(venue, execution)
        with self._call("executions.add") as db:
            if await _rowcount(db, _ADD_EXECUTION, row) == 1:
                return True
            stored = await _one(db, f"{_SELECT_EXECUTIONS} AND exec_id = ?", (venue, execution.exec_id))
        if stored is None or _execution(stored) != execution:
            raise DuplicateKeyError("execution", execution.exec_id)
        return False

    async def add_many(self, executions: Iterable[Execution]) -> int:
        """Check the whole batch (against itself and the table) before writing any of it."""
        venue = self._session.venue
        new: dict[str, tuple[Execution, tuple[Any, ...]]] = {}
        for execution in executions:
            seen = new.get(execution.exec_id)
            if seen is None:
                new[execution.exec_id] = (execution, _execution_row(venue, execution))
            elif seen[0] != execution:
                raise DuplicateKeyError("execution", execution.exec_id)
        with self._call("executions.add_many") as db:
            ids = list(new)
            for start in range(0, len(ids), IN_CHUNK):
                chunk = ids[start : start + IN_CHUNK]
                marks = ", ".join("?" for _ in chunk)
                rows = await db.execute_fetchall(
                    f"{_SELECT_EXECUTIONS} AND exec_id IN ({marks})", (venue, *chunk)
                )
                for row in rows:
                    stored = _execution(row)
                    if stored != new[stored.exec_id][0]:
                        raise DuplicateKeyError("execution", stored.exec_id)
                    del new[stored.exec_id]
            if new:
                await db.executemany(_INSERT_EXECUTION, [row for _, row in new.values()])
        return len(new)

    async def get(self, exec_id: str) -> Execution | None:
        with self._call("executions.get") as db:
            row = await _one(db, f"{_SELECT_EXECUTIONS} AND exec_id = ?", (self._session.venue, exec_id))
        return None if row is None else _execution(row)

    async def for_order(self, order_id: str) -> list[Execution]:
        with self._call("executions.for_order") as db:
            rows = await db.execute_fetchall(
                f"{_SELECT_EXECUTIONS} AND order_id = ? ORDER BY ts, exec_id", (self._session.venue, order_id)
            )
        return [_execution(row) for row in rows]

    async def since(self, since: datetime) -> list[Execution]:
        parameters = (self._session.venue, instant_to_micros("since", since))
        with self._call("executions.since") as db:
            rows = await db.execute_fetchall(
                f"{_SELECT_EXECUTIONS} AND ts >= ? ORDER BY ts, exec_id", parameters
            )
        return [_execution(row) for row in rows]

    async def latest(self) -> Execution | None:
        with self._call("executions.latest") as db:
            row = await _one(
                db, f"{_SELECT_EXECUTIONS} ORDER BY ts DESC, exec_id DESC LIMIT 1", (self._session.venue,)
            )
        return None if row is None else _execution(row)


# --- balances and positions ---------------------------------------------------------------------------------

BALANCE_COLUMNS = ("asset", "total", "available", "updated_at")
_SELECT_BALANCES = f"SELECT {_columns(BALANCE_COLUMNS)} FROM balances"
_SAVE_BALANCE = _upsert("balances", BALANCE_COLUMNS, ("asset",))


def _balance(row: Row) -> Balance:
    return Balance(
        asset=row[0],
        total=text_to_decimal(row[1]),
        available=text_to_decimal(row[2]),
        updated_at=micros_to_instant(row[3]),
    )


class SqliteBalances(_Repository):
    """`BalanceStore`: one balance per asset."""

    async def save(self, balance: Balance) -> None:
        row = (
            balance.asset,
            decimal_to_text("total", balance.total),
            decimal_to_text("available", balance.available),
            instant_to_micros("updated_at", balance.updated_at),
        )
        with self._call("balances.save") as db:
            await db.execute_fetchall(_SAVE_BALANCE, row)

    async def get(self, asset: str) -> Balance | None:
        with self._call("balances.get") as db:
            row = await _one(db, f"{_SELECT_BALANCES} WHERE asset = ?", (asset,))
        return None if row is None else _balance(row)

    async def all(self) -> list[Balance]:
        with self._call("balances.all") as db:
            rows = await db.execute_fetchall(f"{_SELECT_BALANCES} ORDER BY asset")
        return [_balance(row) for row in rows]


POSITION_COLUMNS = ("symbol", "quantity", "average_cost", "realized_pnl", "updated_at")
_SELECT_POSITIONS = f"SELECT {_columns(POSITION_COLUMNS)} FROM positions"
_SAVE_POSITION = _upsert("positions", POSITION_COLUMNS, ("symbol",))


def _position(row: Row) -> Position:
    return Position(
        symbol=row[0],
        quantity=text_to_decimal(row[1]),
        average_cost=text_to_decimal(row[2]),
        realized_pnl=text_to_decimal(row[3]),
        updated_at=micros_to_instant(row[4]),
    )


class SqlitePositions(_Repository):
    """`PositionStore`: one position per symbol."""

    async def save(self, position: Position) -> None:
        row = (
            position.symbol,
            decimal_to_text("quantity", position.quantity),
            decimal_to_text("average_cost", position.average_cost),
            decimal_to_text("realized_pnl", position.realized_pnl),
            instant_to_micros("updated_at", position.updated_at),
        )
        with self._call("positions.save") as db:
            await db.execute_fetchall(_SAVE_POSITION, row)

    async def get(self, symbol: str) -> Position | None:
        with self._call("positions.get") as db:
            row = await _one(db, f"{_SELECT_POSITIONS} WHERE symbol = ?", (symbol,))
        return None if row is None else _position(row)

    async def all(self) -> list[Position]:
        with self._call("positions.all") as db:
            rows = await db.execute_fetchall(f"{_SELECT_POSITIONS} ORDER BY symbol")
        return [_position(row) for row in rows]


# --- candles ------------------------------------------------------------------------------------------------

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
_SELECT_CANDLES = f"SELECT {_columns(CANDLE_COLUMNS)} FROM candles WHERE symbol = ? AND interval_seconds = ?"
_UPSERT_CANDLE = _upsert("candles", CANDLE_COLUMNS, ("symbol", "interval_seconds", "open_time"))
_FLOOR_DAY = f"(open_time - ((open_time % {_DAY_MICROS}) + {_DAY_MICROS}) % {_DAY_MICROS}) / {_DAY_MICROS}"
"""The UTC day number of `open_time`, rounded down also before 1970 (SQLite's `/` truncates toward zero)."""


def _candle_row(candle: Candle) -> tuple[Any, ...]:
    return (
        candle.symbol,
        candle.interval_seconds,
        instant_to_micros("open_time", candle.open_time),
        decimal_to_text("open", candle.open),
        decimal_to_text("high", candle.high),
        decimal_to_text("low", candle.low),
        decimal_to_text("close", candle.close),
        decimal_to_text("volume", candle.volume),
        candle.trade_count,
    )


def _candle(row: Row) -> Candle:
    """A stored candle was validated when written: rebuild it without validating again (query speed)."""
    return Candle.trusted(
        row[0],
        row[1],
        micros_to_instant(row[2]),
        text_to_decimal(row[3]),
        text_to_decimal(row[4]),
        text_to_decimal(row[5]),
        text_to_decimal(row[6]),
        text_to_decimal(row[7]),
        row[8],
    )


class SqliteCandles(_Repository):
    """`CandleStore`: unique by (symbol, interval, open time); writing a key again replaces the bar."""

    async def upsert_many(self, candles: Iterable[Candle]) -> int:
        rows = [_candle_row(candle) for candle in candles]
        with self._call("candles.upsert_many") as db:
            if rows:
                await db.executemany(_UPSERT_CANDLE, rows)
        return len(rows)

    async def range(self, symbol: str, interval_seconds: int, start: datetime, end: datetime) -> list[Candle]:
        bounds = (instant_to_micros("start", start), instant_to_micros("end", end))
        with self._call("candles.range") as db:
            rows = await db.execute_fetchall(
                f"{_SELECT_CANDLES} AND open_time >= ? AND open_time < ? ORDER BY open_time",
                (symbol, interval_seconds, *bounds),
            )
        return [_candle(row) for row in rows]

    async def latest(self, symbol: str, interval_seconds: int) -> Candle | None:
        with self._call("candles.latest") as db:
            row = await _one(
                db, f"{_SELECT_CANDLES} ORDER BY open_time DESC LIMIT 1", (symbol, interval_seconds)
            )
        return None if row is None else _candle(row)

    async def day_counts(self, interval_seconds: int, before: datetime) -> list[CandleDay]:
        parameters = (interval_seconds, instant_to_micros("before", before))
        with self._call("candles.day_counts") as db:
            rows = await db.execute_fetchall(
                f"SELECT symbol, {_FLOOR_DAY} AS day, COUNT(*) FROM candles"
                " WHERE interval_seconds = ? AND open_time < ? GROUP BY symbol, day ORDER BY symbol, day",
                parameters,
            )
        epoch_day = EPOCH.date()
        return [
            CandleDay(symbol, interval_seconds, epoch_day + timedelta(days=day), count)
            for symbol, day, count in rows
        ]

    async def delete_range(self, symbol: str, interval_seconds: int, start: datetime, end: datetime) -> int:
        bounds = (instant_to_micros("start", start), instant_to_micros("end", end))
        with self._call("candles.delete_range") as db:
            return await _rowcount(
                db,
                "DELETE FROM candles WHERE symbol = ? AND interval_seconds = ? AND open_time >= ? AND open_time < ?",
                (symbol, interval_seconds, *bounds),
            )

    async def drop_expired_partitions(self, before: datetime) -> list[str]:
        """SQLite has no partitions: deleted rows' pages are reused by later inserts."""
        instant_to_micros("before", before)
        with self._call("candles.drop_expired_partitions"):
            return []


# --- models -------------------------------------------------------------------------------------------------

VERSION_COLUMNS = (
    "name",
    "version",
    "stage",
    "artifact_uri",
    "artifact_sha256",
    "created_at",
    "features",
    "parent_version",
    "metadata",
)
_SELECT_VERSIONS = f"SELECT {_columns(VERSION_COLUMNS)} FROM model_versions WHERE name = ?"
ALIAS_CHANGE_COLUMNS = ("name", "alias", "from_version", "to_version", "at", "actor", "reason")


def _version(row: Row) -> ModelVersion:
    return ModelVersion(
        name=row[0],
        version=row[1],
        stage=row[2],
        artifact_uri=row[3],
        artifact_sha256=row[4],
        created_at=micros_to_instant(row[5]),
        features=tuple(FeatureSpec(spec["name"], spec["dtype"]) for spec in from_json(row[6])),
        parent_version=row[7],
        metadata=from_json(row[8]),
    )


def _alias_change(row: Row) -> ModelAliasChange:
    return ModelAliasChange(
        name=row[0],
        alias=row[1],
        from_version=row[2],
        to_version=row[3],
        at=micros_to_instant(row[4]),
        actor=row[5],
        reason=row[6],
    )


STAGE_CHANGE_COLUMNS = ("name", "version", "from_stage", "to_stage", "at", "actor", "reason")


def _stage_change(row: Row) -> ModelStageChange:
    return ModelStageChange(
        name=row[0],
        version=row[1],
        from_stage=row[2],
        to_stage=row[3],
        at=micros_to_instant(row[4]),
        actor=row[5],
        reason=row[6],
    )


def _metadata_json(metadata: dict[str, Any] | None) -> str:
    try:
        return to_json(metadata or {})
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(
            "metadata", metadata, f"JSON values only (a SQLite store keeps JSON): {exc}"
        ) from None


class SqliteModels(_Repository):
    """`ModelStore`: versions numbered 1, 2, ... per name; aliases with an append-only history.

    The next number is `max + 1` read inside the unit of work's `BEGIN IMMEDIATE` transaction, which holds
    the database's write lock, so concurrent registrations (in this process or another) cannot collide.
    """

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
        created = instant_to_micros("created_at", created_at)
        specs = to_json([{"name": spec.name, "dtype": spec.dtype} for spec in features])
        stored_metadata = _metadata_json(metadata)
        unnumbered = ModelVersion(
            name=name,
            version=0,
            artifact_uri=artifact_uri,
            artifact_sha256=artifact_sha256,
            created_at=created_at,
            features=tuple(features),
            parent_version=parent_version,
            metadata=from_json(stored_metadata),
        )
        with self._call("models.register") as db:
            row = await _one(
                db, "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE name = ?", (name,)
            )
            number = 1 if row is None else int(row[0])
            registered = attrs.evolve(unnumbered, version=number)
            await db.execute_fetchall(
                _insert("model_versions", VERSION_COLUMNS),
                (
                    name,
                    number,
                    registered.stage.value,
                    artifact_uri,
                    registered.artifact_sha256,
                    created,
                    specs,
                    parent_version,
                    stored_metadata,
                ),
            )
        return registered

    async def get(self, name: str, version: int) -> ModelVersion | None:
        with self._call("models.get") as db:
            row = await _one(db, f"{_SELECT_VERSIONS} AND version = ?", (name, version))
        return None if row is None else _version(row)

    async def versions(self, name: str) -> list[ModelVersion]:
        with self._call("models.versions") as db:
            rows = await db.execute_fetchall(f"{_SELECT_VERSIONS} ORDER BY version", (name,))
        return [_version(row) for row in rows]

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
        with self._call("models.set_stage") as db:
            current = await _one(
                db, "SELECT stage FROM model_versions WHERE name = ? AND version = ?", (name, version)
            )
            if current is None:
                raise NotFoundError("model version", (name, version))
            change = ModelStageChange(
                name=name,
                version=version,
                from_stage=current[0],
                to_stage=stage,
                at=datetime.now(UTC) if at is None else at,
                actor=actor,
                reason=reason,
            )
            await db.execute_fetchall(
                "UPDATE model_versions SET stage = ? WHERE name = ? AND version = ?",
                (change.to_stage.value, name, version),
            )
            await db.execute_fetchall(
                _insert("model_stage_history", STAGE_CHANGE_COLUMNS),
                (
                    name,
                    version,
                    change.from_stage.value,
                    change.to_stage.value,
                    instant_to_micros("at", change.at),
                    actor,
                    reason,
                ),
            )
            row = await _one(db, f"{_SELECT_VERSIONS} AND version = ?", (name, version))
        assert row is not None
        return _version(row)

    async def stage_history(self, name: str) -> list[ModelStageChange]:
        """Oldest first; moves at one instant in the order they were recorded."""
        with self._call("models.stage_history") as db:
            rows = await db.execute_fetchall(
                f"SELECT {_columns(STAGE_CHANGE_COLUMNS)} FROM model_stage_history WHERE name = ? ORDER BY at, id",
                (name,),
            )
        return [_stage_change(row) for row in rows]

    async def set_alias(
        self, name: str, alias: str, version: int | None, *, at: datetime, actor: str, reason: str
    ) -> ModelAliasChange:
        moved_at = instant_to_micros("at", at)
        with self._call("models.set_alias") as db:
            if version is not None:
                known = await _one(
                    db, "SELECT 1 FROM model_versions WHERE name = ? AND version = ?", (name, version)
                )
                if known is None:
                    raise NotFoundError("model version", (name, version))
            current = await _one(
                db, "SELECT version FROM model_aliases WHERE name = ? AND alias = ?", (name, alias)
            )
            change = ModelAliasChange(
                name=name,
                alias=alias,
                from_version=None if current is None else current[0],
                to_version=version,
                at=at,
                actor=actor,
                reason=reason,
            )
            if version is None:
                await db.execute_fetchall(
                    "DELETE FROM model_aliases WHERE name = ? AND alias = ?", (name, alias)
                )
            else:
                await db.execute_fetchall(
                    _upsert("model_aliases", ("name", "alias", "version", "updated_at"), ("name", "alias")),
                    (name, alias, version, moved_at),
                )
            await db.execute_fetchall(
                _insert("model_alias_history", ALIAS_CHANGE_COLUMNS),
                (name, alias, change.from_version, version, moved_at, actor, reason),
            )
        return change

    async def alias(self, name: str, alias: str) -> int | None:
        with self._call("models.alias") as db:
            row = await _one(
                db, "SELECT version FROM model_aliases WHERE name = ? AND alias = ?", (name, alias)
            )
        return None if row is None else int(row[0])

    async def alias_history(self, name: str, alias: str | None = None) -> list[ModelAliasChange]:
        """In the order the moves were recorded (the history is append-only)."""
        sql = f"SELECT {_columns(ALIAS_CHANGE_COLUMNS)} FROM model_alias_history WHERE name = ?"
        parameters: tuple[Any, ...] = (name,)
        if alias is not None:
            sql += " AND alias = ?"
            parameters = (name, alias)
        with self._call("models.alias_history") as db:
            rows = await db.execute_fetchall(f"{sql} ORDER BY id", parameters)
        return [_alias_change(row) for row in rows]


# --- journal ------------------------------------------------------------------------------------------------

JOURNAL_COLUMNS = ("source", "channel", "received_at", "payload")
_APPEND_JOURNAL = _insert("raw_journal", JOURNAL_COLUMNS)


def _journal_row(entry: JournalEntry) -> tuple[Any, ...]:
    return (entry.source, entry.channel, instant_to_micros("received_at", entry.received_at), entry.payload)


def _journal_entry(row: Row) -> JournalEntry:
    return JournalEntry(
        sequence=row[0], source=row[1], channel=row[2], received_at=micros_to_instant(row[3]), payload=row[4]
    )


class SqliteJournal(_Repository):
    """`JournalStore`: `sequence` is an AUTOINCREMENT key, so a number is never reused, even after deletes."""

    async def append(self, entry: JournalEntry) -> JournalEntry:
        row = _journal_row(entry)
        with self._call("journal.append") as db:
            cursor = await db.execute(_APPEND_JOURNAL, row)
            sequence = cursor.lastrowid
        return attrs.evolve(entry, sequence=sequence)

    async def append_many(self, entries: Iterable[JournalEntry]) -> int:
        rows = [_journal_row(entry) for entry in entries]
        with self._call("journal.append_many") as db:
            if rows:
                await db.executemany(_APPEND_JOURNAL, rows)
        return len(rows)

    async def read(self, after_sequence: int = 0, limit: int = 1000) -> list[JournalEntry]:
        with self._call("journal.read") as db:
            rows = await db.execute_fetchall(
                "SELECT sequence, source, channel, received_at, payload FROM raw_journal"
                " WHERE sequence > ? ORDER BY sequence LIMIT ?",
                (after_sequence, max(limit, 0)),
            )
        return [_journal_entry(row) for row in rows]

    async def delete_before(self, before: datetime) -> int:
        parameters = (instant_to_micros("before", before),)
        with self._call("journal.delete_before") as db:
            return await _rowcount(db, "DELETE FROM raw_journal WHERE received_at < ?", parameters)


# --- retention runs -----------------------------------------------------------------------------------------

RETENTION_RUN_COLUMNS = (
    "id",
    "table_name",
    "cutoff",
    "archived_rows",
    "deleted_rows",
    "archive_path",
    "status",
    "started_at",
    "finished_at",
)
_SELECT_RETENTION_RUNS = f"SELECT {_columns(RETENTION_RUN_COLUMNS)} FROM retention_runs"
_RECORD_RETENTION_RUN = _insert("retention_runs", RETENTION_RUN_COLUMNS) + " ON CONFLICT (id) DO NOTHING"


def _retention_run_row(run: RetentionRun) -> tuple[Any, ...]:
    return (
        run.id,
        run.table_name,
        instant_to_micros("cutoff", run.cutoff),
        run.archived_rows,
        run.deleted_rows,
        run.archive_path,
        run.status.value,
        instant_to_micros("started_at", run.started_at),
        instant_to_micros("finished_at", run.finished_at),
    )


def _retention_run(row: Row) -> RetentionRun:
    return RetentionRun(
        id=row[0],
        table_name=row[1],
        cutoff=micros_to_instant(row[2]),
        archived_rows=row[3],
        deleted_rows=row[4],
        archive_path=row[5],
        status=row[6],
        started_at=micros_to_instant(row[7]),
        finished_at=micros_to_instant(row[8]),
    )


class SqliteRetentionRuns(_Repository):
    """`RetentionRunStore` on `retention_runs`: unique by id; recording the identical run again is a no-op."""

    async def record(self, run: RetentionRun) -> None:
        row = _retention_run_row(run)
        with self._call("retention_runs.record") as db:
            if await _rowcount(db, _RECORD_RETENTION_RUN, row) == 1:
                return
            stored = await _one(db, f"{_SELECT_RETENTION_RUNS} WHERE id = ?", (run.id,))
        if stored is None or _retention_run(stored) != run:
            raise DuplicateKeyError("retention run", run.id)

    async def recent(self, limit: int = 50) -> list[RetentionRun]:
        with self._call("retention_runs.recent") as db:
            rows = await db.execute_fetchall(
                f"{_SELECT_RETENTION_RUNS} ORDER BY started_at DESC, id DESC LIMIT ?", (max(limit, 0),)
            )
        return [_retention_run(row) for row in rows]
