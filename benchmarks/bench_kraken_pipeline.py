"""Kraken WebSocket v2 pipeline: executions throughput against a bare JSON parse, and book upkeep per update.

- `executions_pipeline`: `KrakenPipeline.feed` over a stream of executions frames shaped like Kraken's
  documented ones (each order: pending_new, new, two partial fills, the filled report; one frame per report,
  sequences consecutive), in msg/s. Baseline: `orjson.loads` of the very same frames in the same run. Targets:
  ratio >= 1/3, and >= 100k msg/s.
- `book_update_checksum`: the recorded BTC/USD stream (509 updates after its snapshot): parse, apply, truncate to
  depth 10, verify the CRC32, translate to `BookReported`, in µs per update. Baseline: `orjson.loads` of the same
  frames. Target: <= 20 µs per update. `book_apply_checksum` is the book and checksum alone (frames parsed
  beforehand), against the same baseline.
- `executions_decode`: the pipeline's first step alone (frames into typed messages with exact Decimals), against
  the same `orjson.loads`: where the executions time goes (no target).

Each figure is the median of the repeats (a fresh pipeline per repeat, after a warm-up); the table shows the
extremes. One core: the pipeline is synchronous.

    python benchmarks/bench_kraken_pipeline.py [--quick] [--orders N] [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import harness
import orjson

from galfriday.adapters.kraken.checksum import CHECKSUM_DEPTH, BookChecksum
from galfriday.adapters.kraken.pipeline import KrakenPipeline, MessageRejected
from galfriday.adapters.kraken.ws_messages import BookMessage, parse_message
from galfriday.domain.order_book import OrderBook

RECORDED_BOOK = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "kraken" / "book-v2-btcusd-recorded.json"
RECEIVED_AT = datetime(2023, 9, 22, 10, 33, 6, tzinfo=UTC)


def executions_frames(orders: int) -> list[bytes]:
    """Five frames per order, as Kraken sends them for a limit order filled in two parts."""
    frames: list[bytes] = []
    sequence = 0

    def frame(report: dict[str, object]) -> None:
        nonlocal sequence
        sequence += 1
        message = {"channel": "executions", "type": "update", "data": [report], "sequence": sequence}
        frames.append(json.dumps(message, separators=(",", ":")).encode())

    for n in range(orders):
        order_id = f"O{n:05d}-KSTLS-7DZZO5"
        second = f"{n % 60:02d}"
        stamp = f"2023-09-22T10:33:{second}.7099{n % 100:02d}Z"
        frame(
            {
                "order_id": order_id,
                "order_userref": 3,
                "cl_ord_id": f"gf-{n}",
                "symbol": "BTC/USD",
                "order_qty": 0.01,
                "cum_cost": 0.0,
                "time_in_force": "GTC",
                "exec_type": "pending_new",
                "side": "sell",
                "order_type": "limit",
                "limit_price_type": "static",
                "limit_price": 26500.0,
                "stop_price": 0.0,
                "order_status": "pending_new",
                "fee_usd_equiv": 0.0,
                "fee_ccy_pref": "fciq",
                "timestamp": stamp,
            }
        )
        frame(
            {
                "timestamp": stamp,
                "order_status": "new",
                "exec_type": "new",
                "order_userref": 3,
                "order_id": order_id,
            }
        )
        for part, (cum_qty, cum_cost) in enumerate(((0.005, 132.9995), (0.01, 265.999))):
            frame(
                {
                    "order_id": order_id,
                    "order_userref": 3,
                    "cl_ord_id": f"gf-{n}",
                    "exec_id": f"T{n:05d}{part}-HT5LX-J3BZ4A",
                    "exec_type": "trade",
                    "trade_id": 62887576 + 2 * n + part,
                    "symbol": "BTC/USD",
                    "side": "sell",
                    "last_qty": 0.005,
                    "last_price": 26599.9,
                    "liquidity_ind": "t",
                    "cost": 132.9995,
                    "order_type": "limit",
                    "timestamp": stamp,
                    "order_status": "partially_filled",
                    "cum_qty": cum_qty,
                    "cum_cost": cum_cost,
                    "avg_price": 26599.9,
                    "fee_usd_equiv": 0.3458,
                    "fees": [{"asset": "USD", "qty": 0.3458}],
                }
            )
        frame(
            {
                "timestamp": stamp,
                "order_status": "filled",
                "exec_type": "filled",
                "order_userref": 3,
                "order_id": order_id,
                "cum_qty": 0.01,
                "cum_cost": 265.999,
                "avg_price": 26599.9,
                "fee_usd_equiv": 0.6916,
            }
        )
    return frames


def book_frames() -> list[bytes]:
    recorded = json.loads(RECORDED_BOOK.read_text())
    return [orjson.dumps(message) for message in [recorded["init"], *recorded["updates"]]]


def repeat(call: Callable[[], object], repeats: int, warmup: int = 1) -> list[float]:
    """Seconds of each of `repeats` timed calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        call()
    durations = []
    for _ in range(repeats):
        start = harness.clock()
        call()
        durations.append(harness.clock() - start)
    return durations


