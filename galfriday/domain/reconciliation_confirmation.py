"""Confirming discrepancies by a second look: only what both looks found is real.

A reconciliation compares a snapshot of the exchange with a store that may still be applying stream events the
exchange had already counted. Such a lag shows up as discrepancies that vanish once the events are applied. A
second look after a delay tells the two apart: a discrepancy is confirmed when the second look finds one with
the same `drift` (kind, subject and the gap between the sides: on a busy account both sides move between the
looks, a real drift keeps its gap), and settled when the second look no longer finds it.
What only the second look found is neither: it is left for the next run, which looks twice again.
"""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen

from galfriday.domain.reconciliation import Discrepancy


@frozen
class Confirmation:
    """The outcome of two looks: `confirmed` (as the second look found them, in its order) and `settled` (as
    the first look found them)."""

    confirmed: tuple[Discrepancy, ...] = ()
    settled: tuple[Discrepancy, ...] = ()


def confirm(first: Sequence[Discrepancy], second: Sequence[Discrepancy]) -> Confirmation:
    """The discrepancies of `second` that `first` found too (same drift), and those of `first` gone since."""
    seen_first = {d.drift for d in first}
    seen_second = {d.drift for d in second}
    return Confirmation(
        confirmed=tuple(d for d in second if d.drift in seen_first),
        settled=tuple(d for d in first if d.drift not in seen_second),
    )
