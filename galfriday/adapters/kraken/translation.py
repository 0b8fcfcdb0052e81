"""Typed Kraken v2 messages → galfriday exchange events.

Executions updates are partial (a `new` report carries no symbol, side or quantity), so
`ExecutionsTranslator` merges each report into what it knows of the order, as Kraken's own clients do,
and reports the order once it knows enough. Kraken's v2 symbols (`BTC/USD`) are already exchange-neutral;
asset codes go through an `asset_name` mapping (pass the REST adapter's normaliser; the default maps only
`XBT` and `XDG`). Values the domain refuses raise `KrakenTranslationError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import NoReturn

from galfriday.adapters.kraken.trusted import (
    new_book_update,
    new_execution,
    new_execution_reported,
    new_order,
    new_order_reported,
)
from galfriday.adapters.kraken.ws_errors import KrakenTranslationError
from galfriday.adapters.kraken.ws_messages import (
    BalanceEntry,
    BookData,
    ExecutionReport,
    InstrumentData,
    OhlcData,
    TickerData,
    TradeData,
)
from galfriday.domain.amounts import ZERO
from galfriday.domain.balances import Balance
from galfriday.domain.events import (
    BalanceReported,
    BookReported,
    CandleReported,
    ExchangeEvent,
    TickerReported,
    TradeReported,
)
from galfriday.domain.executions import Execution, Liquidity
from galfriday.domain.instruments import TradingPair
from galfriday.domain.market_data import Candle, Ticker, Trade
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType
from galfriday.errors import DomainError

__all__ = [
    "AssetName",
    "BalancesTranslator",
    "ExecutionsTranslator",
    "IncompleteOrderError",
    "book_event",
    "candle_event",
    "default_asset_name",
    "ticker_event",
    "trade_event",
    "trading_pairs",
]

AssetName = Callable[[str], str]
"""Kraken asset code → galfriday asset code."""

_KRAKEN_ASSETS = {"XBT": "BTC", "XXBT": "BTC", "XDG": "DOGE", "XXDG": "DOGE"}


def default_asset_name(code: str) -> str:
    """A minimal mapping for the WebSocket's codes (`XBT` → `BTC`, `XDG` → `DOGE`); others pass unchanged."""
    return _KRAKEN_ASSETS.get(code, code)


class IncompleteOrderError(KrakenTranslationError):
    """An order report for an order we know too little about (no snapshot row, no earlier report).

    Ask the exchange for the order (REST `QueryOrders`) to learn the rest.
    """

    def __init__(self, order_id: str, missing: list[str], report: object) -> None:
        self.order_id = order_id
        self.missing = missing
        super().__init__(f"order {order_id} lacks {', '.join(missing)}", report)


def _refuse(error: Exception, message: object) -> NoReturn:
    raise KrakenTranslationError(str(error), message) from None


# --- executions ---------------------------------------------------------------------------------------

_STATUSES = {
    "pending_new": OrderStatus.PENDING_NEW,
    "new": OrderStatus.NEW,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "triggered": OrderStatus.NEW,  # seen in the wild, undocumented: a triggered stop is a live order
}
_TERMINAL = frozenset({"filled", "canceled", "expired"})
_LIMIT_TYPES = frozenset({"limit", "iceberg", "stop-loss-limit", "take-profit-limit", "trailing-stop-limit"})
_LIQUIDITY = {"m": Liquidity.MAKER, "t": Liquidity.TAKER}
# Enum members looked up once: attribute access on an Enum class costs more than a module global.
_UNKNOWN_LIQUIDITY = Liquidity.UNKNOWN
_LIMIT = OrderType.LIMIT
_MARKET = OrderType.MARKET