def alternate(
    ours: Callable[[], object], baseline: Callable[[], object], repeats: int
) -> tuple[list[float], list[float]]:
    """Time both, interleaved repeat by repeat, so that machine noise falls on both alike."""
    ours_times: list[float] = []
    baseline_times: list[float] = []
    for _ in range(repeats):
        ours_times += repeat(ours, 1, warmup=0)
        baseline_times += repeat(baseline, 1, warmup=0)
    return ours_times, baseline_times


def feed_all(frames: Sequence[bytes], precision: tuple[int, int] | None = None) -> Callable[[], object]:
    def run() -> int:
        pipeline = KrakenPipeline()
        if precision is not None:
            pipeline.set_precision("BTC/USD", *precision)
        feed = pipeline.feed
        for frame in frames:
            feed(frame, RECEIVED_AT)
        return pipeline.counters.messages

    return run


def parse_all(frames: Sequence[bytes]) -> Callable[[], object]:
    def run() -> int:
        loads = orjson.loads
        for frame in frames:
            loads(frame)
        return len(frames)

    return run


def decode_all(frames: Sequence[bytes]) -> Callable[[], object]:
    """The pipeline's first step alone: frames into typed messages (msgspec, exact Decimals)."""

    def run() -> int:
        for frame in frames:
            parse_message(frame)
        return len(frames)

    return run


def book_only(messages: Sequence[BookMessage]) -> Callable[[], object]:
    def run() -> int:
        book = OrderBook("BTC/USD", depth=10)
        checksum = BookChecksum(1, 8)
        mismatches = 0
        for message in messages:
            for data in message.data:
                bids = [(level.price, level.qty) for level in data.bids]
                asks = [(level.price, level.qty) for level in data.asks]
                if message.type == "snapshot":
                    book.apply_snapshot(bids, asks)
                else:
                    book.apply_update(bids, asks)
                mismatches += checksum(book.asks(CHECKSUM_DEPTH), book.bids(CHECKSUM_DEPTH)) != data.checksum
        return mismatches

    return run


