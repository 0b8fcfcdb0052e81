"""How an experiment runs and when it may conclude, kept in `Experiment.config` as a JSON object.

Shadow experiments (the default) compare forecasts of the same requests, so their metric is a per-prediction
loss or hit (Brier by default, margin -0.002); split experiments compare what acting on each arm earned (net
P&L per prediction by default). The margins and minimums are model-lifecycle.md's defaults. `routing` turns a
stored experiment into the `routing.Experiment` the prediction service routes by: in split mode the candidate
owns `traffic_share` of the buckets, in shadow mode it scores every request.
"""

from __future__ import annotations

import math
from datetime import timedelta
from enum import StrEnum
from typing import Any

from attrs import field, frozen

from galfriday.domain.experiments import Experiment, ExperimentMode
from galfriday.domain.routing import Arm as RoutingArm
from galfriday.domain.routing import Experiment as RoutingExperiment
from galfriday.domain.routing import RoutingMode
from galfriday.domain.statistics.decision import DecisionPolicy
from galfriday.errors import InvalidValueError


class Metric(StrEnum):
    """What an experiment compares; each is a key of `ExperimentOutcome.values`."""

    BRIER = "brier"
    LOG_LOSS = "log_loss"
    HIT = "hit"
    PNL = "pnl"

    @property
    def higher_is_better(self) -> bool:
        return self in (Metric.HIT, Metric.PNL)

    @property
    def default_margin(self) -> float:
        """The practical margin by default: Brier -0.002, log loss -0.005, hit rate +1 pp, any P&L gain."""
        return _DEFAULT_MARGINS[self]


_DEFAULT_MARGINS = {Metric.BRIER: 0.002, Metric.LOG_LOSS: 0.005, Metric.HIT: 0.01, Metric.PNL: 0.0}
DEFAULT_METRIC = {ExperimentMode.SHADOW: Metric.BRIER, ExperimentMode.SPLIT: Metric.PNL}


def _metric(value: object) -> Metric:
    if not isinstance(value, str):
        raise InvalidValueError("metric", value, f"one of {[m.value for m in Metric]}")
    try:
        return Metric(value)
    except ValueError:
        raise InvalidValueError("metric", value, f"one of {[m.value for m in Metric]}") from None


def _share(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 < value < 1.0:
        raise InvalidValueError("traffic_share", value, "the candidate's share of split traffic, in (0, 1)")
    return float(value)


def _non_negative(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value < math.inf:
        raise InvalidValueError(name, value, "a finite number >= 0")
    return float(value)


def _whole(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidValueError(name, value, f"a whole number >= {minimum}")
    return value


def _margin(value: object) -> float:
    return _non_negative("margin", value)


def _min_duration(value: object) -> float:
    return _non_negative("min_duration_seconds", value)


def _alpha(value: object) -> float:
    return _non_negative("alpha", value)


def _n_star(value: object) -> float:
    return _non_negative("n_star", value)


def _min_outcomes(value: object) -> int:
    return _whole("min_outcomes_per_arm", value, 2)


def _index(value: object) -> int:
    return _whole("probability_index", value, -(2**31))


def _seed(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidValueError("seed", value, "a non-empty string (the routing hash seed)")
    return value


@frozen
class ExperimentSettings:
    """An experiment's routing and decision settings (see the module docstring for the defaults)."""

    seed: str = field(converter=_seed)
    metric: Metric = field(converter=_metric)
    margin: float = field(converter=_margin)
    traffic_share: float = field(default=0.5, converter=_share)
    min_outcomes_per_arm: int = field(default=500, converter=_min_outcomes)
    min_duration_seconds: float = field(default=7 * 86_400.0, converter=_min_duration)
    alpha: float = field(default=0.05, converter=_alpha)
    n_star: float = field(default=5_000.0, converter=_n_star)
    probability_output: str = "probabilities"
    """The output holding the probability that the predicted event happens."""
    probability_index: int = field(default=-1, converter=_index)
    """Which value of that output, per row (-1: the last one, class 1 of a binary classifier)."""

    def __attrs_post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise InvalidValueError("alpha", self.alpha, "a probability in (0, 1)")
        if self.n_star <= 0.0:
            raise InvalidValueError("n_star", self.n_star, "a planned sample size above 0")
        if not isinstance(self.probability_output, str) or not self.probability_output:
            raise InvalidValueError("probability_output", self.probability_output, "an output name")

    @classmethod
    def defaults(cls, mode: ExperimentMode, seed: str, **overrides: Any) -> ExperimentSettings:
        """The design's defaults for `mode`, with `overrides` by field name (the margin follows the metric)."""
        metric = _metric(overrides.pop("metric", DEFAULT_METRIC[ExperimentMode(mode)]))
        margin = overrides.pop("margin", None)
        return cls(
            seed=seed, metric=metric, margin=metric.default_margin if margin is None else margin, **overrides
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ExperimentSettings:
        """Read back what `to_config` wrote; unknown keys are refused so a typo cannot pass silently."""
        unknown = sorted(set(config) - set(_FIELDS))
        if unknown:
            raise InvalidValueError("experiment config", unknown, f"keys among {sorted(_FIELDS)}")
        missing = sorted({"seed", "metric", "margin"} - set(config))
        if missing:
            raise InvalidValueError("experiment config", missing, "seed, metric and margin present")
        return cls(**config)

    def to_config(self) -> dict[str, Any]:
        config = {name: getattr(self, name) for name in _FIELDS}
        config["metric"] = self.metric.value
        return config

    @property
    def min_duration(self) -> timedelta:
        return timedelta(seconds=self.min_duration_seconds)

    def policy(self) -> DecisionPolicy:
        """The decision policy these settings ask for."""
        return DecisionPolicy(
            metric=self.metric.value,
            higher_is_better=self.metric.higher_is_better,
            margin=self.margin,
            min_outcomes_per_arm=self.min_outcomes_per_arm,
            min_duration=self.min_duration,
            alpha=self.alpha,
            n_star=self.n_star,
        )


_FIELDS = (
    "seed",
    "metric",
    "margin",
    "traffic_share",
    "min_outcomes_per_arm",
    "min_duration_seconds",
    "alpha",
    "n_star",
    "probability_output",
    "probability_index",
)


def routing(experiment: Experiment, settings: ExperimentSettings) -> RoutingExperiment:
    """The routing experiment of `experiment`: arms `control` and `candidate`, seeded by `settings.seed`."""
    name = experiment.model_name
    if experiment.mode is ExperimentMode.SHADOW:
        return RoutingExperiment(
            experiment.id,
            settings.seed,
            RoutingArm("control", name, experiment.control_version),
            [RoutingArm("candidate", name, experiment.candidate_version)],
            RoutingMode.SHADOW,
        )
    share = settings.traffic_share
    return RoutingExperiment(
        experiment.id,
        settings.seed,
        RoutingArm("control", name, experiment.control_version, 1.0 - share),
        [RoutingArm("candidate", name, experiment.candidate_version, share)],
        RoutingMode.SPLIT,
    )