class _OrderFields:
    """What the reports so far said about one order."""

    __slots__ = (
        "cl_ord_id",
        "created_at",
        "cum_cost",
        "cum_qty",
        "limit_price",
        "limit_price_type",
        "order_qty",
        "order_status",
        "order_type",
        "reason",
        "side",
        "symbol",
        "time_in_force",
    )

    def __init__(self, created_at: datetime) -> None:
        self.created_at = created_at
        self.cl_ord_id: str | None = None
        self.symbol: str | None = None
        self.side: str | None = None
        self.order_type: str | None = None
        self.order_qty: Decimal | None = None
        self.limit_price: Decimal | None = None
        self.limit_price_type: str | None = None
        self.time_in_force: str | None = None
        self.order_status: str | None = None
        self.cum_qty: Decimal = ZERO
        self.cum_cost: Decimal = ZERO
        self.reason: str | None = None

    def merge(self, report: ExecutionReport) -> None:
        if report.cl_ord_id is not None:
            self.cl_ord_id = report.cl_ord_id
        if report.symbol is not None:
            self.symbol = report.symbol
        if report.side is not None:
            self.side = report.side
        if report.order_type is not None:
            self.order_type = report.order_type
        if report.order_qty is not None:
            self.order_qty = report.order_qty
        if report.limit_price is not None:
            self.limit_price = report.limit_price
        if report.limit_price_type is not None:
            self.limit_price_type = report.limit_price_type
        if report.time_in_force is not None:
            self.time_in_force = report.time_in_force
        if report.order_status is not None:
            self.order_status = report.order_status
        # Cumulative values only grow; a stale report must not shrink them.
        if report.cum_qty is not None and report.cum_qty > self.cum_qty:
            self.cum_qty = report.cum_qty
        if report.cum_cost is not None and report.cum_cost > self.cum_cost:
            self.cum_cost = report.cum_cost
        reason = report.reason if report.reason is not None else report.cancel_reason
        if reason is not None:
            self.reason = reason