def check_outputs(frames: Sequence[bytes], precision: tuple[int, int] | None = None) -> None:
    """Before timing: the frames go through the pipeline without a rejection or a signal of trouble."""
    pipeline = KrakenPipeline()
    if precision is not None:
        pipeline.set_precision("BTC/USD", *precision)
    for frame in frames:
        for output in pipeline.feed(frame, RECEIVED_AT):
            if isinstance(output, MessageRejected):
                raise SystemExit(f"benchmark data rejected: {output.error}")
    counters = pipeline.counters.as_dict()
    trouble = {name: count for name, count in counters.items() if name != "messages" and count}
    if trouble:
        raise SystemExit(f"benchmark data raised signals: {trouble}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: finishes in well under a minute")
    parser.add_argument("--orders", type=int, help="orders in the executions stream (5 frames each)")
    parser.add_argument("--repeats", type=int, help="timed repeats of each measurement")
    args = parser.parse_args()
    orders = args.orders or (2_000 if args.quick else 20_000)
    repeats = args.repeats or (5 if args.quick else 15)
    report = harness.Report(f"Kraken WebSocket v2 pipeline ({'quick' if args.quick else 'full'} run)")

    frames = executions_frames(orders)
    check_outputs(frames)
    book = book_frames()
    check_outputs(book, (1, 8))
    book_messages = [parse_message(frame) for frame in book]
    assert all(isinstance(message, BookMessage) for message in book_messages)
    harness.freeze_heap()

    harness.progress(f"executions: {len(frames):,} frames, {repeats} repeats")
    repeat(feed_all(frames), 1)
    repeat(parse_all(frames), 1)
    ours, theirs = alternate(feed_all(frames), parse_all(frames), repeats)
    pipeline_rate = harness.Summary.of(harness.rates(len(frames), ours))
    parse_rate = harness.Summary.of(harness.rates(len(frames), theirs))
    report.add(
        harness.figure(
            "executions_pipeline",
            pipeline_rate.median,
            "msg/s",
            "orjson_loads",
            parse_rate.median,
            harness.Target.ratio_at_least(1 / 3),
            harness.rate_detail(pipeline_rate, parse_rate),
        )
    )
    report.add(
        harness.figure(
            "executions_pipeline_rate",
            pipeline_rate.median,
            "msg/s",
            "orjson_loads",
            parse_rate.median,
            harness.Target.value_at_least(100_000, "msg/s"),
        )
    )

    ours, theirs = alternate(decode_all(frames), parse_all(frames), repeats)
    decode_rate = harness.Summary.of(harness.rates(len(frames), ours))
    parse_rate = harness.Summary.of(harness.rates(len(frames), theirs))
    report.add(
        harness.figure(
            "executions_decode",
            decode_rate.median,
            "msg/s",
            "orjson_loads",
            parse_rate.median,
            None,
            harness.rate_detail(decode_rate, parse_rate),
        )
    )

    book_repeats = repeats * (4 if args.quick else 10)
    harness.progress(f"book: {len(book):,} frames of the recorded stream, {book_repeats} repeats")
    repeat(feed_all(book, (1, 8)), 2)
    ours, theirs = alternate(feed_all(book, (1, 8)), parse_all(book), book_repeats)
    per_update = harness.Summary.of([seconds / len(book) * 1e6 for seconds in ours])
    per_parse = harness.Summary.of([seconds / len(book) * 1e6 for seconds in theirs])
    report.add(
        harness.figure(
            "book_update_checksum",
            per_update.median,
            "us/update",
            "orjson_loads",
            per_parse.median,
            harness.Target("value", "<=", 20, "us/update"),
            f"repeats={per_update.n}; min {per_update.minimum:.3g}, max {per_update.maximum:.3g} us",
        )
    )
    ours, theirs = alternate(book_only(book_messages), parse_all(book), book_repeats)
    per_apply = harness.Summary.of([seconds / len(book) * 1e6 for seconds in ours])
    per_parse = harness.Summary.of([seconds / len(book) * 1e6 for seconds in theirs])
    report.add(
        harness.figure(
            "book_apply_checksum",
            per_apply.median,
            "us/update",
            "orjson_loads",
            per_parse.median,
            None,
            f"repeats={per_apply.n}; min {per_apply.minimum:.3g}, max {per_apply.maximum:.3g} us",
        )
    )
    report.note(f"python {sys.version.split()[0]}; executions frames: {len(frames):,} ({orders:,} orders)")
    report.emit()


if __name__ == "__main__":
    sys.exit(harness.run(main))
