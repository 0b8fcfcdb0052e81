"""Wald's sequential probability ratio test on a Bernoulli error rate: the canary guardrail.

H0: error rate p0 (0.1 %) against H1: p1 (1 %). Each observation adds ln(p1/p0) if it is an error and
ln((1 - p1)/(1 - p0)) if not. The test rejects H0 (roll back) once the sum reaches ln((1 - beta)/alpha)
= +2.773, accepts H0 (the canary is healthy) once it falls to ln(beta/(1 - alpha)) = -1.558, and
otherwise continues (Wald 1945; alpha = 0.05, beta = 0.2 as the design sets). A decision, once reached,
is kept: later observations do not undo it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from enum import StrEnum

from attrs import evolve, frozen

from galfriday.domain.statistics.samples import count, probability
from galfriday.errors import InvalidValueError


class SprtDecision(StrEnum):
    CONTINUE = "continue"
    ACCEPT = "accept"  # H0 holds: the error rate is at most p0
    REJECT = "reject"  # H1: the error rate is elevated, roll back


@frozen
class SprtDesign:
    """Hypothesised error rates and error probabilities of the test."""

    p0: float = 0.001
    p1: float = 0.01
    alpha: float = 0.05
    beta: float = 0.2

    def __attrs_post_init__(self) -> None:
        for name in ("p0", "p1", "alpha", "beta"):
            probability(name, getattr(self, name))
        if self.p1 <= self.p0:
            raise InvalidValueError("p1", self.p1, f"an error rate above p0 = {self.p0}")

    @property
    def upper_bound(self) -> float:
        """ln((1 - beta) / alpha): reaching it rejects H0."""
        return math.log((1.0 - self.beta) / self.alpha)

    @property
    def lower_bound(self) -> float:
        """ln(beta / (1 - alpha)): reaching it accepts H0."""
        return math.log(self.beta / (1.0 - self.alpha))

    @property
    def error_step(self) -> float:
        return math.log(self.p1 / self.p0)

    @property
    def success_step(self) -> float:
        return math.log1p(-self.p1) - math.log1p(-self.p0)

    def start(self) -> SprtState:
        return SprtState(self)


@frozen
class SprtState:
    """The test after `n` observations of which `errors` were errors; immutable, `observe` returns a new one."""

    design: SprtDesign
    n: int = 0
    errors: int = 0
    decision: SprtDecision = SprtDecision.CONTINUE
    decided_at: int | None = None

    @property
    def log_likelihood_ratio(self) -> float:
        d = self.design
        return self.errors * d.error_step + (self.n - self.errors) * d.success_step

    def observe(self, error: bool) -> SprtState:
        """One more outcome; after a decision only the counts move."""
        return self._judged(evolve(self, n=self.n + 1, errors=self.errors + (1 if error else 0)))

    def observe_all(self, outcomes: Iterable[bool]) -> SprtState:
        """Outcomes one at a time, in order (True = error)."""
        state = self
        for error in outcomes:
            state = state.observe(bool(error))
        return state

    def observe_counts(self, errors: int, trials: int) -> SprtState:
        """A batch known only by its counts, judged at its end (the path inside it is not known)."""
        count("trials", trials)
        if count("errors", errors) > trials:
            raise InvalidValueError("errors", errors, f"at most the {trials} trials")
        if trials == 0:
            return self
        return self._judged(evolve(self, n=self.n + trials, errors=self.errors + errors))

    def _judged(self, state: SprtState) -> SprtState:
        if self.decision is not SprtDecision.CONTINUE:
            return state
        llr = state.log_likelihood_ratio
        if llr >= self.design.upper_bound:
            return evolve(state, decision=SprtDecision.REJECT, decided_at=state.n)
        if llr <= self.design.lower_bound:
            return evolve(state, decision=SprtDecision.ACCEPT, decided_at=state.n)
        return state

    @property
    def summary(self) -> str:
        d = self.design
        return (
            f"SPRT error rate {d.p0:g} vs {d.p1:g}: {self.errors} errors in {self.n}, "
            f"log LR {self.log_likelihood_ratio:+.3f} in ({d.lower_bound:+.3f}, {d.upper_bound:+.3f}): "
            f"{self.decision}"
        )
