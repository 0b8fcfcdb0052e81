"""The precomputed routing table routes exactly as `routing.route` does."""

from __future__ import annotations

import pytest
from fnv_hash_fast import fnv1a_32
from hypothesis import given, settings
from hypothesis import strategies as st

from galfriday.domain.routing import Arm, Experiment, RoutingMode, assign, bucket_index, canary
from galfriday.domain.routing_table import RoutingTable
from galfriday.errors import InvalidValueError

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


@settings(max_examples=300)
@given(seed=st.text(max_size=20), keys=st.lists(st.text(max_size=30), max_size=8))
def test_cached_buckets_are_the_buckets_of_routing_on_first_and_repeated_use(
    seed: str, keys: list[str]
) -> None:
    table = RoutingTable(canary("exp", seed, CONTROL, CANDIDATE, 0.3), key_cache_size=4)
    for key in keys + keys[::-1] + keys:
        assert table.cached_bucket_index(key) == bucket_index(seed, key)


def test_the_key_cache_holds_at_most_its_size() -> None:
    table = RoutingTable(canary("exp", "seed", CONTROL, CANDIDATE, 0.3), key_cache_size=10)
    for i in range(100):
        table.cached_bucket_index(f"account-{i}")
    assert table.cached_keys == 10


def test_a_key_cache_of_size_zero_remembers_nothing_and_still_routes() -> None:
    table = RoutingTable(canary("exp", "seed", CONTROL, CANDIDATE, 0.3), key_cache_size=0)
    assert [table.cached_bucket_index(f"k{i % 3}") for i in range(9)] == [
        bucket_index("seed", f"k{i % 3}") for i in range(9)
    ]
    assert table.cached_keys == 0


def test_uncached_buckets_do_not_fill_the_cache() -> None:
    table = RoutingTable(canary("exp", "seed", CONTROL, CANDIDATE, 0.3))
    table.bucket_index("decision-1")
    assert table.cached_keys == 0


@pytest.mark.parametrize("size", [-1, True, 2.5])
def test_a_key_cache_size_that_is_not_a_whole_number_is_refused(size: object) -> None:
    with pytest.raises(InvalidValueError, match="key_cache_size"):
        RoutingTable(canary("exp", "seed", CONTROL, CANDIDATE, 0.3), key_cache_size=size)  # type: ignore[arg-type]


@settings(max_examples=300)
@given(seed=st.text(max_size=20), key=st.text(max_size=80))
def test_a_table_given_a_compiled_fnv1a_buckets_every_key_as_routing_does(seed: str, key: str) -> None:
    table = RoutingTable(canary("exp", seed, CONTROL, CANDIDATE, 0.3), fnv1a32=fnv1a_32)
    assert table.bucket_index(key) == bucket_index(seed, key)
    assert table.cached_bucket_index(key) == bucket_index(seed, key)
