"""`KrakenStream`: the `ExchangeStream` port over Kraken's WebSocket v2, kept connected and caught up.

Two connections: the private one (`executions` with order and trade snapshots, `balances` with a snapshot;
a fresh token from REST for every connection) when a token source is given, and the public one (`book`,
`ticker` on best bid/offer changes, `trade`, `ohlc`, plus `instrument` for the book checksums' precisions)
once market data is wanted.
Every inbound frame goes to the journal hook (if any), then through `KrakenPipeline`; its events go to
`events()` and its signals are acted on:

- a checksum mismatch resubscribes that book for a fresh snapshot (`counters.resyncs`);
- a gap on `executions` emits `StreamRecoveryNeeded(reason="gap")`; a gap on `balances` resubscribes it (its
  snapshot holds the totals);
- an unreadable private frame (it still used up its sequence number) on `executions`, or whose channel cannot
  be told, emits `StreamRecoveryNeeded(reason="rejected")`; on `balances` it resubscribes them;
- a connection that closes, or goes quiet (no channel message, heartbeats included, for the silence
  timeout), is reconnected with backoff and jitter within the connection budget; every subscription is sent
  again with fresh snapshots; once the private connection is back and its snapshots arrived,
  `StreamRecoveryNeeded(reason="reconnect", since=<receive time of the last private event before the loss>)`
  tells the REST backfill what to fetch;
- a subscription acked whose snapshot does not follow within the request timeout (Kraken acked, then went
  quiet on that channel while its heartbeats go on) replaces the connection too;
- an unanswered request, or a refusal of the private token, replaces the connection with a fresh token.

`health()` is healthy only while every needed connection is up, every subscription acked, every stateful
snapshot (executions, balances, books) received and Kraken's system `online`; each change of that verdict is
also emitted as `StreamStatusChanged`.

Backpressure: `events()` reads a bounded queue (`EventQueue`). Nothing is dropped or conflated, market data
included: when the queue is full the reader waits for the consumer (the socket buffers, then TCP pushes back on
Kraken), and the silence watchdog does not count that wait against Kraken. Health changes and recovery requests
skip the bound, so they never wait for the consumer. Acks travel behind the data, though: a consumer that lets
the queue fill and then awaits `subscribe()` itself waits for its own reading (until the request timeout); call
it from another task. `events()` is meant for one consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol, get_args

import msgspec
from attrs import define, field, frozen
from websockets.exceptions import InvalidHandshake, InvalidURI

from galfriday.adapters.kraken.pipeline import (
    ChecksumMismatch,
    GapDetected,
    KrakenPipeline,
    MessageRejected,
    OrderUnknown,
    PrecisionUnknown,
    ReplyReceived,
    SystemStatusReported,
)
from galfriday.adapters.kraken.rest_parsing import WebSocketsToken
from galfriday.adapters.kraken.ws_backoff import Backoff, BackoffPolicy, ConnectionBudget
from galfriday.adapters.kraken.ws_connection import KrakenConnection, LivenessPolicy
from galfriday.adapters.kraken.ws_event_queue import EventQueue
from galfriday.adapters.kraken.ws_messages import MethodResponse
from galfriday.adapters.kraken.ws_requests import (
    AlreadySubscribedError,
    RequestTimeoutError,
    SubscriptionNotFoundError,
    reply_error,
)
from galfriday.adapters.kraken.ws_subscriptions import (
    DesiredSubscriptions,
    SubscriptionKey,
    SubscriptionStatus,
    WantedSubscription,
    batches,
)
from galfriday.adapters.memory.clock import SystemClock
from galfriday.domain.events import (
    BalanceReported,
    BookReported,
    ExchangeEvent,
    ExecutionReported,
    OrderReported,
    StreamRecoveryNeeded,
    StreamStatusChanged,
)
from galfriday.domain.instruments import TradingPair
from galfriday.domain.market_data import MarketChannel
from galfriday.domain.order_book import OrderBook
from galfriday.errors import AuthenticationError, ExchangeError, InvalidValueError
from galfriday.ports.clock import Clock
from galfriday.ports.exchange import StreamHealth

__all__ = ["Journal", "KrakenStream", "PairSource", "StreamCounters", "StreamSettings", "TokenSource"]

log = logging.getLogger(__name__)

EXCHANGE = "kraken"
ONLINE = "online"
MAINTENANCE = frozenset({"maintenance", "cancel_only"})
BOOK_DEPTHS = (10, 25, 100, 500, 1000)

Journal = Callable[[str, str, str, datetime], None]
"""`(source, channel, payload, received_at)`, called for every inbound frame; must be cheap and not block."""


class TokenSource(Protocol):
    """Where private connections get their token (`KrakenRestClient` is one)."""

    async def get_websockets_token(self) -> WebSocketsToken: ...


class PairSource(Protocol):
    """Where book checksums get the pairs' precisions before the `instrument` channel says (`KrakenRestClient`)."""

    async def asset_pairs(self) -> list[TradingPair]: ...