class ExecutionsTranslator:
    """Executions reports → `ExecutionReported` (fills) and `OrderReported` (order states).

    Remembers up to `max_orders` orders (oldest forgotten first); an order is forgotten once a report other
    than a fill says it is closed.
    """

    __slots__ = ("_asset_name", "_max_orders", "_orders")

    def __init__(self, asset_name: AssetName = default_asset_name, max_orders: int = 10_000) -> None:
        self._asset_name = asset_name
        self._max_orders = max_orders
        self._orders: dict[str, _OrderFields] = {}

    def __len__(self) -> int:
        return len(self._orders)

    def forget_orders(self) -> None:
        """Drop what is known of every order (a fresh snapshot will say it again)."""
        self._orders.clear()

    def translate(
        self, report: ExecutionReport, received_at: datetime, *, snapshot: bool = False
    ) -> list[ExchangeEvent]:
        """The events one report yields: an order state, or for a `trade` the fill and then (when the report
        says it) the order's state: partially filled with the cumulative quantity and cost, or closed."""
        fields = self._orders.get(report.order_id)
        if fields is None:
            fields = _OrderFields(report.timestamp or received_at)
            self._orders[report.order_id] = fields
            if len(self._orders) > self._max_orders:
                del self._orders[next(iter(self._orders))]
        fields.merge(report)
        at = report.timestamp or received_at
        if report.exec_type != "trade":
            try:
                return [new_order_reported(self._order(report, fields, at), at, snapshot)]
            finally:
                if fields.order_status in _TERMINAL:
                    self._orders.pop(report.order_id, None)
        fill = new_execution_reported(self._execution(report, fields, at), snapshot)
        if not self._reports_order(report, fields):
            return [fill]
        # The fill also says where the order stands (partially filled, with its cumulative quantity and cost; or
        # closed). Kraken's separate `filled` report follows a closing fill, so the order is remembered until then.
        try:
            return [fill, new_order_reported(self._order(report, fields, at), at, snapshot)]
        except KrakenTranslationError:
            return [fill]

    @staticmethod
    def _reports_order(report: ExecutionReport, fields: _OrderFields) -> bool:
        """Whether a `trade` report also reports its order's state.

        A closing status does. `partially_filled` does when the report carries the cumulative fill (`cum_qty`),
        unless that fill completed the order: Kraken sends `partially_filled` on the last fill too (its
        `filled` report follows), and an open order with nothing left to fill is no state to report. A trade
        without a status (a snapshot's trade) reports none.
        """
        if report.order_status in _TERMINAL:
            return True
        if report.order_status != "partially_filled" or report.cum_qty is None:
            return False
        return fields.order_qty is None or fields.cum_qty < fields.order_qty

    def _execution(self, report: ExecutionReport, fields: _OrderFields, at: datetime) -> Execution:
        if report.exec_id is None or report.last_qty is None or report.last_price is None:
            raise KrakenTranslationError("a trade report needs exec_id, last_qty and last_price", report)
        if fields.symbol is None or fields.side is None:
            raise KrakenTranslationError("a trade report needs the order's symbol and side", report)
        fee, fee_currency = self._fee(report)
        try:
            return new_execution(
                exec_id=report.exec_id,
                order_id=report.order_id,
                symbol=fields.symbol,
                side=fields.side,
                quantity=report.last_qty,
                price=report.last_price,
                timestamp=at,
                fee=fee,
                fee_currency=fee_currency,
                liquidity=_LIQUIDITY.get(report.liquidity_ind or "", _UNKNOWN_LIQUIDITY),
                trade_id=None if report.trade_id is None else str(report.trade_id),
                client_order_id=fields.cl_ord_id,
            )
        except (DomainError, ValueError, TypeError) as error:
            _refuse(error, report)

    def _fee(self, report: ExecutionReport) -> tuple[Decimal, str]:
        """The fee of one fill and its currency: `fees` when it names one asset, else `fee_usd_equiv` in USD."""
        fees = report.fees
        if fees:
            asset = fees[0].asset
            if len(fees) == 1:
                return fees[0].qty, self._asset_name(asset)
            if all(fee.asset == asset for fee in fees):
                return sum((fee.qty for fee in fees), ZERO), self._asset_name(asset)
        if report.fee_usd_equiv is not None:
            return report.fee_usd_equiv, "USD"
        return ZERO, "USD"

    def _order(self, report: ExecutionReport, fields: _OrderFields, at: datetime) -> Order:
        symbol, side, quantity = fields.symbol, fields.side, fields.order_qty
        status = _STATUSES.get(fields.order_status or "")
        if symbol is None or side is None or quantity is None or fields.order_type is None or status is None:
            missing = [
                name
                for name, value in (
                    ("symbol", symbol),
                    ("side", side),
                    ("order_type", fields.order_type),
                    ("order_qty", quantity),
                    ("order_status", fields.order_status),
                )
                if value is None
            ]
            if not missing:
                raise KrakenTranslationError(f"unknown order_status {fields.order_status!r}", report)
            raise IncompleteOrderError(report.order_id, missing, report)
        is_limit = (
            fields.order_type in _LIMIT_TYPES
            and fields.limit_price is not None
            and fields.limit_price > 0
            and fields.limit_price_type in (None, "static")
        )
        try:
            return new_order(
                client_order_id=fields.cl_ord_id or report.order_id,
                symbol=symbol,
                side=side,
                order_type=_LIMIT if is_limit else _MARKET,
                quantity=quantity,
                created_at=fields.created_at,
                updated_at=at,
                limit_price=fields.limit_price if is_limit else None,
                time_in_force=fields.time_in_force or "gtc",
                exchange_order_id=report.order_id,
                status=status,
                filled_quantity=fields.cum_qty,
                filled_cost=fields.cum_cost,
                reason=fields.reason,
            )
        except (DomainError, ValueError, TypeError) as error:
            _refuse(error, report)


# --- balances -----------------------------------------------------------------------------------------


