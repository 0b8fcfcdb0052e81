"""KrakenPipeline: frames in; exchange events and signals out, each fill once, every book checksum verified."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import kraken_frames as frames
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from galfriday.adapters.kraken.pipeline import (
    ChecksumMismatch,
    Duplicate,
    GapDetected,
    HeartbeatReceived,
    InstrumentsReported,
    KrakenPipeline,
    MessageRejected,
    OrderUnknown,
    PipelineOutput,
    PrecisionUnknown,
    ReplyReceived,
    SystemStatusReported,
)
from galfriday.adapters.kraken.ws_messages import MethodResponse, Pong
from galfriday.domain.dedup import RecentIds
from galfriday.domain.events import (
    BalanceReported,
    BookReported,
    CandleReported,
    ExecutionReported,
    OrderReported,
    TickerReported,
    TradeReported,
)
from galfriday.domain.instruments import TradingPair
from galfriday.domain.order_status import OrderStatus
from galfriday.errors import InvalidValueError

D = Decimal
AT = datetime(2023, 9, 22, 10, 40, tzinfo=UTC)
RECORDED = Path(__file__).resolve().parents[2] / "fixtures" / "kraken" / "book-v2-btcusd-recorded.json"
BTC_USD = TradingPair("BTC/USD", price_precision=1, quantity_precision=8)
MATIC_USD = TradingPair("MATIC/USD", price_precision=4, quantity_precision=8)


def feed(pipeline: KrakenPipeline, *raw: str | bytes) -> list[PipelineOutput]:
    return [output for frame in raw for output in pipeline.feed(frame, AT)]


def of_type(outputs: list[PipelineOutput], kind: type) -> list[Any]:
    return [output for output in outputs if isinstance(output, kind)]


def recorded_frames() -> list[bytes]:
    recorded = json.loads(RECORDED.read_text())
    return [json.dumps(message).encode() for message in [recorded["init"], *recorded["updates"]]]


def trade(exec_id: str, order_id: str = "O1", qty: str = "0.1") -> str:
    return (
        f'{{"order_id": "{order_id}", "exec_id": "{exec_id}", "exec_type": "trade", "symbol": "BTC/USD", '
        f'"side": "buy", "last_qty": {qty}, "last_price": 30000.5, "liquidity_ind": "m", '
        f'"timestamp": "2023-09-22T10:33:05.709993Z", "order_status": "partially_filled"}}'
    )


# --- book ---------------------------------------------------------------------------------------------


class TestBook:
    def test_a_level_too_large_to_checksum_is_rejected_not_raised(self) -> None:
        """A size with an exponent beyond Decimal's range once scaled (fuzzing found `66589e922734739`)."""
        pipeline = KrakenPipeline(pairs=[MATIC_USD])
        huge = frames.BOOK_SNAPSHOT.replace("6658.22734739", "66589e922734739")
        [rejected] = feed(pipeline, huge)
        assert isinstance(rejected, MessageRejected)
        [reported, *_] = feed(pipeline, frames.BOOK_SNAPSHOT)
        assert isinstance(reported, BookReported)

    def test_every_message_of_the_recorded_stream_verifies(self) -> None:
        pipeline = KrakenPipeline(pairs=[BTC_USD])
        outputs = feed(pipeline, *recorded_frames())
        reported = of_type(outputs, BookReported)
        assert len(reported) == len(outputs) == 510
        assert reported[0].update.is_snapshot
        assert pipeline.counters.checksum_mismatches == 0
        assert pipeline.counters.messages == 510
        book = pipeline.book("BTC/USD")
        assert book is not None
        assert len(book.bids()) == len(book.asks()) == 10
        assert not book.is_crossed

    def test_the_documented_matic_example_verifies(self) -> None:
        outputs = feed(KrakenPipeline(pairs=[MATIC_USD]), frames.BOOK_SNAPSHOT, frames.BOOK_UPDATE)
        assert [type(output) for output in outputs] == [BookReported, BookReported]

    def test_the_wrong_precision_is_a_mismatch(self) -> None:
        pipeline = KrakenPipeline(pairs=[TradingPair("MATIC/USD", price_precision=5, quantity_precision=8)])
        [mismatch] = feed(pipeline, frames.BOOK_SNAPSHOT)
        assert mismatch == ChecksumMismatch("MATIC/USD", expected=2439117997, computed=1472384375)

    def test_precision_learned_from_the_instrument_channel(self) -> None:
        pipeline = KrakenPipeline()
        outputs = feed(pipeline, frames.INSTRUMENT, *recorded_frames()[:3])
        assert isinstance(outputs[0], InstrumentsReported)
        assert outputs[0].pairs == (TradingPair("BTC/USD", 1, 8, D("0.0001")),)
        assert [type(output) for output in outputs[1:]] == [BookReported] * 3

    def test_a_mismatch_asks_for_a_resubscribe_and_drops_updates_until_a_new_snapshot(self) -> None:
        recorded = recorded_frames()
        pipeline = KrakenPipeline(pairs=[BTC_USD])
        feed(pipeline, recorded[0])
        tampered = recorded[1].replace(b'"checksum": 3547452596', b'"checksum": 3547452597')
        [mismatch] = feed(pipeline, tampered)
        assert mismatch == ChecksumMismatch("BTC/USD", expected=3547452597, computed=3547452596)
        assert pipeline.book("BTC/USD") is None
        assert feed(pipeline, recorded[2], recorded[3]) == []
        assert pipeline.counters.book_messages_dropped == 2
        assert pipeline.counters.checksum_mismatches == 1
        assert of_type(feed(pipeline, recorded[0]), BookReported)
        assert pipeline.book("BTC/USD") is not None

    def test_the_sdk_negative_vector_is_flagged_after_the_full_replay(self) -> None:
        pipeline = KrakenPipeline(pairs=[BTC_USD])
        feed(pipeline, *recorded_frames())
        bad = (
            '{"channel": "book", "type": "update", "data": [{"symbol": "BTC/USD", "bids": [{"price": 29430.3, '
            '"qty": 1.69289565}], "asks": [], "checksum": 2438868880, "timestamp": "2023-07-30T15:40:00.000000Z"}]}'
        )
        assert of_type(feed(pipeline, bad), ChecksumMismatch)

    def test_updates_before_any_snapshot_are_dropped(self) -> None:
        pipeline = KrakenPipeline(pairs=[MATIC_USD])
        assert feed(pipeline, frames.BOOK_UPDATE) == []
        assert pipeline.counters.book_messages_dropped == 1

    def test_unknown_precision_is_signalled_once_and_the_book_still_reported(self) -> None:
        pipeline = KrakenPipeline()
        outputs = feed(pipeline, frames.BOOK_SNAPSHOT, frames.BOOK_UPDATE)
        assert [type(output) for output in outputs] == [PrecisionUnknown, BookReported, BookReported]
        pipeline.set_precision("MATIC/USD", 4, 8)
        assert of_type(feed(pipeline, frames.BOOK_SNAPSHOT), BookReported)

    def test_the_subscribed_depth_comes_from_the_ack(self) -> None:
        pipeline = KrakenPipeline(pairs=[MATIC_USD])
        ack = frames.BOOK_ACK.replace('"depth": 10', '"depth": 25').replace("ALGO/USD", "MATIC/USD")
        feed(pipeline, ack, frames.BOOK_SNAPSHOT)
        book = pipeline.book("MATIC/USD")
        assert book is not None
        assert book.depth == 25

    def test_a_new_subscription_waits_for_its_snapshot(self) -> None:
        pipeline = KrakenPipeline(pairs=[MATIC_USD])
        feed(pipeline, frames.BOOK_SNAPSHOT)
        feed(pipeline, frames.BOOK_ACK.replace("ALGO/USD", "MATIC/USD"))
        assert pipeline.book("MATIC/USD") is None
        assert feed(pipeline, frames.BOOK_UPDATE) == []

    def test_reset_connection_forgets_books(self) -> None:
        pipeline = KrakenPipeline(pairs=[MATIC_USD])
        feed(pipeline, frames.BOOK_SNAPSHOT)
        pipeline.reset_connection()
        assert pipeline.book("MATIC/USD") is None

    @pytest.mark.parametrize(("price", "qty"), [(-1, 8), (1, 31), (True, 8)])
    def test_precision_must_be_a_small_whole_number(self, price: int, qty: int) -> None:
        with pytest.raises(InvalidValueError, match="precision"):
            KrakenPipeline().set_precision("BTC/USD", price, qty)