@frozen
class StreamSettings:
    """Tuning of a `KrakenStream`; times in seconds. The defaults follow Kraken's guidance (spec D.1, D.4)."""

    book_depth: int = 10
    queue_size: int = 10_000
    silence_timeout: float = 5.0
    ping_interval: float = 10.0
    request_timeout: float = 10.0
    open_timeout: float = 10.0
    backoff: BackoffPolicy = field(factory=BackoffPolicy)
    connections_per_window: int = 120
    """Connection attempts allowed per rolling 10 minutes, both endpoints together (Kraken bans at ~150/IP)."""

    def __attrs_post_init__(self) -> None:
        if self.book_depth not in BOOK_DEPTHS:
            raise InvalidValueError("book_depth", self.book_depth, f"one of Kraken's depths {BOOK_DEPTHS}")
        for name in ("queue_size", "connections_per_window"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidValueError(name, value, "a positive whole number")
        for name in ("silence_timeout", "ping_interval", "request_timeout", "open_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise InvalidValueError(name, value, "a positive number of seconds")


@define
class StreamCounters:
    """Running totals for metrics and the CLI summary."""

    connections: int = 0
    reconnects: int = 0
    connection_failures: int = 0
    silent_disconnects: int = 0
    checksum_mismatches: int = 0
    resyncs: int = 0
    gaps: int = 0
    rejected_frames: int = 0
    recoveries: int = 0
    internal_errors: int = 0
    missing_snapshots: int = 0


class _Probe(msgspec.Struct):
    channel: str | None = None
    type: str | None = None
    method: str | None = None


_probe = msgspec.json.Decoder(_Probe)
_PROBE_ERRORS = (msgspec.MsgspecError, ValueError, TypeError, RecursionError)
_PRIVATE_EVENTS = (OrderReported, ExecutionReported, BalanceReported)
_EVENT_TYPES: frozenset[type] = frozenset(get_args(ExchangeEvent))
_NOT_LIVENESS = frozenset({ReplyReceived, MessageRejected})
_END = object()


class _Endpoint:
    """One endpoint's connection, kept up by its own task."""

    def __init__(self, name: str, url: str, *, private: bool, backoff: Backoff) -> None:
        self.name = name
        self.url = url
        self.private = private
        self.backoff = backoff
        self.connection: KrakenConnection | None = None
        self.task: asyncio.Task[None] | None = None
        self.token: str | None = None
        self.connected_once = False
        self.recovery_pending = False
        self.lost_since: datetime | None = None
        self.lock = asyncio.Lock()


class KrakenStream:
    """Kraken's private and public WebSocket v2 feeds as domain events; `start()`/`close()` or `async with`."""

    def __init__(
        self,
        ws_url: str,
        ws_auth_url: str | None = None,
        *,
        tokens: TokenSource | None = None,
        pairs: Iterable[TradingPair] = (),
        pair_source: PairSource | None = None,
        journal: Journal | None = None,
        settings: StreamSettings | None = None,
        clock: Clock | None = None,
        pipeline: KrakenPipeline | None = None,
        budget: ConnectionBudget | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if tokens is not None and not ws_auth_url:
            raise InvalidValueError(
                "ws_auth_url", ws_auth_url, "the private endpoint's URL, with a token source"
            )
        self.settings = settings or StreamSettings()
        self.counters = StreamCounters()
        self._clock: Clock = clock or SystemClock()
        self._tokens = tokens
        self._pair_source = pair_source
        self._journal = journal
        self.pipeline = pipeline or KrakenPipeline(pairs=pairs, book_depth=self.settings.book_depth)
        rng = rng or random.Random()
        policy = self.settings.backoff
        self._public = _Endpoint("public", ws_url, private=False, backoff=Backoff(policy, rng=rng))
        self._private = _Endpoint(
            "private", ws_auth_url or "", private=True, backoff=Backoff(policy, rng=rng)
        )
        self._budget = budget or ConnectionBudget(self.settings.connections_per_window)
        self._liveness = LivenessPolicy(self.settings.silence_timeout, self.settings.ping_interval)
        self._subscriptions = DesiredSubscriptions()
        self._queue: EventQueue[Any] = EventQueue(self.settings.queue_size)
        self._blocked = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._resyncing: set[tuple[str, str | None]] = set()
        self._refusals: dict[SubscriptionKey, ExchangeError] = {}
        self._system: str | None = None
        self._healthy = False
        self._health_changed = asyncio.Event()
        self._reason = "not started"
        self._last_message_at: datetime | None = None
        self._last_private_at: datetime | None = None
        self._started = False
        self._closed = False
        if tokens is not None:
            self._subscriptions.want("executions", options={"snap_orders": True, "snap_trades": True})
            self._subscriptions.want("balances", options={"snapshot": True})

    def __repr__(self) -> str:
        return f"KrakenStream(public={self._public.url!r}, private={self._private.url or None!r})"

    # --- lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load pair precisions (if a source is given), then connect; returns without waiting for health."""
        if self._started:
            return
        self._started = True
        if self._pair_source is not None:
            try:
                for pair in await self._pair_source.asset_pairs():
                    self.pipeline.set_precision(pair.symbol, pair.price_precision, pair.quantity_precision)
            except (ExchangeError, InvalidValueError) as error:
                log.warning("Kraken pairs not loaded (%s); books wait for the instrument channel", error)
        if self._tokens is not None:
            self._launch(self._private)
        if self._subscriptions.of_endpoint(private=False):
            self._launch(self._public)
        await self._update_health()

    async def close(self) -> None:
        """Stop reconnecting, close both connections, end `events()`. Safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        tasks = [ep.task for ep in (self._public, self._private) if ep.task is not None] + list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for ep in (self._public, self._private):
            if ep.connection is not None:
                await ep.connection.close()
                ep.connection = None
        if self._healthy:
            self._healthy = False
            self._emit(StreamStatusChanged(False, "closed", self._clock.now()))
        self._reason = "closed"
        self._health_changed.set()
        self._emit(_END)

    async def __aenter__(self) -> KrakenStream:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _launch(self, ep: _Endpoint) -> None:
        if ep.task is None and self._started and not self._closed:
            ep.task = asyncio.get_running_loop().create_task(
                self._keep_connected(ep), name=f"kraken-{ep.name}"
            )

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- the port ------------------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[ExchangeEvent]:
        """Events in arrival order, until `close()` (events already queued are delivered first)."""
        queue = self._queue
        while True:
            item = await queue.get()
            if item is _END:
                return
            yield item

    async def subscribe(
        self, symbols: Sequence[str], channels: Sequence[MarketChannel], *, depth: int | None = None
    ) -> None:
        """Want market data; when connected, wait for Kraken's acks and raise a refusal as a typed error.

        A refused symbol is no longer wanted. Books use `depth` (default: the settings' `book_depth`).
        """
        if isinstance(symbols, str):
            raise InvalidValueError("symbols", symbols, "a sequence of symbols such as ['BTC/USD']")
        requested: list[SubscriptionKey] = []
        ep = self._public
        for channel in channels:
            name = MarketChannel(channel).value
            options = _channel_options(name, depth or self.settings.book_depth)
            await self._unsubscribe_changed(ep, name, symbols, options)
            self._subscriptions.want(name, symbols, options)
            requested += [SubscriptionKey(name, symbol) for symbol in symbols]
            if name == "book" and self._subscriptions.get("instrument") is None:
                self._subscriptions.want("instrument", options={"snapshot": True})
        self._launch(ep)
        if ep.connection is not None:
            await self._send_pending(ep)
        await self._update_health()
        if self._started:
            await self._answered(requested, time.monotonic() + self.settings.request_timeout)
        refusals = [self._refusals.pop(key) for key in requested if key in self._refusals]
        if refusals:
            raise refusals[0]

    async def _unsubscribe_changed(
        self, ep: _Endpoint, channel: str, symbols: Sequence[str], options: dict[str, Any]
    ) -> None:
        """Kraken refuses a second subscribe of a subscribed channel: one with new options (another book
        depth) is unsubscribed first, then subscribed again as new."""
        changed = [
            symbol
            for symbol in symbols
            if (current := self._subscriptions.get(channel, symbol)) is not None
            and current.options != options
            and current.status is not SubscriptionStatus.PENDING
        ]
        connection = ep.connection
        if not changed or connection is None:
            return
        try:
            await connection.request(
                "unsubscribe",
                {"channel": channel, "symbol": changed},
                expected=len(changed),
                within=self.settings.request_timeout,
            )
        except RequestTimeoutError as error:
            log.warning("Kraken unsubscribe %s %s before a change: %s; reconnecting", channel, changed, error)
            connection.abort()

    async def _answered(self, keys: list[SubscriptionKey], deadline: float) -> None:
        """Wait until each subscription was acked or refused (or until `deadline`: Kraken may be away)."""
        unanswered = (SubscriptionStatus.PENDING, SubscriptionStatus.SENT)
        while time.monotonic() < deadline and not self._closed:
            wanted = [self._subscriptions.get(*key) for key in keys]
            if all(s is None or s.status not in unanswered for s in wanted):
                return
            await asyncio.sleep(0.005)

    async def unsubscribe(self, symbols: Sequence[str], channels: Sequence[MarketChannel]) -> None:
        """Stop wanting market data; when connected, unsubscribe and wait for the acks."""
        ep = self._public
        for channel in channels:
            name = MarketChannel(channel).value
            dropped = [s for s in symbols if self._subscriptions.drop(name, s) is not None]
            connection = ep.connection
            if not dropped or connection is None:
                continue
            params = {"channel": name, "symbol": dropped}
            try:
                replies = await connection.request(
                    "unsubscribe", params, expected=len(dropped), within=self.settings.request_timeout
                )
            except RequestTimeoutError as error:
                log.warning("Kraken unsubscribe %s %s: %s", name, dropped, error)
                continue
            for reply in replies:
                if isinstance(reply, MethodResponse) and reply.success is False:
                    refusal = reply_error("unsubscribe", reply)
                    if not isinstance(refusal, SubscriptionNotFoundError):
                        raise refusal
        await self._update_health()

    def health(self) -> StreamHealth:
        healthy, reason = self._verdict()
        return StreamHealth(
            healthy=healthy,
            reason=reason,
            last_message_at=self._last_message_at,
            reconnects=self.counters.reconnects,
        )

    # --- extras ----------------------------------------------------------------------------------------

    def book(self, symbol: str) -> OrderBook | None:
        """The verified book of `symbol` (None while it has none, or awaits a fresh snapshot)."""
        return self.pipeline.book(symbol)

    @property
    def system_status(self) -> str | None:
        return self._system

    async def wait_healthy(self, within: float) -> StreamHealth:
        """Wait until healthy; `TimeoutError` after `within` seconds."""
        deadline = time.monotonic() + within
        while not self._verdict()[0]:
            if self._closed:
                raise ExchangeError("the Kraken stream is closed: it will not become healthy")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"Kraken stream not healthy within {within:g} s: {self._verdict()[1]}")
            self._health_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._health_changed.wait(), remaining)
        return self.health()

    # --- connections -----------------------------------------------------------------------------------

    async def _keep_connected(self, ep: _Endpoint) -> None:
        """Connect, subscribe, read until the connection dies; again, with backoff, until closed."""
        first = True
        while not self._closed:
            delay = 0.0 if first else ep.backoff.next_delay(maintenance=self._system in MAINTENANCE)
            now = time.monotonic()
            budget_wait = self._budget.wait(now)
            if budget_wait > delay:
                log.warning(
                    "Kraken %s: %d connection attempts within %g s use up the budget; next attempt in %.1f s",
                    ep.name,
                    self._budget.used(now),
                    self._budget.window,
                    budget_wait,
                )
                delay = budget_wait
            if delay > 0:
                if not first:
                    log.info("Kraken %s: reconnecting in %.2f s", ep.name, delay)
                await asyncio.sleep(delay)
            first = False
            connection = await self._connect(ep)
            if connection is None:
                continue
            try:
                await self._serve(ep, connection)
            except Exception:
                # A bug of ours (the pipeline refuses bad frames itself): drop this connection, keep streaming.
                self.counters.internal_errors += 1
                log.exception("Kraken %s: processing failed; reconnecting", ep.name)
            finally:
                await self._connection_lost(ep, connection)

    async def _connect(self, ep: _Endpoint) -> KrakenConnection | None:
        self._budget.record(time.monotonic())
        try:
            if ep.private:
                assert self._tokens is not None
                token = await self._tokens.get_websockets_token()
                ep.token = token.token.reveal()
            connection = await KrakenConnection.open(
                ep.url, private=ep.private, open_timeout=self.settings.open_timeout
            )
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI, ExchangeError) as error:
            self.counters.connection_failures += 1
            log.warning("Kraken %s connection failed: %s", ep.name, error)
            return None
        self.counters.connections += 1
        if ep.connected_once:
            self.counters.reconnects += 1
            log.info("Kraken %s: reconnected (%d reconnects)", ep.name, self.counters.reconnects)
        ep.connected_once = True
        return connection

    async def _serve(self, ep: _Endpoint, connection: KrakenConnection) -> None:
        self._reset_pipeline(ep)
        self._subscriptions.connection_lost(ep.private)
        ep.connection = connection
        watch = asyncio.get_running_loop().create_task(
            connection.watch(self._liveness, lambda: self._blocked > 0)
        )
        subscribe = asyncio.get_running_loop().create_task(self._subscribe_connection(ep, connection))
        try:
            await self._update_health()
            await self._read(ep, connection)
        finally:
            for task in (watch, subscribe):
                task.cancel()
            await asyncio.gather(watch, subscribe, return_exceptions=True)
            if connection.silent_for is not None:
                self.counters.silent_disconnects += 1

    async def _subscribe_connection(self, ep: _Endpoint, connection: KrakenConnection) -> None:
        for error in await self._send_pending(ep):
            log.error("Kraken %s subscription refused: %s", ep.name, error)
        await self._update_health()

    async def _connection_lost(self, ep: _Endpoint, connection: KrakenConnection) -> None:
        if ep.connection is connection:
            ep.connection = None
        await connection.close()
        self._subscriptions.connection_lost(ep.private)
        self._reset_pipeline(ep)
        if ep.private and not self._closed:
            if not ep.recovery_pending:
                ep.lost_since = self._last_private_at
            ep.recovery_pending = True
        if not self._closed:
            log.warning("Kraken %s connection lost", ep.name)
            await self._update_health()

    def _reset_pipeline(self, ep: _Endpoint) -> None:
        if ep.private:
            self.pipeline.reset_channel("executions")
            self.pipeline.reset_channel("balances")
        else:
            self.pipeline.reset_channel("book")
        self._resyncing = {
            key for key in self._resyncing if (key[0] in ("executions", "balances")) != ep.private
        }

    # --- subscribing ---------------------------------------------------------------------------------

    async def _send_pending(self, ep: _Endpoint) -> list[ExchangeError]:
        """Send every pending subscription of `ep` on its current connection; the refusals (no longer wanted).

        An unanswered request, or a private refusal of our credentials, drops the connection (a fresh one
        with a fresh token follows).
        """
        refusals: list[ExchangeError] = []
        async with ep.lock:
            connection = ep.connection
            if connection is None:
                return refusals
            pending = self._subscriptions.pending(ep.private)
            self._subscriptions.sent(pending)
            groups = batches(pending)
            requests = []
            for batch in groups:  # all sent at once, in order (instrument first), then awaited
                params = batch.params()
                if ep.private:
                    params["token"] = ep.token
                expected = max(1, sum(1 for s in batch.subscriptions if s.symbol is not None))
                requests.append(
                    connection.request(
                        "subscribe", params, expected=expected, within=self.settings.request_timeout
                    )
                )
            answers = await asyncio.gather(*requests, return_exceptions=True)
            for batch, answer in zip(groups, answers, strict=True):
                if isinstance(answer, BaseException):
                    if not isinstance(answer, RequestTimeoutError):
                        raise answer
                    log.warning("Kraken %s subscribe %s: %s; reconnecting", ep.name, batch.channel, answer)
                    connection.abort()
                    return refusals
                for reply in answer:
                    if not isinstance(reply, MethodResponse) or reply.success is not False:
                        continue
                    refusal = reply_error("subscribe", reply)
                    if isinstance(refusal, AlreadySubscribedError):
                        # Subscribed after all: its snapshot will not come again, which the snapshot deadline
                        # below turns into a fresh connection.
                        for subscription in batch.subscriptions:
                            if reply.symbol in (None, subscription.symbol):
                                self._subscriptions.acked(subscription.channel, subscription.symbol)
                        continue
                    if isinstance(refusal, AuthenticationError):
                        log.error("Kraken %s: %s; reconnecting with a fresh token", ep.name, refusal)
                        connection.abort()
                        return refusals
                    refusals.append(refusal)
                    for subscription in batch.subscriptions:
                        if reply.symbol is None or subscription.symbol == reply.symbol:
                            self._subscriptions.drop(subscription.channel, subscription.symbol)
                            self._refusals[subscription.key] = refusal
            if any(s.needs_snapshot for s in pending):
                self._spawn(self._expect_snapshots(ep, connection, pending))
        return refusals

    async def _expect_snapshots(
        self, ep: _Endpoint, connection: KrakenConnection, sent: list[WantedSubscription]
    ) -> None:
        """Acked but no snapshot within the request timeout: Kraken acked and went quiet on that channel (the
        heartbeats may go on). The connection is replaced, which subscribes everything afresh."""
        await asyncio.sleep(self.settings.request_timeout)
        if ep.connection is not connection:
            return
        late = [
            s for s in sent if s.status is SubscriptionStatus.ACKED and self._subscriptions.get(*s.key) is s
        ]
        if late:
            self.counters.missing_snapshots += 1
            log.warning(
                "Kraken %s: no snapshot for %s within %g s of the ack; reconnecting",
                ep.name,
                ", ".join(s.describe() for s in late),
                self.settings.request_timeout,
            )
            connection.abort()

    async def _resubscribe(self, ep: _Endpoint, channel: str, symbol: str | None) -> None:
        """Unsubscribe and subscribe again for a fresh snapshot (a checksum mismatch, a balances gap)."""
        key = (channel, symbol)
        connection = ep.connection
        try:
            if connection is None:
                return
            params: dict[str, Any] = {"channel": channel}
            if symbol is not None:
                params["symbol"] = [symbol]
            if ep.private:
                params["token"] = ep.token
            try:
                replies = await connection.request(
                    "unsubscribe", params, within=self.settings.request_timeout
                )
            except RequestTimeoutError as error:
                log.warning("Kraken resync of %s %s: %s; reconnecting", channel, symbol or "", error)
                connection.abort()
                return
            for reply in replies:
                if isinstance(reply, MethodResponse) and reply.success is False:
                    refusal = reply_error("unsubscribe", reply)
                    if not isinstance(refusal, SubscriptionNotFoundError):
                        log.warning("Kraken resync of %s %s: %s", channel, symbol or "", refusal)
            if self._subscriptions.resend(channel, symbol) is None:
                return
            self.counters.resyncs += 1
            for refusal in await self._send_pending(ep):
                log.error("Kraken resubscription refused: %s", refusal)
        finally:
            self._resyncing.discard(key)

    def _resync(self, ep: _Endpoint, channel: str, symbol: str | None) -> None:
        key = (channel, symbol)
        if key in self._resyncing or self._closed:
            return
        self._resyncing.add(key)
        self._spawn(self._resubscribe(ep, channel, symbol))

    # --- reading -------------------------------------------------------------------------------------

    async def _read(self, ep: _Endpoint, connection: KrakenConnection) -> None:
        feed = self.pipeline.feed
        now = self._clock.now
        journal = self._journal
        private = ep.private
        subscriptions = self._subscriptions
        put = self._queue.put_nowait
        async for frame in connection.frames():
            received_at = now()
            self._last_message_at = received_at
            probe: _Probe | None = None
            if journal is not None or (private and subscriptions.awaiting_snapshot(True)):
                probe = _peek(frame)
                if journal is not None:
                    self._journal_frame(journal, frame, probe, received_at)
            outputs = feed(frame, received_at)
            alive = not outputs
            for output in outputs:
                kind = type(output)
                if kind in _EVENT_TYPES:
                    alive = True
                    if not put(output):
                        await self._put_waiting(output)
                    if kind in _PRIVATE_EVENTS:
                        self._last_private_at = received_at
                    elif kind is BookReported and output.update.is_snapshot:  # type: ignore[union-attr]
                        await self._snapshot_received("book", output.update.symbol)  # type: ignore[union-attr]
                else:
                    if kind not in _NOT_LIVENESS:
                        alive = True
                    elif kind is MessageRejected and private:
                        self._private_rejected(ep, probe if probe is not None else _peek(frame))
                    await self._on_signal(ep, connection, output)
            if alive:
                connection.alive()
            if (
                probe is not None
                and private
                and probe.type == "snapshot"
                and probe.channel in ("executions", "balances")
            ):
                await self._snapshot_received(probe.channel, None)

    def _private_rejected(self, ep: _Endpoint, probe: _Probe | None) -> None:
        """An unreadable private frame still used up its sequence number: what it carried must come from REST.

        On `executions`, or when the frame is too broken to tell its channel (but is no reply to a request),
        that is a backfill (`StreamRecoveryNeeded(reason="rejected")`); on `balances`, a fresh snapshot.
        """
        channel = None if probe is None else probe.channel
        if channel == "balances":
            self._resync(ep, "balances", None)
        elif channel == "executions" or (channel is None and (probe is None or probe.method is None)):
            self.counters.recoveries += 1
            self._emit(
                StreamRecoveryNeeded(
                    exchange=EXCHANGE,
                    reason="rejected",
                    since=self._last_private_at,
                    occurred_at=self._clock.now(),
                    reconnects=self.counters.reconnects,
                )
            )

    def _journal_frame(
        self, journal: Journal, frame: str, probe: _Probe | None, received_at: datetime
    ) -> None:
        channel = "unreadable"
        if probe is not None:
            channel = probe.channel or probe.method or channel
        try:
            journal(EXCHANGE, channel, frame, received_at)
        except Exception:
            log.exception("Kraken journal hook failed; the frame is still processed")

    async def _put_waiting(self, item: Any) -> None:
        self._blocked += 1
        try:
            await self._queue.put(item)
        finally:
            self._blocked -= 1

    def _emit(self, item: Any) -> None:
        """A control item (health, recovery, the end): queued at once, beyond the bound if need be."""
        self._queue.put_control(item)

    async def _on_signal(self, ep: _Endpoint, connection: KrakenConnection, signal: Any) -> None:
        kind = type(signal)
        if kind is ReplyReceived:
            reply = signal.reply
            connection.requests.resolve(reply)
            if (
                isinstance(reply, MethodResponse)
                and reply.success
                and reply.method == "subscribe"
                and isinstance(reply.result, dict)
            ):
                channel = reply.result.get("channel")
                symbol = reply.result.get("symbol")
                if (
                    isinstance(channel, str)
                    and (symbol is None or isinstance(symbol, str))
                    and self._subscriptions.acked(channel, symbol) is not None
                ):
                    await self._update_health()
        elif kind is ChecksumMismatch:
            self.counters.checksum_mismatches += 1
            log.warning(
                "Kraken book %s: checksum %d, computed %d; resubscribing for a fresh snapshot",
                signal.symbol,
                signal.expected,
                signal.computed,
            )
            self._subscriptions.snapshot_invalidated("book", signal.symbol)
            self._resync(ep, "book", signal.symbol)
            await self._update_health()
        elif kind is GapDetected:
            self.counters.gaps += 1
            missing = signal.missing
            log.warning(
                "Kraken %s: sequences %d..%d missing", signal.channel, missing.start, missing.stop - 1
            )
            if signal.channel == "executions":
                self.counters.recoveries += 1
                self._emit(
                    StreamRecoveryNeeded(
                        exchange=EXCHANGE,
                        reason="gap",
                        since=self._last_private_at,
                        occurred_at=self._clock.now(),
                        reconnects=self.counters.reconnects,
                    )
                )
            elif signal.channel == "balances":
                self._resync(ep, "balances", None)
        elif kind is MessageRejected:
            self.counters.rejected_frames += 1
            log.warning("Kraken %s: %s", ep.name, signal.error)
        elif kind is SystemStatusReported:
            if signal.system != self._system:
                log.info("Kraken system status: %s", signal.system)
            self._system = signal.system
            await self._update_health()
        elif kind is OrderUnknown:
            log.info(
                "Kraken order %s reported without %s; REST can fill it in", signal.order_id, signal.missing
            )
        elif kind is PrecisionUnknown:
            log.warning(
                "Kraken book %s: precision unknown, its checksum cannot be verified yet", signal.symbol
            )

    async def _snapshot_received(self, channel: str, symbol: str | None) -> None:
        if self._subscriptions.snapshot_received(channel, symbol):
            await self._update_health()

    # --- health --------------------------------------------------------------------------------------

    def _needed(self) -> list[_Endpoint]:
        needed = []
        if self._tokens is not None:
            needed.append(self._private)
        if self._subscriptions.of_endpoint(private=False):
            needed.append(self._public)
        return needed

    def _verdict(self) -> tuple[bool, str]:
        if self._closed:
            return False, "closed"
        if not self._started:
            return False, "not started"
        needed = self._needed()
        if not needed:
            return False, "nothing to stream"
        for ep in needed:
            if ep.connection is None:
                return False, f"{ep.name} connection down"
            waiting = self._subscriptions.first_not_ready(ep.private)
            if waiting is not None:
                what = "snapshot" if waiting.status is SubscriptionStatus.ACKED else "ack"
                return False, f"{waiting.describe()} awaiting {what}"
        if self._system is not None and self._system != ONLINE:
            return False, f"Kraken system {self._system}"
        return True, "healthy"

    async def _update_health(self) -> None:
        private = self._private
        if private.connection is not None and self._subscriptions.ready(private=True):
            private.backoff.reset()
            if private.recovery_pending and self._tokens is not None:
                private.recovery_pending = False
                self.counters.recoveries += 1
                self._emit(
                    StreamRecoveryNeeded(
                        exchange=EXCHANGE,
                        reason="reconnect",
                        since=private.lost_since,
                        occurred_at=self._clock.now(),
                        reconnects=self.counters.reconnects,
                    )
                )
        public = self._public
        if public.connection is not None and self._subscriptions.ready(private=False):
            public.backoff.reset()
        healthy, reason = self._verdict()
        self._reason = reason
        if healthy != self._healthy and not self._closed:
            self._healthy = healthy
            self._health_changed.set()
            log.info("Kraken stream %s: %s", "healthy" if healthy else "unhealthy", reason)
            self._emit(StreamStatusChanged(healthy, reason, self._clock.now()))


def _channel_options(channel: str, book_depth: int) -> dict[str, Any]:
    """The request options of one market channel: the book's depth; the ticker on every change of the best
    bid or ask (`event_trigger: bbo`), not only on trades (Kraken's default), so quotes are never stale."""
    if channel == "book":
        return {"depth": book_depth}
    if channel == "ticker":
        return {"event_trigger": "bbo"}
    return {}


def _peek(frame: str) -> _Probe | None:
    """The channel, type and method of a frame, without decoding the rest of it."""
    try:
        return _probe.decode(frame)
    except _PROBE_ERRORS:
        return None
