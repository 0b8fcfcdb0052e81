"""Restart delays for a crashed component: exponential, capped, reset once it has run long enough."""

from __future__ import annotations

from attrs import frozen

from galfriday.errors import InvalidValueError


@frozen
class Backoff:
    """`delay(n)` is how long to wait before the restart that follows `n` earlier consecutive crashes.

    A component that ran at least `stable_after_seconds` before crashing starts again from `initial_seconds`:
    one crash a day should not inherit yesterday's long wait.
    """

    initial_seconds: float = 0.5
    max_seconds: float = 60.0
    factor: float = 2.0
    stable_after_seconds: float = 60.0

    def __attrs_post_init__(self) -> None:
        if not self.initial_seconds > 0:
            raise InvalidValueError("initial_seconds", self.initial_seconds, "a number of seconds above 0")
        if self.max_seconds < self.initial_seconds:
            raise InvalidValueError("max_seconds", self.max_seconds, f"at least {self.initial_seconds}")
        if self.factor < 1:
            raise InvalidValueError("factor", self.factor, "a growth factor of at least 1")

    def delay(self, consecutive_crashes: int) -> float:
        exponent = min(consecutive_crashes, 64)  # beyond this the cap applies anyway; avoids float overflow
        return float(min(self.max_seconds, self.initial_seconds * self.factor**exponent))

    def is_stable(self, ran_seconds: float) -> bool:
        return ran_seconds >= self.stable_after_seconds
