"""The faults a chaos test arms on the Kraken simulator, one kind at a time on a seeded schedule: dropped
connections, an outage refusing handshakes, a zombie (silent) connection, duplicated, reordered, lost and
malformed frames, failing and rate-limited REST calls."""

from __future__ import annotations

import random
from collections import Counter

from galfriday.testing.kraken_simulator import KrakenSimulator

FAULTS = (
    "drop",
    "outage",
    "silence",
    "duplicate",
    "reorder",
    "lose",
    "malformed",
    "rest_failure",
    "rate_limit",
)


def inject(sim: KrakenSimulator, fault: str, rng: random.Random, injected: Counter[str]) -> None:
    """Arm `fault`; count it in `injected`, with the frames it affects (duplicated, lost, reordered).

    A silence lasts 2 s: the stream under test must take less than that to give a silent connection up."""
    injected[fault] += 1
    if fault == "drop":
        sim.chaos.drop_connections("private")
    elif fault == "outage":
        sim.chaos.refuse_connections(0.4)
        sim.chaos.drop_connections()
    elif fault == "silence":
        sim.chaos.go_silent(2.0, "private")
    elif fault == "duplicate":
        count = rng.randint(2, 6)
        injected["frames duplicated"] += count
        sim.chaos.duplicate_next(count)
    elif fault == "reorder":
        window = rng.randint(2, 5)
        injected["frames reordered"] += window
        sim.chaos.reorder_next(window)
    elif fault == "lose":
        count = rng.randint(1, 4)
        injected["frames lost"] += count
        sim.chaos.drop_next(count)
    elif fault == "malformed":
        injected["malformed frames"] += sim.chaos.inject_malformed(endpoint="private")
    elif fault == "rest_failure":
        sim.chaos.fail_rest("EService:Unavailable", rng.randint(1, 3))
    else:
        sim.chaos.rate_limit_rest(rng.randint(1, 2))
