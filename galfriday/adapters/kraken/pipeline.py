"""The Kraken WebSocket v2 message pipeline: one raw frame in, domain events and pipeline signals out.

parse → per-channel sequence tracking → de-duplication of fills by `exec_id` (bounded) → book maintenance
with the checksum verified on every book message → translation. Synchronous and free of I/O: the client
feeds it frames with their receive time and acts on the signals (resubscribe a book after a checksum
mismatch, backfill through REST after a gap, query an order it knows too little about).

What a repeated or late frame may change: a repeated executions frame yields only fills not seen before
(so a missed sequence reset can never lose a fill); a repeated or late balances frame yields nothing (its
totals are stale).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Union

from attrs import asdict, define, frozen

from galfriday.adapters.kraken.checksum import CHECKSUM_DEPTH, BookChecksum
from galfriday.adapters.kraken.translation import (
    AssetName,
    BalancesTranslator,
    ExecutionsTranslator,
    IncompleteOrderError,
    book_event,
    candle_event,
    default_asset_name,
    ticker_event,
    trade_event,
    trading_pairs,
)
from galfriday.adapters.kraken.ws_errors import KrakenMessageError, KrakenTranslationError
from galfriday.adapters.kraken.ws_messages import (
    BalancesMessage,
    BookData,
    BookMessage,
    ExecutionsMessage,
    Heartbeat,
    InstrumentMessage,
    KrakenMessage,
    MethodResponse,
    OhlcMessage,
    Pong,
    StatusMessage,
    TickerMessage,
    TradeMessage,
    parse_message,
)
from galfriday.domain.dedup import RecentIds
from galfriday.domain.events import ExchangeEvent
from galfriday.domain.instruments import TradingPair
from galfriday.domain.order_book import OrderBook
from galfriday.domain.sequencing import SequenceTracker, SequenceVerdict
from galfriday.errors import DomainError, InvalidValueError

__all__ = [
    "ChecksumMismatch",
    "Duplicate",
    "GapDetected",
    "HeartbeatReceived",
    "InstrumentsReported",
    "KrakenPipeline",
    "MessageRejected",
    "OrderUnknown",
    "PipelineCounters",
    "PipelineOutput",
    "PipelineSignal",
    "PrecisionUnknown",
    "ReplyReceived",
    "SystemStatusReported",
]

# --- signals ------------------------------------------------------------------------------------------


@frozen
class GapDetected:
    """Sequences `missing` never arrived on `channel`: backfill through REST (or resubscribe)."""

    channel: str
    missing: range


@frozen
class ChecksumMismatch:
    """The book of `symbol` no longer matches Kraken's: resubscribe it for a fresh snapshot."""

    symbol: str
    expected: int
    computed: int


@frozen
class Duplicate:
    """Something already seen was dropped: a fill (`key` is its exec_id) or a frame (`sequence N`)."""

    channel: str
    key: str


@frozen
class MessageRejected:
    """A frame (or one entry of it) could not be read or translated; the rest of the stream goes on."""

    error: KrakenMessageError


@frozen
class OrderUnknown:
    """A report about an order we know too little about: query it through REST."""

    order_id: str
    missing: tuple[str, ...]


@frozen
class PrecisionUnknown:
    """A book for a pair whose precision is unknown: its checksum cannot be verified until it is known."""

    symbol: str


@frozen
class ReplyReceived:
    """The answer to a request (match it by `req_id`), or a pong."""

    reply: MethodResponse | Pong


@frozen
class SystemStatusReported:
    """Kraken's engine state: online, maintenance, cancel_only or post_only."""

    system: str
    version: str | None = None
    connection_id: int | None = None


@frozen
class InstrumentsReported:
    pairs: tuple[TradingPair, ...]


@frozen
class HeartbeatReceived:
    received_at: datetime


PipelineSignal = Union[  # noqa: UP007
    GapDetected,
    ChecksumMismatch,
    Duplicate,
    MessageRejected,
    OrderUnknown,
    PrecisionUnknown,
    ReplyReceived,
    SystemStatusReported,
    InstrumentsReported,
    HeartbeatReceived,
]
PipelineOutput = Union[ExchangeEvent, PipelineSignal]  # noqa: UP007