# --- executions -----------------------------------------------------------------------------------------


class TestExecutions:
    def test_the_documented_lifecycle(self) -> None:
        outputs = feed(
            KrakenPipeline(), frames.EXECUTION_PENDING_NEW, frames.EXECUTION_NEW, frames.EXECUTION_TRADE
        )
        assert [type(output) for output in outputs] == [OrderReported, OrderReported, ExecutionReported]
        assert [output.order.status for output in outputs[:2]] == [OrderStatus.PENDING_NEW, OrderStatus.NEW]
        fill = outputs[2].execution
        assert (fill.exec_id, fill.quantity, fill.price, fill.fee) == (
            "TGBB7L-HT5LX-J3BZ4A",
            D("0.005"),
            D("26599.9"),
            D("0.3458"),
        )

    def test_a_repeated_fill_is_dropped_and_signalled(self) -> None:
        pipeline = KrakenPipeline()
        outputs = feed(pipeline, frames.executions(trade("T1"), trade("T1")))
        assert [type(output) for output in outputs] == [ExecutionReported, Duplicate]
        assert outputs[1] == Duplicate("executions", "T1")
        assert pipeline.counters.duplicates_dropped == 1

    def test_a_gap_names_the_missing_sequences(self) -> None:
        pipeline = KrakenPipeline()
        outputs = feed(
            pipeline, frames.executions(trade("T1"), sequence=8), frames.executions(trade("T2"), sequence=11)
        )
        assert GapDetected("executions", range(9, 11)) in outputs
        assert len(of_type(outputs, ExecutionReported)) == 2
        assert pipeline.counters.gaps == 1

    def test_a_repeated_frame_is_dropped_whole(self) -> None:
        pipeline = KrakenPipeline()
        first = feed(pipeline, frames.EXECUTION_PENDING_NEW, frames.EXECUTION_NEW)
        again = feed(pipeline, frames.EXECUTION_NEW)
        assert len(first) == 2
        assert again == [Duplicate("executions", "sequence 9")]
        assert pipeline.counters.duplicates_dropped == 1

    def test_a_resubscription_missed_by_the_client_loses_no_fill(self) -> None:
        pipeline = KrakenPipeline()
        feed(pipeline, *(frames.executions(trade(f"T{n}"), sequence=n) for n in range(1, 6)))
        outputs = feed(pipeline, frames.executions(trade("NEW-1"), sequence=1))
        assert [output.execution.exec_id for output in of_type(outputs, ExecutionReported)] == ["NEW-1"]

    def test_a_late_frame_fills_its_gap(self) -> None:
        pipeline = KrakenPipeline()
        outputs = feed(
            pipeline,
            frames.executions(trade("T1"), sequence=1),
            frames.executions(trade("T3"), sequence=3),
            frames.executions(trade("T2"), sequence=2),
        )
        assert [output.execution.exec_id for output in of_type(outputs, ExecutionReported)] == [
            "T1",
            "T3",
            "T2",
        ]
        assert pipeline.counters.out_of_order == 1

    def test_the_subscribe_ack_restarts_the_sequence(self) -> None:
        pipeline = KrakenPipeline()
        feed(pipeline, frames.executions(trade("T1"), sequence=40))
        outputs = feed(pipeline, frames.EXECUTIONS_ACK, frames.executions(trade("T2"), sequence=1))
        assert not of_type(outputs, Duplicate)
        assert not of_type(outputs, GapDetected)

    def test_a_snapshot_restarts_the_sequence(self) -> None:
        pipeline = KrakenPipeline()
        feed(pipeline, frames.executions(trade("T1"), sequence=40))
        outputs = feed(pipeline, frames.executions(trade("T2"), sequence=1, kind="snapshot"))
        [fill] = of_type(outputs, ExecutionReported)
        assert fill.snapshot is True
        assert not of_type(outputs, Duplicate)

    def test_fills_already_backfilled_through_rest_are_dropped(self) -> None:
        shared: RecentIds[str] = RecentIds()
        shared.add("T1")  # the REST backfill applied it
        pipeline = KrakenPipeline(seen_exec_ids=shared)
        outputs = feed(pipeline, frames.executions(trade("T1"), trade("T2")))
        assert [type(output) for output in outputs] == [Duplicate, ExecutionReported]
        assert "T2" in shared
        assert pipeline.seen_exec_ids is shared

    def test_an_update_about_an_unknown_order_asks_for_it(self) -> None:
        pipeline = KrakenPipeline()
        [unknown] = feed(pipeline, frames.EXECUTION_NEW)
        assert unknown == OrderUnknown("OK4GJX-KSTLS-7DZZO5", ("symbol", "side", "order_type", "order_qty"))
        assert pipeline.counters.unknown_orders == 1

    def test_an_untranslatable_fill_is_rejected_and_not_remembered(self) -> None:
        pipeline = KrakenPipeline()
        bad = trade("T1", qty="0")
        [rejected] = feed(pipeline, frames.executions(bad))
        assert isinstance(rejected, MessageRejected)
        assert "quantity" in rejected.error.reason
        assert "T1" not in pipeline.seen_exec_ids
        assert pipeline.counters.translation_errors == 1

    def test_one_bad_report_does_not_stop_the_others(self) -> None:
        outputs = feed(KrakenPipeline(), frames.executions(trade("T1", qty="-1"), trade("T2")))
        assert [type(output) for output in outputs] == [MessageRejected, ExecutionReported]


