"""Kraken v2 frames parse into typed messages with the exact wire digits, and nothing else ever escapes."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from decimal import Decimal

import kraken_frames as frames
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from galfriday.adapters.kraken.ws_errors import KrakenMessageError
from galfriday.adapters.kraken.ws_messages import (
    BalancesMessage,
    BookMessage,
    ExecutionsMessage,
    Heartbeat,
    InstrumentMessage,
    MethodResponse,
    OhlcMessage,
    Pong,
    StatusMessage,
    TickerMessage,
    TradeMessage,
    parse_message,
)
from galfriday.errors import ExchangeError

D = Decimal


class TestDocumentedFrames:
    def test_status_keeps_a_connection_id_beyond_2_to_the_63(self) -> None:
        message = parse_message(frames.STATUS)
        assert isinstance(message, StatusMessage)
        assert message.data[0].system == "online"
        assert message.data[0].connection_id == 13834774380200032777

    def test_heartbeat(self) -> None:
        assert isinstance(parse_message(frames.HEARTBEAT), Heartbeat)

    def test_pong_with_its_req_id_and_times(self) -> None:
        message = parse_message(frames.PONG)
        assert isinstance(message, Pong)
        assert message.req_id == 101
        assert message.time_out == datetime(2023, 9, 24, 14, 10, 23, 799703, tzinfo=UTC)

    def test_subscribe_ack(self) -> None:
        message = parse_message(frames.BOOK_ACK)
        assert isinstance(message, MethodResponse)
        assert message.method == "subscribe"
        assert message.success is True
        assert message.result == {"channel": "book", "depth": 10, "snapshot": True, "symbol": "ALGO/USD"}

    def test_failed_request_carries_the_error_and_req_id(self) -> None:
        message = parse_message(frames.UNSUBSCRIBE_FAILURE)
        assert isinstance(message, MethodResponse)
        assert (message.success, message.error, message.req_id) == (
            False,
            "Subscription Not Found",
            123456789,
        )
        assert message.symbol == "BTC/USD"

    def test_add_order_ack_and_failure(self) -> None:
        ack = parse_message(frames.ADD_ORDER_ACK)
        failure = parse_message(frames.ADD_ORDER_FAILURE)
        assert isinstance(ack, MethodResponse)
        assert isinstance(failure, MethodResponse)
        assert ack.result == {"order_id": "AA5JGQ-SBMRC-SCJ7J7", "order_userref": 100054}
        assert failure.error == "EOrder:Insufficient funds"

    def test_a_float_in_an_ack_result_stays_exact(self) -> None:
        message = parse_message('{"method": "subscribe", "success": true, "result": {"x": 0.1}}')
        assert isinstance(message, MethodResponse)
        assert message.result == {"x": D("0.1")}

    def test_execution_trade_with_exact_decimals(self) -> None:
        message = parse_message(frames.EXECUTION_TRADE)
        assert isinstance(message, ExecutionsMessage)
        assert (message.type, message.sequence) == ("update", 10)
        report = message.data[0]
        assert report.exec_type == "trade"
        assert report.exec_id == "TGBB7L-HT5LX-J3BZ4A"
        assert report.trade_id == 62887576
        assert report.last_qty == D("0.005")
        assert report.last_price == D("26599.9")
        assert report.cum_cost == D("132.9995")
        assert report.fee_usd_equiv == D("0.3458")
        assert report.fees is not None
        assert (report.fees[0].asset, report.fees[0].qty) == ("USD", D("0.3458"))
        assert report.timestamp == datetime(2023, 9, 22, 10, 33, 5, 709993, tzinfo=UTC)

    def test_decimals_keep_the_wire_digits_not_a_float_rounding(self) -> None:
        message = parse_message(frames.EXECUTION_PENDING_NEW)
        assert isinstance(message, ExecutionsMessage)
        assert str(message.data[0].limit_price) == "26500.0"
        assert str(message.data[0].order_qty) == "0.005"

    def test_partial_execution_update(self) -> None:
        message = parse_message(frames.EXECUTION_NEW)
        assert isinstance(message, ExecutionsMessage)
        report = message.data[0]
        assert (report.order_id, report.exec_type, report.order_status) == (
            "OK4GJX-KSTLS-7DZZO5",
            "new",
            "new",
        )
        assert report.symbol is None
        assert report.order_qty is None

    def test_canceled_report_with_reasons(self) -> None:
        message = parse_message(frames.executions(frames.CANCELED_REPORT))
        assert isinstance(message, ExecutionsMessage)
        assert message.sequence is None
        assert message.data[0].reason == "User requested"
        assert message.data[0].cum_qty == D("0")

    def test_balances_snapshot_with_wallets(self) -> None:
        message = parse_message(frames.BALANCES_SNAPSHOT)
        assert isinstance(message, BalancesMessage)
        matic = message.data[1]
        assert (matic.asset, matic.balance) == ("MATIC", D("500"))
        assert matic.wallets is not None
        assert [(w.wallet_type, w.id, w.balance) for w in matic.wallets] == [
            ("spot", "main", D("300")),
            ("earn", "flex", D("200")),
        ]
        assert message.data[2].balance == D("80595.4943")

    def test_balances_update_is_a_ledger_entry(self) -> None:
        message = parse_message(frames.BALANCES_TRADE_USD)
        assert isinstance(message, BalancesMessage)
        entry = message.data[0]
        assert (entry.ledger_type, entry.amount, entry.fee, entry.balance) == (
            "trade",
            D("132.9995"),
            D("0.3458"),
            D("500"),
        )
        assert entry.ref_id == "AGBB7L-HT5LX-J3BB4A"

    def test_book_snapshot_and_update(self) -> None:
        snapshot = parse_message(frames.BOOK_SNAPSHOT)
        update = parse_message(frames.BOOK_UPDATE)
        assert isinstance(snapshot, BookMessage)
        assert isinstance(update, BookMessage)
        data = snapshot.data[0]
        assert (data.symbol, data.checksum, len(data.bids), len(data.asks)) == (
            "MATIC/USD",
            2439117997,
            10,
            10,
        )
        assert (data.bids[6].price, data.bids[6].qty) == (D("0.566"), D("18097.1547"))
        assert update.data[0].bids[0].qty == D("1098.3947558")
        assert update.data[0].asks == ()

    def test_book_snapshot_without_timestamp(self) -> None:
        message = parse_message(
            '{"channel": "book", "type": "snapshot", "data": [{"symbol": "BTC/USD", "bids": [], "asks": [],'
            ' "checksum": 0}]}'
        )
        assert isinstance(message, BookMessage)
        assert message.data[0].timestamp is None

    def test_ticker_trade_ohlc(self) -> None:
        ticker = parse_message(frames.TICKER)
        trade = parse_message(frames.TRADE)
        ohlc = parse_message(frames.OHLC)
        assert isinstance(ticker, TickerMessage)
        assert isinstance(trade, TradeMessage)
        assert isinstance(ohlc, OhlcMessage)
        assert ticker.data[0].change == D("-0.00017")
        assert (trade.data[0].trade_id, trade.data[0].qty) == (4665906, D("40.0"))
        assert ohlc.data[0].interval_begin == datetime(2023, 10, 4, 16, 25, tzinfo=UTC)
        assert ohlc.data[0].trades == 12

    def test_instrument(self) -> None:
        message = parse_message(frames.INSTRUMENT)
        assert isinstance(message, InstrumentMessage)
        pair = message.data.pairs[0]
        assert (pair.symbol, pair.price_precision, pair.qty_precision, pair.qty_min) == (
            "BTC/USD",
            1,
            8,
            D("0.0001"),
        )
        assert pair.qty_increment == D("1e-08")

    def test_bytes_and_str_parse_alike(self) -> None:
        assert parse_message(frames.TRADE.encode()) == parse_message(frames.TRADE)


MALFORMED = [
    ("not json", "malformed"),
    ('{"channel": "book", "type": "update", "data": [', "truncated"),
    ("[1, 2]", "object"),
    ('"heartbeat"', "object"),
    ("{}", "neither"),
    ('{"channel": "level3", "type": "update", "data": []}', "level3"),
    ('{"channel": "book", "type": "delta", "data": []}', "type"),
    ('{"channel": "executions", "type": "update", "data": [{"exec_type": "new"}]}', "order_id"),
    (
        '{"channel": "trade", "type": "update", "data": [{"symbol": "A/B", "side": "buy", "price": "x"}]}',
        "price",
    ),
    (
        '{"channel": "book", "type": "update", "data": [{"symbol": "B/U", "checksum": 1, '
        '"bids": [{"price": -1, "qty": 1}]}]}',
        "positive price",
    ),
    (
        '{"channel": "book", "type": "update", "data": [{"symbol": "B/U", "checksum": 1, '
        '"bids": [{"price": "NaN", "qty": 1}]}]}',
        "positive price",
    ),
    (
        '{"channel": "book", "type": "update", "data": [{"symbol": "B/U", "checksum": 4294967296}]}',
        "checksum",
    ),
    ('{"channel": "executions", "type": "update", "data": [], "sequence": 1.5}', "sequence"),
    (
        '{"channel": "ticker", "type": "update", "data": [{"symbol": "A/B", "bid": 1, "bid_qty": 1, "ask": 1, '
        '"ask_qty": 1, "last": 1, "volume": 1, "timestamp": "2023-09-25T09:04:31"}]}',
        "timezone",
    ),
    ('{"method": 5}', "method"),
    ('{"method": "pong", "req_id": "abc"}', "req_id"),
]


class TestMalformedFrames:
    @pytest.mark.parametrize(("frame", "reason"), MALFORMED)
    def test_raises_the_typed_error_naming_the_problem(self, frame: str, reason: str) -> None:
        with pytest.raises(KrakenMessageError) as caught:
            parse_message(frame)
        assert reason in caught.value.reason
        assert caught.value.frame == frame[:200]

    def test_the_error_is_an_exchange_error(self) -> None:
        assert issubclass(KrakenMessageError, ExchangeError)

    def test_the_error_carries_only_the_first_200_characters(self) -> None:
        frame = '{"channel": "nope", "pad": "' + "x" * 5000 + '"}'
        with pytest.raises(KrakenMessageError) as caught:
            parse_message(frame.encode())
        assert caught.value.frame == frame[:200]
        assert len(str(caught.value)) < 400

    def test_invalid_utf8_is_shown_leniently(self) -> None:
        with pytest.raises(KrakenMessageError) as caught:
            parse_message(b'{"channel": "\xff\xfe"}')
        assert "\ufffd" in caught.value.frame

    @pytest.mark.parametrize("frame", [None, 42, 1.5, ["{}"], {"channel": "heartbeat"}])
    def test_a_value_that_is_not_a_frame(self, frame: object) -> None:
        with pytest.raises(KrakenMessageError):
            parse_message(frame)  # type: ignore[arg-type]

    def test_deep_nesting_does_not_overflow_the_stack(self) -> None:
        frame = '{"method": "subscribe", "result": ' + "[" * 100_000 + "]" * 100_000 + "}"
        with contextlib.suppress(KrakenMessageError):
            parse_message(frame)

    def test_a_lone_surrogate_in_a_str_frame(self) -> None:
        with pytest.raises(KrakenMessageError):
            parse_message('{"channel": "heartbeat", "x": "\ud800"}')


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.decimals(allow_nan=True).map(str),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
CHANNELS = ["book", "executions", "balances", "ticker", "trade", "ohlc", "instrument", "status", "heartbeat"]
KEYS = [
    "symbol", "bids", "asks", "price", "qty", "checksum", "timestamp", "order_id", "exec_type", "exec_id",
    "last_qty", "last_price", "fees", "asset", "balance", "wallets", "type", "sequence", "data", "method",
    "req_id", "success", "result", "pairs", "assets", "interval", "interval_begin", "trade_id", "side",
]  # fmt: skip
near_frames = st.fixed_dictionaries(
    {"channel": st.sampled_from(CHANNELS), "type": st.sampled_from(["snapshot", "update", "x"])},
    optional={"data": st.lists(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8), max_size=3)},
)


def _only_typed_errors(frame: bytes | str) -> None:
    with contextlib.suppress(KrakenMessageError):
        parse_message(frame)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise_anything_but_the_typed_error(frame: bytes) -> None:
    _only_typed_errors(frame)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json_never_raises_anything_but_the_typed_error(value: object) -> None:
    _only_typed_errors(json.dumps(value))


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(near_frames)
def test_frames_that_look_like_kraken_never_raise_anything_but_the_typed_error(
    value: dict[str, object],
) -> None:
    _only_typed_errors(json.dumps(value))


@settings(max_examples=200)
@given(st.sampled_from([frames.EXECUTION_TRADE, frames.BOOK_SNAPSHOT, frames.BALANCES_SNAPSHOT]), st.data())
def test_corrupted_real_frames_never_raise_anything_but_the_typed_error(
    frame: str, data: st.DataObject
) -> None:
    raw = bytearray(frame.encode())
    for _ in range(data.draw(st.integers(min_value=1, max_value=5))):
        position = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
        raw[position] = data.draw(st.integers(min_value=0, max_value=255))
    _only_typed_errors(bytes(raw))
