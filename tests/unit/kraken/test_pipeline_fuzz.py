"""Fuzzing `KrakenPipeline.feed` with mutations of real frames: Kraken's recorded BTC/USD book stream
(tests/fixtures/kraken) and a session recorded from the simulator (`simulator_session_frames.json`:
status, subscribe acks, executions and balances snapshots, orders placed, filled and cancelled).

A mutated frame never makes the pipeline raise, and yields only exchange events and documented signals. A
frame the pipeline cannot read changes nothing: the well-formed frames that follow yield exactly what they
would have yielded without it. Fills survive any malformed frames among them, each exactly once, and a book
damaged by a mutated frame is whole again after the next snapshot.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from galfriday.adapters.kraken.pipeline import (
    ChecksumMismatch,
    KrakenPipeline,
    MessageRejected,
    PipelineOutput,
)
from galfriday.domain.events import ExecutionReported
from galfriday.domain.instruments import TradingPair

AT = datetime(2026, 11, 24, 14, tzinfo=UTC)
BTC_USD = TradingPair("BTC/USD", price_precision=1, quantity_precision=8)
RECORDED_BOOK = Path(__file__).resolve().parents[2] / "fixtures" / "kraken" / "book-v2-btcusd-recorded.json"
RECORDED = json.loads(RECORDED_BOOK.read_text())
BOOK = [json.dumps(RECORDED["init"]), *(json.dumps(update) for update in RECORDED["updates"])]
SESSION: list[str] = json.loads((Path(__file__).parent / "simulator_session_frames.json").read_text())
CORPUS = SESSION + BOOK[:40]
OUTPUT_TYPES = get_args(PipelineOutput)
TOKENS = ["0", "-1", '"', "}", "{", "]", ",", "null", "true", "1e999", "NaN", '"\\u0000"', "\ufffd", " "]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def pipeline() -> KrakenPipeline:
    return KrakenPipeline(pairs=[BTC_USD])


@st.composite
def text_mutation(draw: st.DrawFn, frame: str) -> str:
    """Bytes-level damage: a token replaced, inserted or deleted, or the frame cut short."""
    position = draw(st.integers(min_value=0, max_value=len(frame)))
    kind = draw(st.sampled_from(["replace", "insert", "delete", "truncate"]))
    token = draw(st.sampled_from(TOKENS))
    if kind == "replace":
        return frame[:position] + token + frame[position + 1 :]
    if kind == "insert":
        return frame[:position] + token + frame[position:]
    if kind == "delete":
        return frame[:position] + frame[position + draw(st.integers(1, 8)) :]
    return frame[:position]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@st.composite
def json_mutation(draw: st.DrawFn, frame: str) -> str:
    """Structure-level damage: one value anywhere in the frame replaced by another JSON value, or removed."""
    document = json.loads(frame, parse_float=Decimal)
    path = draw(st.sampled_from(_paths(document)))
    if not path:
        return json.dumps(draw(json_values))
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if draw(st.booleans()):
        parent[path[-1]] = draw(json_values)
    else:
        del parent[path[-1]]
    return json.dumps(document, default=str)


@st.composite
def mutated(draw: st.DrawFn, frames: list[str] = CORPUS) -> str:
    frame = draw(st.sampled_from(frames))
    return draw(st.one_of(text_mutation(frame), json_mutation(frame)))


def fills(outputs: list[PipelineOutput]) -> list[tuple[str, str, Decimal, Decimal, Decimal]]:
    return sorted(
        (o.execution.exec_id, o.execution.order_id, o.execution.quantity, o.execution.price, o.execution.fee)
        for o in outputs
        if isinstance(o, ExecutionReported)
    )


def feed_all(target: KrakenPipeline, frames: list[str]) -> list[PipelineOutput]:
    return [output for frame in frames for output in target.feed(frame, AT)]


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_the_corpus_itself_is_well_formed() -> None:
    outputs = feed_all(pipeline(), SESSION) + feed_all(pipeline(), BOOK)
    assert not [o for o in outputs if isinstance(o, MessageRejected | ChecksumMismatch)]
    assert len(fills(outputs)) >= 10


@FUZZ
@given(st.integers(min_value=0, max_value=len(CORPUS)), mutated())
def test_a_mutated_frame_never_raises_and_yields_only_events_and_signals(prefix: int, frame: str) -> None:
    target = pipeline()
    feed_all(target, CORPUS[:prefix])
    outputs = target.feed(frame, AT)
    assert all(isinstance(output, OUTPUT_TYPES) for output in outputs)


@FUZZ
@given(st.integers(min_value=0, max_value=len(CORPUS)), mutated())
def test_an_unreadable_frame_changes_nothing_for_the_frames_that_follow(prefix: int, frame: str) -> None:
    clean, fuzzed = pipeline(), pipeline()
    feed_all(clean, CORPUS[:prefix])
    feed_all(fuzzed, CORPUS[:prefix])
    errors = fuzzed.counters.parse_errors
    fuzzed.feed(frame, AT)
    assume(fuzzed.counters.parse_errors > errors)  # rejected as a whole (a readable lie is another matter)
    assert feed_all(fuzzed, CORPUS[prefix:]) == feed_all(clean, CORPUS[prefix:])


@FUZZ
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=len(SESSION)), mutated(SESSION)), min_size=1, max_size=8
    )
)
def test_each_fill_comes_out_once_whatever_malformed_frames_come_between(
    damage: list[tuple[int, str]],
) -> None:
    stream = list(SESSION)
    for position, frame in sorted(damage, reverse=True):
        stream.insert(position, frame)
    fuzzed = pipeline()
    outputs: list[PipelineOutput] = []
    for frame in stream:
        produced = fuzzed.feed(frame, AT)
        if frame not in SESSION:
            assume(not fills(produced))  # a mutated frame that reads as a fill is a lie, not damage
        outputs += produced
    assert fills(outputs) == fills(feed_all(pipeline(), SESSION))


@FUZZ
@given(st.integers(min_value=1, max_value=len(BOOK) - 1), st.lists(mutated(BOOK), min_size=1, max_size=4))
def test_after_mutated_book_frames_the_next_snapshot_makes_the_book_whole_again(
    prefix: int, damage: list[str]
) -> None:
    fuzzed, clean = pipeline(), pipeline()
    feed_all(fuzzed, BOOK[:prefix] + damage)
    after = feed_all(fuzzed, BOOK)  # a resubscription: the snapshot again, then every update
    feed_all(clean, BOOK)
    assert not [o for o in after if isinstance(o, ChecksumMismatch | MessageRejected)]
    book, expected = fuzzed.book("BTC/USD"), clean.book("BTC/USD")
    assert book is not None
    assert expected is not None
    assert (book.bids(10), book.asks(10)) == (expected.bids(10), expected.asks(10))
