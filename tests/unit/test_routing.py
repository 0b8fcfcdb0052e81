"""Experiment routing: stable buckets, contiguous arm ranges, shadow and split modes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from galfriday.domain.routing import (
    BUCKETS,
    Arm,
    Experiment,
    RoutingMode,
    assign,
    bucket,
    bucket_index,
    canary,
    fnv1a32,
    route,
)
from galfriday.errors import InvalidValueError

CONTROL = Arm("control", "btc-direction", 3)
CHALLENGER = Arm("canary", "btc-direction", 4)

# Buckets of f"{seed}:{key}" computed once and pinned: they must never change between releases.
KNOWN_BUCKETS = [
    ("exp-2024", "order-1", 0.0105),
    ("exp-2024", "order-2", 0.6949),
    ("exp-2024", "decision:42", 0.3904),
    ("exp-2024", "BTC/USD", 0.6317),
]


def test_fnv1a32_matches_the_reference_vectors() -> None:
    assert fnv1a32("") == 0x811C9DC5
    assert fnv1a32("a") == 0xE40C292C
    assert fnv1a32("foobar") == 0xBF9CF968


@pytest.mark.parametrize(
    ("seed", "value", "expected"),
    [
        ("seed", "a", 0.0505),
        ("seed", "b", 0.2696),
        ("foo", "ab", 0.2575),
        ("foo", "def", 0.2019),
        ("89123klj", "8952klfjas09ujkasdf", 0.124),
        ("90850943850283058242805", "123", 0.7516),
    ],
)
def test_the_double_hash_matches_growthbook_v2_vectors(seed: str, value: str, expected: float) -> None:
    """GrowthBook's SDK test cases hash seed+value with no separator; ours inserts ':' but is otherwise the same."""
    assert fnv1a32(str(fnv1a32(seed + value))) % BUCKETS / BUCKETS == expected


@pytest.mark.parametrize(("seed", "key", "expected"), KNOWN_BUCKETS)
def test_buckets_match_the_pinned_vectors(seed: str, key: str, expected: float) -> None:
    assert bucket(seed, key) == expected
    assert bucket_index(seed, key) == round(expected * BUCKETS)