def lifecycle_frames(orders: int) -> list[str]:
    """Per order: pending_new, new, two fills, filled; one report per frame, sequences consecutive."""
    reports = []
    for n in range(orders):
        order_id = f"O{n}"
        reports += [
            f'{{"order_id": "{order_id}", "exec_type": "pending_new", "order_status": "pending_new", '
            f'"symbol": "BTC/USD", "side": "buy", "order_type": "limit", "limit_price": 30000.5, '
            f'"order_qty": 0.2, "timestamp": "2023-09-22T10:33:05.70995{n % 10}Z"}}',
            f'{{"order_id": "{order_id}", "exec_type": "new", "order_status": "new"}}',
            trade(f"{order_id}-T1", order_id),
            trade(f"{order_id}-T2", order_id),
            f'{{"order_id": "{order_id}", "exec_type": "filled", "order_status": "filled", "cum_qty": 0.2}}',
        ]
    return [frames.executions(report, sequence=n + 1) for n, report in enumerate(reports)]


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.integers(min_value=1, max_value=6))
def test_duplicated_and_reordered_frames_yield_each_fill_exactly_once(
    rng: random.Random, orders: int
) -> None:
    stream = lifecycle_frames(orders)
    delivered = stream + rng.sample(stream, k=rng.randint(0, len(stream)))
    rng.shuffle(delivered)
    pipeline = KrakenPipeline()
    outputs = feed(pipeline, *delivered)
    fills = [output.execution.exec_id for output in of_type(outputs, ExecutionReported)]
    assert sorted(fills) == sorted(f"O{n}-T{part}" for n in range(orders) for part in (1, 2))
    assert not of_type(outputs, MessageRejected)


