"""When to try a WebSocket connection again: exponential backoff with full jitter, under a connection budget.

Kraken asks clients to reconnect at once after a random drop, to back off after repeated failures, to wait at
least 5 s between attempts during maintenance, and to stay under about 150 connection attempts per IP in any
rolling 10 minutes (exceeding it bans the IP for 10 minutes). `Backoff` gives the delay before each attempt of
one endpoint; `ConnectionBudget` is shared by every endpoint of one process (they share the IP) and says how
long to wait before the next attempt fits the window. Times are monotonic seconds, passed in.
"""

from __future__ import annotations

import random
from collections import deque

from attrs import frozen

from galfriday.errors import InvalidValueError

__all__ = ["Backoff", "BackoffPolicy", "ConnectionBudget"]


@frozen
class BackoffPolicy:
    """Delays grow from `initial` by `multiplier` up to `maximum`; each is drawn uniformly below that cap.

    The first `immediate_retries` attempts after a connection that was up go at once (a random drop).
    `maintenance_floor` is the least delay while Kraken reports maintenance.
    """

    initial: float = 0.25
    maximum: float = 30.0
    multiplier: float = 2.0
    immediate_retries: int = 1
    maintenance_floor: float = 5.0

    def __attrs_post_init__(self) -> None:
        for name in ("initial", "maximum"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise InvalidValueError(name, value, "a positive number of seconds")
        if isinstance(self.multiplier, bool) or not self.multiplier >= 1:
            raise InvalidValueError("multiplier", self.multiplier, "a growth factor of 1 or more")
        if self.maximum < self.initial:
            raise InvalidValueError("maximum", self.maximum, f"at least initial ({self.initial})")
        if isinstance(self.immediate_retries, bool) or not (
            isinstance(self.immediate_retries, int) and self.immediate_retries >= 0
        ):
            raise InvalidValueError("immediate_retries", self.immediate_retries, "a count of 0 or more")
        if self.maintenance_floor < 0:
            raise InvalidValueError("maintenance_floor", self.maintenance_floor, "0 or more seconds")

    def cap(self, failures: int) -> float:
        """The largest delay after `failures` delayed attempts (0 for the first delayed one)."""
        return min(self.maximum, self.initial * self.multiplier ** min(failures, 64))


class Backoff:
    """The delays of one endpoint's attempts: `next_delay()` before each, `reset()` once it is up again."""

    def __init__(self, policy: BackoffPolicy | None = None, *, rng: random.Random | None = None) -> None:
        self.policy = policy or BackoffPolicy()
        self._rng = rng or random.Random()
        self.attempts = 0

    def next_delay(self, *, maintenance: bool = False) -> float:
        """Seconds to wait before the next attempt ("full jitter": uniform between 0 and the cap)."""
        policy = self.policy
        attempt = self.attempts
        self.attempts += 1
        if attempt < policy.immediate_retries:
            delay = 0.0
        else:
            delay = self._rng.uniform(0.0, policy.cap(attempt - policy.immediate_retries))
        return max(delay, policy.maintenance_floor) if maintenance else delay

    def reset(self) -> None:
        """The connection is up and working: the next drop starts again with an immediate retry."""
        self.attempts = 0


class ConnectionBudget:
    """At most `limit` connection attempts in any rolling `window` seconds, across the endpoints sharing it.

    Kraken's limit is about 150 per IP per 10 minutes; the default keeps a margin for other processes.
    """

    def __init__(self, limit: int = 120, window: float = 600.0) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidValueError("limit", limit, "at least one attempt per window")
        if not window > 0:
            raise InvalidValueError("window", window, "a positive number of seconds")
        self.limit = limit
        self.window = window
        self._attempts: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds from `now` until one more attempt fits the window (0 when it fits now)."""
        attempts = self._attempts
        while attempts and attempts[0] <= now - self.window:
            attempts.popleft()
        if len(attempts) < self.limit:
            return 0.0
        return attempts[len(attempts) - self.limit] + self.window - now

    def record(self, now: float) -> None:
        """An attempt is being made at `now`."""
        self._attempts.append(now)

    def used(self, now: float) -> int:
        """Attempts made within the window ending at `now`."""
        return sum(1 for at in self._attempts if at > now - self.window)
