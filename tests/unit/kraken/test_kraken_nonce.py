"""Nonces: strictly increasing per key under asyncio and thread concurrency, shared per key, keyed by hash."""

from __future__ import annotations

import asyncio
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

from galfriday.adapters.kraken import nonce as nonce_module
from galfriday.adapters.kraken.nonce import NonceSource, key_fingerprint, nonce_source_for
from galfriday.config import Secret


def test_a_nonce_follows_the_clock_in_nanoseconds() -> None:
    source = NonceSource(time_ns=lambda: 1_700_000_000_000_000_000)
    assert source.next() == 1_700_000_000_000_000_000


def test_a_stalled_clock_still_gives_increasing_nonces() -> None:
    source = NonceSource(time_ns=lambda: 1000)
    assert [source.next() for _ in range(3)] == [1000, 1001, 1002]


def test_a_clock_stepping_back_never_lowers_the_nonce() -> None:
    ticks = iter([5000, 4000, 4500, 6000])
    source = NonceSource(time_ns=lambda: next(ticks))
    assert [source.next() for _ in range(4)] == [5000, 5001, 5002, 6000]


def test_advance_past_skips_a_nonce_used_elsewhere() -> None:
    source = NonceSource(time_ns=lambda: 10)
    source.advance_past(99)
    assert source.next() == 100


async def test_a_thousand_concurrent_tasks_get_strictly_increasing_distinct_nonces() -> None:
    source = NonceSource(time_ns=lambda: 42)  # a frozen clock: only the counter can keep them apart
    seen: list[int] = []

    async def take() -> None:
        await asyncio.sleep(0)
        seen.append(source.next())

    await asyncio.gather(*(take() for _ in range(1000)))
    assert len(set(seen)) == 1000
    assert seen == sorted(seen)
    assert all(b > a for a, b in itertools.pairwise(seen))


def test_a_thousand_calls_from_many_threads_never_repeat_and_each_thread_sees_them_increase() -> None:
    source = NonceSource()
    per_thread: dict[int, list[int]] = {}
    barrier = threading.Barrier(8)

    def take(worker: int) -> None:
        barrier.wait()
        per_thread[worker] = [source.next() for _ in range(125)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(take, range(8)))
    everything = [n for values in per_thread.values() for n in values]
    assert len(everything) == len(set(everything)) == 1000
    for values in per_thread.values():
        assert values == sorted(values)
    assert source.next() > max(everything)


def test_the_same_key_shares_one_source_whether_str_or_secret() -> None:
    assert nonce_source_for("key-a") is nonce_source_for(Secret("key-a"))
    assert nonce_source_for("key-a") is not nonce_source_for("key-b")


def test_the_registry_holds_a_hash_of_the_key_never_the_key() -> None:
    nonce_source_for(Secret("very-secret-public-key"))
    assert "very-secret-public-key" not in repr(nonce_module._registry)
    assert key_fingerprint("very-secret-public-key") in nonce_module._registry
    assert len(key_fingerprint("x")) == 64