def test_buckets_are_the_same_in_other_processes_whatever_their_hash_seed() -> None:
    script = (
        "from galfriday.domain.routing import bucket\n"
        f"print([bucket(s, k) for s, k, _ in {KNOWN_BUCKETS!r}])\n"
    )
    expected = str([value for _, _, value in KNOWN_BUCKETS])
    for hash_seed in ("0", "1", "4242"):
        out = subprocess.run(
            [sys.executable, "-c", script],
            env={"PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == expected


def test_buckets_are_uniform_over_100k_keys() -> None:
    """Chi-square of 100,000 sequential keys over 100 equal cells: no evidence against uniformity (p > 0.001)."""
    counts = np.bincount(
        [bucket_index("uniformity", f"decision-{i}") // 100 for i in range(100_000)], minlength=100
    )
    assert stats.chisquare(counts).pvalue > 0.001


@given(st.text(max_size=40), st.text(max_size=40))
def test_a_bucket_is_in_the_unit_interval(seed: str, key: str) -> None:
    assert 0.0 <= bucket(seed, key) < 1.0


def test_the_seed_decorrelates_experiments() -> None:
    """The same keys land in unrelated buckets under two seeds (rank correlation near zero)."""
    keys = [f"k{i}" for i in range(5_000)]
    a = [bucket("exp-a", k) for k in keys]
    b = [bucket("exp-b", k) for k in keys]
    assert abs(stats.spearmanr(a, b).statistic) < 0.05


def test_shadow_mode_serves_control_and_lets_every_challenger_score() -> None:
    second = Arm("second", "btc-direction", 5)
    experiment = Experiment("e1", "seed", CONTROL, [CHALLENGER, second])
    assert experiment.mode is RoutingMode.SHADOW
    for key in ("a", "b", "c", "d"):
        assignment = route(experiment, key)
        assert assignment.served == CONTROL
        assert assignment.shadows == (CHALLENGER, second)
        assert assignment.bucket == bucket("seed", key)
        assert assign(experiment, key) == CONTROL


def test_split_mode_serves_one_arm_with_no_shadows() -> None:
    experiment = canary("e1", "seed", CONTROL, CHALLENGER, 0.5)
    assignment = route(experiment, "order-7")
    assert assignment.shadows == ()
    assert assignment.served.name in {"control", "canary"}


def test_split_arms_own_contiguous_ranges_control_first() -> None:
    experiment = canary("e1", "seed", CONTROL, CHALLENGER, 0.05)
    assert experiment.bucket_range("control") == range(0, 9_500)
    assert experiment.bucket_range("canary") == range(9_500, 10_000)


def test_split_traffic_follows_the_weights() -> None:
    experiment = canary("e1", "seed", CONTROL, CHALLENGER, 0.25)
    served = [assign(experiment, f"decision-{i}").name for i in range(20_000)]
    share = served.count("canary") / len(served)
    assert share == pytest.approx(0.25, abs=0.015)


@pytest.mark.parametrize(
    ("smaller", "larger"), [(0.05, 0.10), (0.05, 0.25), (0.25, 0.5), (0.5, 1.0), (0.0, 0.05)]
)
def test_raising_the_canary_only_moves_keys_from_control_to_canary(smaller: float, larger: float) -> None:
    before = canary("e1", "seed", CONTROL, CHALLENGER, smaller)
    after = canary("e1", "seed", CONTROL, CHALLENGER, larger)
    moves = {(assign(before, k).name, assign(after, k).name) for k in (f"d{i}" for i in range(8_000))}
    assert moves <= {("control", "control"), ("control", "canary"), ("canary", "canary")}
    assert ("control", "canary") in moves


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, BUCKETS),
    st.integers(0, BUCKETS),
    st.text(min_size=1, max_size=8),
    st.lists(st.text(max_size=12), min_size=1, max_size=30),
)
def test_any_canary_growth_is_monotone(a: int, b: int, seed: str, keys: list[str]) -> None:
    low, high = sorted((a / BUCKETS, b / BUCKETS))
    before = canary("e", seed, CONTROL, CHALLENGER, low)
    after = canary("e", seed, CONTROL, CHALLENGER, high)
    for key in keys:
        if assign(before, key).name == "canary":
            assert assign(after, key).name == "canary"


def test_growing_the_first_challenger_leaves_later_challengers_alone() -> None:
    third = Arm("third", "btc-direction", 5, 0.10)
    before = Experiment(
        "e", "s", Arm("control", "m", 1, 0.85), [Arm("canary", "m", 2, 0.05), third], RoutingMode.SPLIT
    )
    after = before.with_weights(control=0.75, canary=0.15)
    assert after.bucket_range("third") == before.bucket_range("third")
    for i in range(5_000):
        old, new = assign(before, f"k{i}").name, assign(after, f"k{i}").name
        assert old == new or (old, new) == ("control", "canary")


def test_split_weights_must_add_up_to_one() -> None:
    with pytest.raises(InvalidValueError, match="adding up to 1"):
        Experiment("e", "s", Arm("control", "m", 1, 0.9), [Arm("canary", "m", 2, 0.05)], RoutingMode.SPLIT)


def test_a_weight_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="share of traffic"):
        Arm("canary", "m", 2, 1.5)


def test_arm_names_must_be_distinct() -> None:
    with pytest.raises(InvalidValueError, match="distinct"):
        Experiment("e", "s", CONTROL, [Arm("control", "m", 9)])


def test_an_experiment_needs_a_challenger() -> None:
    with pytest.raises(InvalidValueError, match="at least one challenger"):
        Experiment("e", "s", CONTROL, [])