class BalancesTranslator:
    """Balances rows → `BalanceReported`.

    Kraken's `balance` is the asset's total across wallets (spot and earn). `available` here is the spot part:
    the earn part is learned from the snapshot's wallets and moved by updates to non-spot wallets. Funds held
    by open orders are not on this channel (REST `BalanceEx` has them), so they are not subtracted.
    """

    __slots__ = ("_asset_name", "_earn")

    def __init__(self, asset_name: AssetName = default_asset_name) -> None:
        self._asset_name = asset_name
        self._earn: dict[str, Decimal] = {}

    def translate(
        self, entry: BalanceEntry, received_at: datetime, *, snapshot: bool = False
    ) -> BalanceReported:
        try:
            asset = self._asset_name(entry.asset)
            if entry.wallets is not None:
                self._earn[asset] = sum(
                    (wallet.balance for wallet in entry.wallets if wallet.wallet_type != "spot"), ZERO
                )
            elif entry.wallet_type not in (None, "spot") and entry.amount is not None:
                self._earn[asset] = self._earn.get(asset, ZERO) + entry.amount
            available = min(max(entry.balance - self._earn.get(asset, ZERO), ZERO), entry.balance)
            balance = Balance(asset, entry.balance, available, entry.timestamp or received_at)
        except (DomainError, ValueError, TypeError, ArithmeticError) as error:
            _refuse(error, entry)
        return BalanceReported(balance, snapshot)

    def forget(self) -> None:
        self._earn.clear()


# --- public market data -------------------------------------------------------------------------------


def ticker_event(data: TickerData, received_at: datetime) -> TickerReported:
    try:
        ticker = Ticker(
            symbol=data.symbol,
            bid=data.bid,
            bid_quantity=data.bid_qty,
            ask=data.ask,
            ask_quantity=data.ask_qty,
            last=data.last,
            volume=data.volume,
            timestamp=data.timestamp or received_at,
        )
    except (DomainError, ValueError, TypeError) as error:
        _refuse(error, data)
    return TickerReported(ticker)


def trade_event(data: TradeData) -> TradeReported:
    try:
        trade = Trade(
            symbol=data.symbol,
            trade_id=str(data.trade_id),
            side=data.side,
            price=data.price,
            quantity=data.qty,
            timestamp=data.timestamp,
        )
    except (DomainError, ValueError, TypeError) as error:
        _refuse(error, data)
    return TradeReported(trade)


def candle_event(data: OhlcData, message_time: datetime | None, received_at: datetime) -> CandleReported:
    """An OHLC row (the interval in minutes on the wire) as a candle; the bar may still be forming."""
    try:
        candle = Candle(
            symbol=data.symbol,
            interval_seconds=data.interval * 60,
            open_time=data.interval_begin,
            open=data.open,
            high=data.high,
            low=data.low,
            close=data.close,
            volume=data.volume,
            trade_count=data.trades,
        )
    except (DomainError, ValueError, TypeError) as error:
        _refuse(error, data)
    return CandleReported(candle, data.timestamp or message_time or received_at)


def book_event(
    data: BookData,
    received_at: datetime,
    *,
    snapshot: bool,
    bids: Sequence[tuple[Decimal, Decimal]] | None = None,
    asks: Sequence[tuple[Decimal, Decimal]] | None = None,
) -> BookReported:
    """The levels of a book message as Kraken sent them (`bids`/`asks`: the same as pairs, if already made)."""
    try:
        update = new_book_update(
            symbol=data.symbol,
            bids=[(level.price, level.qty) for level in data.bids] if bids is None else bids,
            asks=[(level.price, level.qty) for level in data.asks] if asks is None else asks,
            is_snapshot=snapshot,
            timestamp=data.timestamp or received_at,
        )
    except (DomainError, ValueError, TypeError) as error:
        _refuse(error, data)
    return BookReported(update)


def trading_pairs(data: InstrumentData) -> Iterator[TradingPair | KrakenTranslationError]:
    """Each pair of an instrument message as a `TradingPair`, or the error that refused it."""
    for pair in data.pairs:
        try:
            yield TradingPair(
                symbol=pair.symbol,
                price_precision=pair.price_precision,
                quantity_precision=pair.qty_precision,
                min_quantity=pair.qty_min or ZERO,
            )
        except (DomainError, ValueError, TypeError) as error:
            yield KrakenTranslationError(str(error), pair)