def test_in_order_delivery_reports_every_order_state_and_fill() -> None:
    outputs = feed(KrakenPipeline(), *lifecycle_frames(3))
    assert [type(output).__name__ for output in outputs[:5]] == [
        "OrderReported",
        "OrderReported",
        "ExecutionReported",
        "ExecutionReported",
        "OrderReported",
    ]
    assert outputs[4].order.status is OrderStatus.FILLED
    assert len(outputs) == 15


# --- balances -------------------------------------------------------------------------------------------


class TestBalances:
    def test_snapshot_then_updates(self) -> None:
        outputs = feed(KrakenPipeline(), frames.BALANCES_SNAPSHOT, frames.BALANCES_DEPOSIT)
        reported = of_type(outputs, BalanceReported)
        assert [(r.balance.asset, r.balance.total) for r in reported] == [
            ("BTC", D("1.2")),
            ("MATIC", D("500")),
            ("USD", D("80595.4943")),
            ("BTC", D("0.02")),
        ]

    def test_a_repeated_balances_frame_is_dropped(self) -> None:
        pipeline = KrakenPipeline()
        outputs = feed(pipeline, frames.BALANCES_SNAPSHOT, frames.BALANCES_DEPOSIT, frames.BALANCES_DEPOSIT)
        assert outputs[-1] == Duplicate("balances", "sequence 2")
        assert len(of_type(outputs, BalanceReported)) == 4

    def test_a_late_balances_frame_is_stale_and_dropped(self) -> None:
        pipeline = KrakenPipeline()
        outputs = feed(
            pipeline,
            frames.BALANCES_TRADE_BTC,
            frames.BALANCES_DEPOSIT.replace('"sequence": 2', '"sequence": 11'),
        )
        outputs += feed(pipeline, frames.BALANCES_TRADE_USD)
        assert GapDetected("balances", range(10, 11)) in outputs
        assert [r.balance.asset for r in of_type(outputs, BalanceReported)] == ["BTC", "BTC"]
        assert pipeline.counters.stale_dropped == 1


