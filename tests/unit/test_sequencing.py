"""SequenceTracker: per-channel verdicts on sequence numbers (in order, duplicate, gap, out of order)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from galfriday.domain.sequencing import SequenceTracker, SequenceVerdict
from galfriday.errors import InvalidValueError

IN_ORDER, DUPLICATE, GAP, OUT_OF_ORDER = (
    SequenceVerdict.IN_ORDER,
    SequenceVerdict.DUPLICATE,
    SequenceVerdict.GAP,
    SequenceVerdict.OUT_OF_ORDER,
)


def verdicts(tracker: SequenceTracker, channel: str, sequences: list[int]) -> list[SequenceVerdict]:
    return [tracker.observe(channel, sequence).verdict for sequence in sequences]


def test_the_first_message_sets_the_baseline_whatever_its_number() -> None:
    tracker = SequenceTracker()
    assert tracker.observe("executions", 8).verdict is IN_ORDER
    assert tracker.last("executions") == 8


def test_consecutive_numbers_are_in_order() -> None:
    assert verdicts(SequenceTracker(), "executions", [1, 2, 3]) == [IN_ORDER] * 3


def test_a_repeat_is_a_duplicate() -> None:
    assert verdicts(SequenceTracker(), "executions", [1, 2, 2, 1]) == [
        IN_ORDER,
        IN_ORDER,
        DUPLICATE,
        DUPLICATE,
    ]


def test_a_jump_is_a_gap_naming_the_missing_range() -> None:
    tracker = SequenceTracker()
    tracker.observe("executions", 1)
    check = tracker.observe("executions", 5)
    assert check.verdict is GAP
    assert check.missing == range(2, 5)
    assert tracker.missing("executions") == (range(2, 5),)
    assert tracker.last("executions") == 5


def test_a_missing_number_arriving_late_is_out_of_order_and_no_longer_missing() -> None:
    tracker = SequenceTracker()
    verdicts(tracker, "balances", [1, 5])
    assert tracker.observe("balances", 3).verdict is OUT_OF_ORDER
    assert tracker.missing("balances") == (range(2, 3), range(4, 5))
    assert tracker.observe("balances", 3).verdict is DUPLICATE


def test_filling_a_whole_gap_closes_it() -> None:
    tracker = SequenceTracker()
    verdicts(tracker, "balances", [1, 3])
    assert tracker.observe("balances", 2).verdict is OUT_OF_ORDER
    assert tracker.missing("balances") == ()


def test_a_swap_of_two_messages_is_a_gap_then_out_of_order() -> None:
    assert verdicts(SequenceTracker(), "executions", [1, 3, 2, 4]) == [IN_ORDER, GAP, OUT_OF_ORDER, IN_ORDER]


def test_channels_are_tracked_independently() -> None:
    tracker = SequenceTracker()
    tracker.observe("executions", 10)
    tracker.observe("balances", 1)
    assert tracker.observe("executions", 11).verdict is IN_ORDER
    assert tracker.observe("balances", 2).verdict is IN_ORDER


def test_reset_of_one_channel_starts_it_afresh() -> None:
    tracker = SequenceTracker()
    verdicts(tracker, "executions", [1, 2, 3])
    tracker.observe("balances", 7)
    tracker.reset("executions")
    assert tracker.observe("executions", 1).verdict is IN_ORDER
    assert tracker.last("balances") == 7


def test_reset_of_everything() -> None:
    tracker = SequenceTracker()
    tracker.observe("executions", 3)
    tracker.observe("balances", 3)
    tracker.reset()
    assert tracker.last("executions") is None
    assert tracker.last("balances") is None


def test_restart_makes_a_snapshot_the_new_baseline() -> None:
    tracker = SequenceTracker()
    verdicts(tracker, "executions", [1, 2, 3])
    assert tracker.observe("executions", 1, restart=True).verdict is IN_ORDER
    assert tracker.missing("executions") == ()
    assert tracker.observe("executions", 2).verdict is IN_ORDER


def test_only_the_latest_gaps_are_remembered() -> None:
    tracker = SequenceTracker(max_gaps=2)
    verdicts(tracker, "executions", [1, 3, 5, 7])
    assert tracker.missing("executions") == (range(4, 5), range(6, 7))
    assert tracker.observe("executions", 2).verdict is DUPLICATE


def test_an_unknown_channel_has_nothing_missing() -> None:
    tracker = SequenceTracker()
    assert tracker.missing("executions") == ()
    assert tracker.last("executions") is None


@pytest.mark.parametrize("sequence", [-1, True, 1.0, "1"])
def test_a_sequence_must_be_a_whole_number(sequence: object) -> None:
    with pytest.raises(InvalidValueError, match="sequence"):
        SequenceTracker().observe("executions", sequence)  # type: ignore[arg-type]


def test_max_gaps_must_be_positive() -> None:
    with pytest.raises(InvalidValueError, match="max_gaps"):
        SequenceTracker(max_gaps=0)


@given(st.permutations(list(range(1, 30))))
def test_any_delivery_order_sees_each_number_once_and_leaves_nothing_missing(order: list[int]) -> None:
    tracker = SequenceTracker()
    tracker.observe("executions", 0)
    results = verdicts(tracker, "executions", order)
    assert DUPLICATE not in results
    assert tracker.missing("executions") == ()
    assert tracker.last("executions") == 29
    assert verdicts(tracker, "executions", order) == [DUPLICATE] * len(order)