@define
class PipelineCounters:
    """Running totals for metrics."""

    messages: int = 0
    parse_errors: int = 0
    translation_errors: int = 0
    duplicates_dropped: int = 0
    gaps: int = 0
    out_of_order: int = 0
    stale_dropped: int = 0
    checksum_mismatches: int = 0
    book_messages_dropped: int = 0
    unknown_orders: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


# --- the pipeline -------------------------------------------------------------------------------------

_IN_ORDER = SequenceVerdict.IN_ORDER
_DUPLICATE = SequenceVerdict.DUPLICATE
_GAP = SequenceVerdict.GAP
_OUT_OF_ORDER = SequenceVerdict.OUT_OF_ORDER
_SEQUENCED = frozenset({"executions", "balances"})


class _Book:
    __slots__ = ("awaiting_snapshot", "book", "checksum", "warned")

    def __init__(self, book: OrderBook, checksum: BookChecksum | None) -> None:
        self.book = book
        self.checksum = checksum
        self.awaiting_snapshot = False
        self.warned = False


class KrakenPipeline:
    """Feed it every inbound frame; it returns what happened. One instance per connection pair is enough.

    `pairs` give the price and quantity precision the book checksum needs (the `instrument` channel adds
    more as it arrives). `seen_exec_ids` may be shared with a REST backfill so that a fill is applied once
    whichever way it came.
    """

    def __init__(
        self,
        *,
        pairs: Iterable[TradingPair] = (),
        book_depth: int = 10,
        asset_name: AssetName = default_asset_name,
        seen_exec_ids: RecentIds[str] | None = None,
    ) -> None:
        self.counters = PipelineCounters()
        self.seen_exec_ids: RecentIds[str] = RecentIds() if seen_exec_ids is None else seen_exec_ids
        self._sequences = SequenceTracker()
        self._executions = ExecutionsTranslator(asset_name)
        self._balances = BalancesTranslator(asset_name)
        self._precisions: dict[str, tuple[int, int]] = {}
        self._default_depth = book_depth
        self._depths: dict[str, int] = {}
        self._books: dict[str, _Book] = {}
        for pair in pairs:
            self.set_precision(pair.symbol, pair.price_precision, pair.quantity_precision)
        self._handlers: dict[type[Any], Callable[[Any, datetime], list[PipelineOutput]]] = {
            ExecutionsMessage: self._on_executions,
            BalancesMessage: self._on_balances,
            BookMessage: self._on_book,
            TickerMessage: self._on_ticker,
            TradeMessage: self._on_trade,
            OhlcMessage: self._on_ohlc,
            InstrumentMessage: self._on_instrument,
            StatusMessage: self._on_status,
            Heartbeat: self._on_heartbeat,
            MethodResponse: self._on_reply,
            Pong: self._on_reply,
        }

    # --- configuration ------------------------------------------------------------------------------

    def set_precision(self, symbol: str, price_precision: int, qty_precision: int) -> None:
        """The decimals of prices and quantities of `symbol`, as the checksum formats them."""
        for name, value in (("price_precision", price_precision), ("qty_precision", qty_precision)):
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 30:
                raise InvalidValueError(name, value, "a number of decimals from 0 to 30")
        self._precisions[symbol] = (price_precision, qty_precision)
        state = self._books.get(symbol)
        if state is not None:
            state.checksum = BookChecksum(price_precision, qty_precision)

    def set_book_depth(self, symbol: str, depth: int) -> None:
        """The depth `symbol` is subscribed with (subscribe acks set it too)."""
        self._depths[symbol] = depth

    def book(self, symbol: str) -> OrderBook | None:
        """The verified book of `symbol`, or None while there is none (or it awaits a fresh snapshot)."""
        state = self._books.get(symbol)
        return None if state is None or state.awaiting_snapshot else state.book

    def reset_channel(self, channel: str) -> None:
        """Forget `channel`'s sequence (or every book, for `book`) before resubscribing it."""
        if channel == "book":
            self._books.clear()
        else:
            self._sequences.reset(channel)

    def reset_connection(self) -> None:
        """A new connection: sequences and books start afresh; seen fills and known orders are kept."""
        self._sequences.reset()
        self._books.clear()

    # --- feeding ------------------------------------------------------------------------------------

    def feed(self, frame: bytes | str, received_at: datetime) -> list[PipelineOutput]:
        """Everything one frame yields: exchange events and signals, in the frame's order."""
        if received_at.tzinfo is None:
            raise InvalidValueError("received_at", received_at, "a timezone-aware datetime")
        self.counters.messages += 1
        try:
            message: KrakenMessage = parse_message(frame)
        except KrakenMessageError as error:
            self.counters.parse_errors += 1
            return [MessageRejected(error)]
        return self._handlers[type(message)](message, received_at)

    def _rejected(self, error: KrakenMessageError) -> MessageRejected:
        self.counters.translation_errors += 1
        return MessageRejected(error)

    def _sequence(
        self, channel: str, sequence: int | None, snapshot: bool, out: list[PipelineOutput]
    ) -> SequenceVerdict:
        if sequence is None:
            return _IN_ORDER
        check = self._sequences.observe(channel, sequence, restart=snapshot)
        verdict = check.verdict
        if verdict is _GAP:
            self.counters.gaps += 1
            out.append(GapDetected(channel, check.missing))
        elif verdict is _DUPLICATE:
            self.counters.duplicates_dropped += 1
            out.append(Duplicate(channel, f"sequence {sequence}"))
        elif verdict is _OUT_OF_ORDER:
            self.counters.out_of_order += 1
        return verdict

    def _on_executions(self, message: ExecutionsMessage, received_at: datetime) -> list[PipelineOutput]:
        out: list[PipelineOutput] = []
        snapshot = message.type == "snapshot"
        verdict = self._sequence("executions", message.sequence, snapshot, out)
        if snapshot:
            self._executions.forget_orders()
        seen = self.seen_exec_ids
        for report in message.data:
            exec_id = report.exec_id if report.exec_type == "trade" else None
            if exec_id is None:
                if verdict is _DUPLICATE:
                    continue  # an order report repeated with its frame: it was reported the first time
            elif exec_id in seen:
                if verdict is not _DUPLICATE:
                    self.counters.duplicates_dropped += 1
                    out.append(Duplicate("executions", exec_id))
                continue
            try:
                events = self._executions.translate(report, received_at, snapshot=snapshot)
            except IncompleteOrderError as error:
                self.counters.unknown_orders += 1
                out.append(OrderUnknown(error.order_id, tuple(error.missing)))
                continue
            except KrakenTranslationError as error:
                out.append(self._rejected(error))
                continue
            if exec_id is not None:
                seen.add(exec_id)
            out.extend(events)
        return out

    def _on_balances(self, message: BalancesMessage, received_at: datetime) -> list[PipelineOutput]:
        out: list[PipelineOutput] = []
        snapshot = message.type == "snapshot"
        verdict = self._sequence("balances", message.sequence, snapshot, out)
        if verdict is _DUPLICATE:
            return out
        if verdict is _OUT_OF_ORDER:
            self.counters.stale_dropped += 1
            return out
        for entry in message.data:
            try:
                out.append(self._balances.translate(entry, received_at, snapshot=snapshot))
            except KrakenTranslationError as error:
                out.append(self._rejected(error))
        return out

    def _on_book(self, message: BookMessage, received_at: datetime) -> list[PipelineOutput]:
        out: list[PipelineOutput] = []
        snapshot = message.type == "snapshot"
        for data in message.data:
            self._book_data(data, snapshot, received_at, out)
        return out

    def _book_data(
        self, data: BookData, snapshot: bool, received_at: datetime, out: list[PipelineOutput]
    ) -> None:
        symbol = data.symbol
        state = self._books.get(symbol)
        bids = [(level.price, level.qty) for level in data.bids]
        asks = [(level.price, level.qty) for level in data.asks]
        try:
            if snapshot:
                state = _Book(
                    OrderBook(symbol, self._depths.get(symbol, self._default_depth)), self._checksum(symbol)
                )
                self._books[symbol] = state
                state.book.apply_snapshot(bids, asks)
            elif state is None or state.awaiting_snapshot:
                self.counters.book_messages_dropped += 1
                return
            else:
                state.book.apply_update(bids, asks)
        except DomainError as error:
            if state is not None:
                state.awaiting_snapshot = True
            out.append(self._rejected(KrakenTranslationError(str(error), data)))
            return
        if state.checksum is None:
            if not state.warned:
                state.warned = True
                out.append(PrecisionUnknown(symbol))
        else:
            book = state.book
            try:
                computed = state.checksum(book.asks(CHECKSUM_DEPTH), book.bids(CHECKSUM_DEPTH))
            except ValueError as error:  # a level the checksum cannot be computed over: wait for a snapshot
                state.awaiting_snapshot = True
                book.clear()
                out.append(self._rejected(KrakenTranslationError(str(error), data)))
                return
            if computed != data.checksum:
                self.counters.checksum_mismatches += 1
                state.awaiting_snapshot = True
                book.clear()
                out.append(ChecksumMismatch(symbol, data.checksum, computed))
                return
        try:
            out.append(book_event(data, received_at, snapshot=snapshot, bids=bids, asks=asks))
        except KrakenTranslationError as error:
            out.append(self._rejected(error))

    def _checksum(self, symbol: str) -> BookChecksum | None:
        precision = self._precisions.get(symbol)
        return None if precision is None else BookChecksum(*precision)

    def _on_ticker(self, message: TickerMessage, received_at: datetime) -> list[PipelineOutput]:
        out: list[PipelineOutput] = []
        for data in message.data:
            try:
                out.append(ticker_event(data, received_at))
            except KrakenTranslationError as error:
                out.append(self._rejected(error))
        return out

    def _on_trade(self, message: TradeMessage, received_at: datetime) -> list[PipelineOutput]:
        out: list[PipelineOutput] = []
        for data in message.data:
            try:
                out.append(trade_event(data))
            except KrakenTranslationError as error:
                out.append(self._rejected(error))
        return out

    def _on_ohlc(self, message: OhlcMessage, received_at: datetime) -> list[PipelineOutput]:
        out: list[PipelineOutput] = []
        for data in message.data:
            try:
                out.append(candle_event(data, message.timestamp, received_at))
            except KrakenTranslationError as error:
                out.append(self._rejected(error))
        return out

    def _on_instrument(self, message: InstrumentMessage, received_at: datetime) -> list[PipelineOutput]:
        out: list[PipelineOutput] = []
        for info in message.data.pairs:
            try:
                self.set_precision(info.symbol, info.price_precision, info.qty_precision)
            except InvalidValueError as error:
                out.append(self._rejected(KrakenTranslationError(str(error), info)))
        pairs: list[TradingPair] = []
        for pair in trading_pairs(message.data):
            if isinstance(pair, TradingPair):
                pairs.append(pair)
            else:
                out.append(self._rejected(pair))
        out.insert(0, InstrumentsReported(tuple(pairs)))
        return out

    def _on_status(self, message: StatusMessage, received_at: datetime) -> list[PipelineOutput]:
        return [SystemStatusReported(data.system, data.version, data.connection_id) for data in message.data]

    def _on_heartbeat(self, message: Heartbeat, received_at: datetime) -> list[PipelineOutput]:
        return [HeartbeatReceived(received_at)]

    def _on_reply(self, reply: MethodResponse | Pong, received_at: datetime) -> list[PipelineOutput]:
        if isinstance(reply, MethodResponse) and reply.success and isinstance(reply.result, dict):
            self._subscription_changed(reply.method, reply.result)
        return [ReplyReceived(reply)]

    def _subscription_changed(self, method: str, result: dict[str, Any]) -> None:
        """A subscription starts (or ends) afresh: its sequence restarts, its book awaits a new snapshot."""
        channel = result.get("channel")
        if method not in ("subscribe", "unsubscribe") or not isinstance(channel, str):
            return
        if channel in _SEQUENCED:
            self._sequences.reset(channel)
        elif channel == "book":
            symbol = result.get("symbol")
            if not isinstance(symbol, str):
                return
            self._books.pop(symbol, None)
            depth = result.get("depth")
            if method == "subscribe" and isinstance(depth, int) and not isinstance(depth, bool) and depth > 0:
                self._depths[symbol] = depth
