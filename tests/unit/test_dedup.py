"""RecentIds: a bounded, insertion-ordered memory of ids for de-duplication."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from galfriday.domain.dedup import RecentIds
from galfriday.errors import InvalidValueError


def test_the_first_sighting_is_new_and_the_second_is_a_duplicate() -> None:
    ids: RecentIds[str] = RecentIds(10)
    assert ids.add("T1") is True
    assert ids.add("T1") is False
    assert "T1" in ids
    assert len(ids) == 1


def test_the_oldest_id_is_forgotten_beyond_capacity() -> None:
    ids: RecentIds[str] = RecentIds(2)
    ids.add("a")
    ids.add("b")
    ids.add("c")
    assert "a" not in ids
    assert "b" in ids
    assert "c" in ids
    assert len(ids) == 2


def test_a_duplicate_does_not_refresh_its_age() -> None:
    ids: RecentIds[str] = RecentIds(2)
    ids.add("a")
    ids.add("b")
    ids.add("a")
    ids.add("c")
    assert "a" not in ids
    assert "b" in ids


def test_one_instance_serves_two_sources() -> None:
    shared: RecentIds[str] = RecentIds(100)
    from_stream = [shared.add(exec_id) for exec_id in ("T1", "T2")]
    from_rest = [shared.add(exec_id) for exec_id in ("T2", "T3")]
    assert from_stream == [True, True]
    assert from_rest == [False, True]


def test_clear_forgets_everything() -> None:
    ids: RecentIds[int] = RecentIds(5)
    ids.add(1)
    ids.clear()
    assert len(ids) == 0
    assert ids.add(1) is True


@pytest.mark.parametrize("capacity", [0, -1, True, 1.5])
def test_capacity_must_be_a_positive_int(capacity: object) -> None:
    with pytest.raises(InvalidValueError, match="capacity"):
        RecentIds(capacity)  # type: ignore[arg-type]


@given(st.lists(st.integers(min_value=0, max_value=50), max_size=200), st.integers(min_value=1, max_value=20))
def test_never_holds_more_than_capacity_and_always_the_latest_distinct_ids(
    keys: list[int], capacity: int
) -> None:
    ids: RecentIds[int] = RecentIds(capacity)
    accepted = [key for key in keys if ids.add(key)]
    assert len(ids) == min(capacity, len(accepted))
    assert all(key in ids for key in accepted[-capacity:])
