"""The precomputed routing table routes exactly as `routing.route` does."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from galfriday.domain.routing import Arm, Experiment, RoutingMode, assign, bucket_index, canary
from galfriday.domain.routing_table import RoutingTable

CONTROL = Arm("control", "btc-direction", 3)
CANDIDATE = Arm("candidate", "btc-direction", 4)


@settings(max_examples=300)
@given(seed=st.text(max_size=20), key=st.text(max_size=40))
def test_the_table_buckets_every_key_as_routing_does(seed: str, key: str) -> None:
    table = RoutingTable(canary("exp", seed, CONTROL, CANDIDATE, 0.3))
    assert table.bucket_index(key) == bucket_index(seed, key)


@pytest.mark.parametrize("length", [0, 1, 63, 64, 65, 1_000])
def test_keys_of_any_length_bucket_as_routing_does(length: int) -> None:
    table = RoutingTable(canary("exp", "seed", CONTROL, CANDIDATE, 0.3))
    key = ("décision-" * 200)[:length]
    assert table.bucket_index(key) == bucket_index("seed", key)


@settings(max_examples=300)
@given(share=st.integers(min_value=0, max_value=100), key=st.text(max_size=30))
def test_the_table_picks_the_split_arm_routing_assigns(share: int, key: str) -> None:
    experiment = canary("exp", "seed-1", CONTROL, CANDIDATE, share / 100)
    assert RoutingTable(experiment).arm_for(key) == assign(experiment, key)


def test_three_split_arms_route_as_routing_does() -> None:
    third = Arm("third", "btc-direction", 5, 0.25)
    experiment = Experiment(
        "exp", "s", Arm("control", "m", 1, 0.5), [Arm("b", "m", 2, 0.25), third], RoutingMode.SPLIT
    )
    table = RoutingTable(experiment)
    assert all(table.arm_for(f"k{i}") == assign(experiment, f"k{i}") for i in range(5_000))


def test_shadow_tables_serve_control_for_every_key() -> None:
    experiment = Experiment("exp", "s", CONTROL, [CANDIDATE], RoutingMode.SHADOW)
    table = RoutingTable(experiment)
    assert {table.arm_for(f"k{i}") for i in range(1_000)} == {CONTROL}