# --- everything else ------------------------------------------------------------------------------------


class TestOtherMessages:
    def test_market_data(self) -> None:
        outputs = feed(KrakenPipeline(), frames.TICKER, frames.TRADE, frames.OHLC)
        assert [type(output) for output in outputs] == [TickerReported, TradeReported, CandleReported]

    def test_status_heartbeat_and_replies(self) -> None:
        outputs = feed(
            KrakenPipeline(), frames.STATUS, frames.HEARTBEAT, frames.PONG, frames.ADD_ORDER_FAILURE
        )
        assert outputs[0] == SystemStatusReported("online", "2.0.0", 13834774380200032777)
        assert outputs[1] == HeartbeatReceived(AT)
        assert isinstance(outputs[2], ReplyReceived)
        assert isinstance(outputs[2].reply, Pong)
        assert isinstance(outputs[3], ReplyReceived)
        assert isinstance(outputs[3].reply, MethodResponse)
        assert outputs[3].reply.req_id == 99

    def test_an_unreadable_frame_is_rejected_and_counted(self) -> None:
        pipeline = KrakenPipeline()
        [rejected] = feed(pipeline, b"\x00garbage")
        assert isinstance(rejected, MessageRejected)
        assert pipeline.counters.parse_errors == 1
        assert of_type(feed(pipeline, frames.TRADE), TradeReported)
        assert pipeline.counters.as_dict()["messages"] == 2

    def test_received_at_must_be_aware(self) -> None:
        with pytest.raises(InvalidValueError, match="received_at"):
            KrakenPipeline().feed(frames.HEARTBEAT, datetime(2024, 1, 1))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            [
                frames.EXECUTION_PENDING_NEW,
                frames.EXECUTION_NEW,
                frames.EXECUTION_TRADE,
                frames.BOOK_SNAPSHOT,
                frames.BOOK_UPDATE,
                frames.BALANCES_SNAPSHOT,
                frames.BALANCES_TRADE_USD,
                frames.TICKER,
                frames.OHLC,
                frames.INSTRUMENT,
                frames.BOOK_ACK,
                frames.EXECUTIONS_ACK,
            ]
        )
        | st.text(max_size=50),
        max_size=12,
    ),
    st.data(),
)
def test_no_stream_of_frames_makes_feed_raise(stream: list[str], data: st.DataObject) -> None:
    pipeline = KrakenPipeline(pairs=[MATIC_USD])
    for frame in stream:
        if data.draw(st.booleans()):
            position = data.draw(st.integers(min_value=0, max_value=max(len(frame) - 1, 0)))
            frame = (
                frame[:position]
                + data.draw(st.sampled_from(["0", "-", '"', "}", "9e9", "null"]))
                + frame[position + 1 :]
            )
        pipeline.feed(frame, AT)
