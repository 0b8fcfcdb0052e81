"""Experiment routing: which arm serves a request, decided by a stable hash of its routing key.

The bucket is GrowthBook's v2 hash, `fnv1a32(str(fnv1a32(f"{seed}:{key}"))) % 10000 / 10000`, so it is the
same in every process and on every machine (Python's `hash()` is salted per process and never used). Arms own
contiguous bucket ranges in a fixed order, control first: raising the first challenger (the canary) from 5 % to
10 % only moves keys from control to the canary. In `shadow` mode control serves every request and each
challenger scores it too, its output logged and never acted on; in `split` mode the bucket picks the one arm
that serves.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from enum import StrEnum

from attrs import field, frozen

from galfriday.errors import InvalidValueError

BUCKETS = 10_000
"""Bucket resolution: weights are honoured to 1/10,000 (0.01 %)."""

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193
_MASK = 0xFFFFFFFF


def fnv1a32(text: str) -> int:
    """32-bit FNV-1a over the UTF-8 bytes of `text`."""
    value = _FNV_OFFSET
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * _FNV_PRIME) & _MASK
    return value


def bucket_index(experiment_seed: str, routing_key: str) -> int:
    """The key's bucket as a whole number in [0, 10000)."""
    return fnv1a32(str(fnv1a32(f"{experiment_seed}:{routing_key}"))) % BUCKETS


def bucket(experiment_seed: str, routing_key: str) -> float:
    """The key's bucket in [0, 1): stable across processes, machines and Python versions."""
    return bucket_index(experiment_seed, routing_key) / BUCKETS


class RoutingMode(StrEnum):
    SHADOW = "shadow"
    """Control serves every request; every challenger scores it too (logged, never acted on)."""
    SPLIT = "split"
    """The bucket picks the single arm that serves the request."""


def _weight(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise InvalidValueError("weight", value, "a share of traffic between 0 and 1")
    return float(value)


@frozen
class Arm:
    """One arm of an experiment: a model version and its share of split traffic."""

    name: str
    model: str
    version: int
    weight: float = field(default=0.0, converter=_weight)


def _arms(value: Iterable[Arm]) -> tuple[Arm, ...]:
    return tuple(value)


@frozen
class Experiment:
    """Arms in routing order, control first. Split weights must add up to 1."""

    experiment_id: str
    seed: str
    control: Arm
    challengers: tuple[Arm, ...] = field(converter=_arms)
    mode: RoutingMode = field(default=RoutingMode.SHADOW, converter=RoutingMode)
    _bounds: tuple[int, ...] = field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        names = [arm.name for arm in self.arms]
        if len(set(names)) != len(names):
            raise InvalidValueError("arms", names, "distinct arm names")
        if not self.challengers:
            raise InvalidValueError("challengers", self.challengers, "at least one challenger arm")
        total = math.fsum(arm.weight for arm in self.arms)
        if self.mode is RoutingMode.SPLIT and abs(total - 1.0) > 1e-9:
            raise InvalidValueError(
                "weights", [arm.weight for arm in self.arms], "split weights adding up to 1"
            )
        object.__setattr__(self, "_bounds", _upper_bounds(self.arms))

    @property
    def arms(self) -> tuple[Arm, ...]:
        return (self.control, *self.challengers)

    def bucket_range(self, arm_name: str) -> range:
        """The bucket indexes `arm_name` owns in split mode."""
        lower = 0
        for arm, upper in zip(self.arms, self._bounds, strict=True):
            if arm.name == arm_name:
                return range(lower, upper)
            lower = upper
        raise InvalidValueError("arm_name", arm_name, f"one of {[arm.name for arm in self.arms]}")

    def with_weights(self, **weights: float) -> Experiment:
        """A copy with some arms re-weighted by name (same seed, so keys move only between resized arms)."""
        unknown = set(weights) - {arm.name for arm in self.arms}
        if unknown:
            raise InvalidValueError(
                "weights", sorted(unknown), f"arm names among {[a.name for a in self.arms]}"
            )

        def reweigh(arm: Arm) -> Arm:
            return Arm(arm.name, arm.model, arm.version, weights.get(arm.name, arm.weight))

        return Experiment(
            self.experiment_id,
            self.seed,
            reweigh(self.control),
            [reweigh(arm) for arm in self.challengers],
            self.mode,
        )


def _upper_bounds(arms: tuple[Arm, ...]) -> tuple[int, ...]:
    """Exclusive upper bucket bound of each arm: cumulative weights rounded to whole buckets, last pinned."""
    bounds: list[int] = []
    cumulative = 0.0
    for arm in arms:
        cumulative += arm.weight
        bounds.append(min(BUCKETS, round(cumulative * BUCKETS)))
    bounds[-1] = BUCKETS
    return tuple(bounds)


def canary(experiment_id: str, seed: str, control: Arm, challenger: Arm, share: float) -> Experiment:
    """A two-arm split experiment giving `share` of the traffic to `challenger` and the rest to control."""
    share = _weight(share)
    return Experiment(
        experiment_id,
        seed,
        Arm(control.name, control.model, control.version, 1.0 - share),
        [Arm(challenger.name, challenger.model, challenger.version, share)],
        RoutingMode.SPLIT,
    )


@frozen
class Assignment:
    """Where one request goes: the arm that serves it, the arms that shadow it, and the bucket that decided."""

    experiment_id: str
    routing_key: str
    bucket: float
    served: Arm
    shadows: tuple[Arm, ...] = ()


def route(experiment: Experiment, routing_key: str) -> Assignment:
    """Assign `routing_key` under `experiment`: in shadow mode control serves and challengers shadow."""
    index = bucket_index(experiment.seed, routing_key)
    if experiment.mode is RoutingMode.SHADOW:
        served, shadows = experiment.control, experiment.challengers
    else:
        served, shadows = _arm_for(experiment, index), ()
    return Assignment(experiment.experiment_id, routing_key, index / BUCKETS, served, shadows)


def assign(experiment: Experiment, routing_key: str) -> Arm:
    """The arm that serves `routing_key`: control in shadow mode, the bucket's arm in split mode."""
    return route(experiment, routing_key).served


def _arm_for(experiment: Experiment, index: int) -> Arm:
    for arm, upper in zip(experiment.arms, experiment._bounds, strict=True):
        if index < upper:
            return arm
    return experiment.arms[-1]  # unreachable: the last bound is BUCKETS
