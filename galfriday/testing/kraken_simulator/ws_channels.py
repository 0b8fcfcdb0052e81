"""WebSocket v2 channels: subscribe and unsubscribe (one ack per symbol, then the snapshot), and turning
the state's events into channel updates for every subscriber.

`executions` and `balances` carry `sequence`: 1 on the snapshot (or on the first update when no snapshot
was asked for), then +1 per message, per subscription; a resubscription starts again at 1.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from galfriday.testing.kraken_simulator import tape, ws_format
from galfriday.testing.kraken_simulator.book_view import DEPTHS, BookView
from galfriday.testing.kraken_simulator.catalog import KrakenPair
from galfriday.testing.kraken_simulator.connection import Connection, Subscription
from galfriday.testing.kraken_simulator.errors import KrakenError
from galfriday.testing.kraken_simulator.records import LedgerEvent, MarketEvent, OrderEvent
from galfriday.testing.kraken_simulator.state import SimulatorState
from galfriday.testing.kraken_simulator.wire import rfc3339, rfc3339_nanos
from galfriday.testing.kraken_simulator.ws_messages import ack, channel_message

SYMBOL_CHANNELS = ("book", "ticker", "trade", "ohlc")
PRIVATE_CHANNELS = ("executions", "balances")
OTHER_CHANNELS = ("instrument", "heartbeat", "status")
MAX_RATE_COUNT = 125
TRADE_SNAPSHOT = 50
INSTRUMENT_WARNING = "tick_size is deprecated, use price_increment"
Levels = list[tuple[Decimal, Decimal]]


def _flag(params: dict[str, Any], name: str, default: bool) -> bool:
    value = params.get(name, default)
    if not isinstance(value, bool):
        raise KrakenError(f"EGeneral:Invalid arguments:{name}")
    return value


class Channels:
    """Subscriptions of every connection and the updates they receive."""

    def __init__(self, state: SimulatorState) -> None:
        self.state = state

    # --- subscribe ------------------------------------------------------------------------------------

    def subscribe(
        self, conn: Connection, params: dict[str, Any], req_id: int | None, time_in: datetime
    ) -> None:
        channel = params.get("channel")
        if channel in SYMBOL_CHANNELS:
            self._subscribe_symbols(conn, str(channel), params, req_id, time_in)
            return
        try:
            if channel in PRIVATE_CHANNELS:
                result = self._subscribe_private(conn, str(channel), params)
            elif channel in OTHER_CHANNELS:
                result = self._subscribe_other(conn, str(channel), params)
            else:
                raise KrakenError(f"Channel {channel} not found")
        except KrakenError as exc:
            conn.send(self._error("subscribe", req_id, time_in, exc.message))
            return
        conn.send(ack("subscribe", req_id, time_in, self.state.clock.now(), result=result))
        self._snapshot(conn, conn.subscriptions[(str(channel), None)], params)

    def _subscribe_symbols(
        self, conn: Connection, channel: str, params: dict[str, Any], req_id: int | None, time_in: datetime
    ) -> None:
        try:
            symbols = _symbols(params)
            snapshot = _flag(params, "snapshot", True)
            options = self._options(channel, params)
        except KrakenError as exc:
            conn.send(self._error("subscribe", req_id, time_in, exc.message))
            return
        for symbol in symbols:
            pair = self.state.catalog.find_pair(symbol)
            if pair is None or pair.symbol != symbol:
                conn.send(
                    self._error("subscribe", req_id, time_in, f"Currency pair not supported {symbol}", symbol)
                )
                continue
            if (channel, symbol) in conn.subscriptions:
                conn.send(self._error("subscribe", req_id, time_in, "Already subscribed", symbol))
                continue
            subscription = Subscription(channel, symbol, **options)
            if channel == "book":
                subscription.view = BookView(pair, int(params.get("depth", 10)))
            conn.subscriptions[(channel, symbol)] = subscription
            result = {"channel": channel, **_echo(channel, params), "snapshot": snapshot, "symbol": symbol}
            if channel == "ohlc":
                result["warnings"] = ["timestamp is deprecated, use interval_begin"]
            conn.send(ack("subscribe", req_id, time_in, self.state.clock.now(), result=result))
            self._symbol_snapshot(conn, subscription, pair, snapshot)

    def _options(self, channel: str, params: dict[str, Any]) -> dict[str, Any]:
        if channel == "book" and params.get("depth", 10) not in DEPTHS:
            raise KrakenError("Subscription depth not supported")
        if channel == "ohlc":
            interval = params.get("interval", 1)
            if interval not in tape.OHLC_INTERVALS or isinstance(interval, bool):
                raise KrakenError("Subscription ohlc interval not supported")
            return {"interval": interval}
        if channel == "ticker":
            trigger = params.get("event_trigger", "trades")
            if trigger not in ("trades", "bbo"):
                raise KrakenError("EGeneral:Invalid arguments:event_trigger")
            return {"event_trigger": trigger}
        return {}

    def _subscribe_private(self, conn: Connection, channel: str, params: dict[str, Any]) -> dict[str, Any]:
        if not conn.private:
            raise KrakenError("EGeneral:Permission denied")
        account = self.authorize(conn, params.get("token"))
        if (channel, None) in conn.subscriptions:
            raise KrakenError("Already subscribed")
        if channel == "executions":
            options = {
                "snap_orders": _flag(params, "snap_orders", _flag(params, "snapshot", True)),
                "snap_trades": _flag(params, "snap_trades", _flag(params, "snapshot_trades", False)),
            }
            order_status = _flag(params, "order_status", True)
            conn.subscriptions[(channel, None)] = Subscription(
                channel, account=account, order_status=order_status
            )
            return {"channel": channel, "maxratecount": MAX_RATE_COUNT, **options}
        snapshot = _flag(params, "snapshot", True)
        conn.subscriptions[(channel, None)] = Subscription(channel, account=account)
        return {"channel": channel, "snapshot": snapshot}

    def _subscribe_other(self, conn: Connection, channel: str, params: dict[str, Any]) -> dict[str, Any]:
        if (channel, None) in conn.subscriptions:
            raise KrakenError("Already subscribed")
        conn.subscriptions[(channel, None)] = Subscription(channel)
        if channel == "instrument":
            snapshot = _flag(params, "snapshot", True)
            return {"channel": channel, "snapshot": snapshot, "warnings": [INSTRUMENT_WARNING]}
        return {"channel": channel}

    def authorize(self, conn: Connection, token: object) -> str:
        """The account a token names: a fresh token, or one this connection already used in time."""
        found = self.state.token(token)
        if found is None and isinstance(token, str) and token in conn.tokens:
            found = self.state.known_token(token)
        if found is None:
            raise KrakenError("ESession:Invalid session")
        conn.tokens.add(found.token)
        return found.account

    # --- unsubscribe ----------------------------------------------------------------------------------

    def unsubscribe(
        self, conn: Connection, params: dict[str, Any], req_id: int | None, time_in: datetime
    ) -> None:
        channel = params.get("channel")
        symbols: list[str | None] = [None]
        if channel in SYMBOL_CHANNELS:
            try:
                symbols = list(_symbols(params))
            except KrakenError as exc:
                conn.send(self._error("unsubscribe", req_id, time_in, exc.message))
                return
        for symbol in symbols:
            subscription = conn.subscriptions.pop((str(channel), symbol), None)
            if subscription is None:
                # Kraken answers an unsubscribe of nothing with method "subscribe" (recorded from live).
                conn.send(self._error("subscribe", req_id, time_in, "Subscription Not Found", symbol))
                continue
            result: dict[str, Any] = {"channel": channel}
            if symbol is not None:
                result["symbol"] = symbol
            if subscription.view is not None:
                result["depth"] = subscription.view.depth
            conn.send(ack("unsubscribe", req_id, time_in, self.state.clock.now(), result=result))

    # --- snapshots ------------------------------------------------------------------------------------

    def _snapshot(self, conn: Connection, subscription: Subscription, params: dict[str, Any]) -> None:
        state = self.state
        now = state.clock.now()
        if subscription.channel == "instrument" and _flag(params, "snapshot", True):
            conn.send(
                channel_message("instrument", "snapshot", ws_format.instruments(state.catalog)), "instrument"
            )
        elif subscription.channel == "executions" and subscription.account is not None:
            orders = _flag(params, "snap_orders", _flag(params, "snapshot", True))
            trades = _flag(params, "snap_trades", _flag(params, "snapshot_trades", False))
            if orders or trades:
                account = state.account(subscription.account)
                data = ws_format.executions_snapshot(account, state, orders=orders, trades=trades, at=now)
                message = channel_message(
                    "executions", "snapshot", data, sequence=subscription.next_sequence()
                )
                conn.send(message, "executions")
        elif subscription.channel == "balances" and subscription.account is not None:
            if not _flag(params, "snapshot", True):
                return
            data = ws_format.balances_snapshot(state.account(subscription.account))
            message = channel_message("balances", "snapshot", data, sequence=subscription.next_sequence())
            conn.send(message, "balances")

    def _symbol_snapshot(
        self, conn: Connection, subscription: Subscription, pair: KrakenPair, snapshot: bool
    ) -> None:
        state = self.state
        book = state.depth[pair.symbol]
        history = state.tape[pair.symbol]
        now = state.clock.now()
        channel = subscription.channel
        if subscription.view is not None:
            bids, asks = subscription.view.snapshot(book)
            if snapshot:
                conn.send(self._book_message("snapshot", subscription.view, bids, asks, now), "book")
        elif channel == "ticker":
            ticker = tape.ticker(pair, book, history, now)
            subscription.last_bbo = (ticker["bid"], ticker["bid_qty"], ticker["ask"], ticker["ask_qty"])
            if snapshot:
                conn.send(channel_message("ticker", "snapshot", [ticker]), "ticker")
        elif channel == "trade" and snapshot:
            recent = list(history)[-TRADE_SNAPSHOT:]
            conn.send(channel_message("trade", "snapshot", [tape.trade(t) for t in recent]), "trade")
        elif channel == "ohlc" and snapshot:
            candles = tape.candles(pair, subscription.interval, history)
            conn.send(channel_message("ohlc", "snapshot", candles, timestamp=rfc3339_nanos(now)), "ohlc")

    @staticmethod
    def _book_message(kind: str, view: BookView, bids: Levels, asks: Levels, now: datetime) -> dict[str, Any]:
        entry = {
            "symbol": view.pair.symbol,
            "bids": [{"price": price, "qty": qty} for price, qty in bids],
            "asks": [{"price": price, "qty": qty} for price, qty in asks],
            "checksum": view.checksum(),
            "timestamp": rfc3339(now),
        }
        return channel_message("book", kind, [entry])

    # --- updates --------------------------------------------------------------------------------------

    def order_event(self, connections: list[Connection], event: OrderEvent) -> None:
        entry: dict[str, Any] | None = None
        for conn in connections:
            subscription = conn.subscriptions.get(("executions", None))
            if subscription is None or subscription.account != event.account:
                continue
            if not subscription.order_status and event.exec_type == "pending_new":
                continue
            entry = entry or ws_format.execution(event, self.state)
            message = channel_message("executions", "update", [entry], sequence=subscription.next_sequence())
            conn.send(message, "executions")

    def ledger_event(self, connections: list[Connection], event: LedgerEvent) -> None:
        entry = ws_format.ledger_update(event.entry)
        for conn in connections:
            subscription = conn.subscriptions.get(("balances", None))
            if subscription is not None and subscription.account == event.account:
                message = channel_message(
                    "balances", "update", [entry], sequence=subscription.next_sequence()
                )
                conn.send(message, "balances")

    def market_event(self, connections: list[Connection], event: MarketEvent) -> None:
        state = self.state
        pair = state.catalog.pair(event.symbol)
        book = state.depth[event.symbol]
        ticker: dict[str, Any] | None = None
        for conn in connections:
            for (channel, symbol), subscription in list(conn.subscriptions.items()):
                if symbol != event.symbol:
                    continue
                if subscription.view is not None:
                    bids, asks = subscription.view.changes(book)
                    if bids or asks:
                        conn.send(
                            self._book_message("update", subscription.view, bids, asks, event.at), "book"
                        )
                elif channel == "trade" and event.trades:
                    conn.send(
                        channel_message("trade", "update", [tape.trade(t) for t in event.trades]), "trade"
                    )
                elif channel == "ticker":
                    ticker = ticker or tape.ticker(pair, book, state.tape[pair.symbol], event.at)
                    self._ticker(conn, subscription, ticker, bool(event.trades))
                elif channel == "ohlc" and event.trades:
                    candle = tape.current_candle(pair, subscription.interval, state.tape[pair.symbol])
                    timestamp = rfc3339_nanos(event.at)
                    conn.send(channel_message("ohlc", "update", [candle], timestamp=timestamp), "ohlc")

    @staticmethod
    def _ticker(conn: Connection, subscription: Subscription, data: dict[str, Any], traded: bool) -> None:
        bbo = (data["bid"], data["bid_qty"], data["ask"], data["ask_qty"])
        changed = bbo[0::2] != (subscription.last_bbo or ())[0::2]
        subscription.last_bbo = bbo
        due = traded if subscription.event_trigger == "trades" else changed
        if due:
            conn.send(channel_message("ticker", "update", [data]), "ticker")

    def _error(
        self, method: str, req_id: int | None, time_in: datetime, error: str, symbol: str | None = None
    ) -> dict[str, Any]:
        return ack(method, req_id, time_in, self.state.clock.now(), error=error, symbol=symbol)


def _symbols(params: dict[str, Any]) -> list[str]:
    symbols = params.get("symbol")
    if not isinstance(symbols, list) or not symbols or not all(isinstance(s, str) for s in symbols):
        raise KrakenError("EGeneral:Invalid arguments:symbol")
    return list(symbols)


def _echo(channel: str, params: dict[str, Any]) -> dict[str, Any]:
    """The effective options an ack echoes for a symbol channel."""
    if channel == "book":
        return {"depth": params.get("depth", 10)}
    if channel == "ticker":
        return {"event_trigger": params.get("event_trigger", "trades")}
    if channel == "ohlc":
        return {"interval": params.get("interval", 1)}
    return {}
