"""From outcomes to statistics and conclusions: better candidates win, worse ones stop, A/A stays open."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from galfriday.domain.experiment_evidence import (
    assess,
    forecast_probability,
    forecast_values,
    request_id,
    shadow_pairs,
    shadow_prediction_id,
)
from galfriday.domain.experiment_settings import ExperimentSettings, Metric, routing
from galfriday.domain.experiments import (
    Arm,
    Experiment,
    ExperimentMode,
    ExperimentOutcome,
    ExperimentStatus,
)
from galfriday.domain.routing import RoutingMode, assign
from galfriday.domain.statistics.decision import Invalid, KeepCollecting, Promote, Stop
from galfriday.errors import InvalidValueError

START = datetime(2026, 11, 1, tzinfo=UTC)
LATER = START + timedelta(days=8)


def experiment(mode: ExperimentMode, settings: ExperimentSettings) -> Experiment:
    return Experiment(
        id="exp-1",
        name="btc-direction v3 vs v4",
        mode=mode,
        status=ExperimentStatus.RUNNING,
        model_name="btc-direction",
        control_version=3,
        candidate_version=4,
        config=settings.to_config(),
        created_at=START,
    )


def outcome(prediction_id: str, arm: Arm, values: dict[str, float], i: int) -> ExperimentOutcome:
    return ExperimentOutcome(
        experiment_id="exp-1",
        prediction_id=prediction_id,
        arm=arm,
        model_version=3 if arm is Arm.CONTROL else 4,
        routing_key=request_id(prediction_id),
        values=values,
        observed_at=START + timedelta(minutes=i),
    )


def shadow_outcomes(
    n: int, control_skill: float, candidate_skill: float, seed: int
) -> list[ExperimentOutcome]:
    """n requests whose event happens with probability 1/2; each arm forecasts it with its own skill.

    An arm of skill s says p = 0.5 + s * (+1 if it happened else -1) + noise: higher skill, lower Brier.
    """
    rng = random.Random(seed)
    made = []
    for i in range(n):
        happened = rng.random() < 0.5
        sign = 1.0 if happened else -1.0
        for arm, skill in ((Arm.CONTROL, control_skill), (Arm.CANDIDATE, candidate_skill)):
            p = min(0.99, max(0.01, 0.5 + skill * sign + rng.gauss(0.0, 0.2)))
            pid = f"r{i}" if arm is Arm.CONTROL else shadow_prediction_id(f"r{i}")
            made.append(outcome(pid, arm, forecast_values(p, happened), i))
    return made


def split_outcomes(
    n_control: int, n_candidate: int, control_mean: float, candidate_mean: float, seed: int
) -> list[ExperimentOutcome]:
    rng = random.Random(seed)
    made = [outcome(f"c{i}", Arm.CONTROL, {"pnl": rng.gauss(control_mean, 1.0)}, i) for i in range(n_control)]
    made += [
        outcome(f"k{i}", Arm.CANDIDATE, {"pnl": rng.gauss(candidate_mean, 1.0)}, i)
        for i in range(n_candidate)
    ]
    return made


SHADOW = ExperimentSettings.defaults(ExperimentMode.SHADOW, "seed-1")
SPLIT = ExperimentSettings.defaults(ExperimentMode.SPLIT, "seed-1", traffic_share=0.5)


def test_a_forecast_scores_its_hit_brier_and_log_loss() -> None:
    assert forecast_values(0.8, True) == pytest.approx({"hit": 1.0, "brier": 0.04, "log_loss": 0.2231435513})
    assert forecast_values(0.8, False)["hit"] == 0.0
    assert forecast_values(0.5, True)["hit"] == 1.0


def test_the_probability_is_read_from_the_configured_output_and_index() -> None:
    outputs = {"label": (1.0,), "probabilities": (0.3, 0.7)}
    assert forecast_probability(outputs, SHADOW) == 0.7
    first = ExperimentSettings.defaults(ExperimentMode.SHADOW, "s", probability_index=0)
    assert forecast_probability(outputs, first) == 0.3


def test_a_missing_probability_output_is_named() -> None:
    with pytest.raises(InvalidValueError, match="probability_output"):
        forecast_probability({"score": (0.2,)}, SHADOW)


def test_a_shadow_prediction_belongs_to_the_request_it_shadows() -> None:
    assert request_id(shadow_prediction_id("p-17")) == "p-17"
    assert request_id("p-17") == "p-17"


def test_shadow_outcomes_pair_by_request_and_skip_the_unpaired() -> None:
    made = shadow_outcomes(3, 0.1, 0.1, seed=1)
    pairs = shadow_pairs(made[:-1], "brier")  # the last request's candidate outcome is not in yet
    assert [(c.prediction_id, k.prediction_id) for c, k in pairs] == [
        ("r0", "r0/shadow"),
        ("r1", "r1/shadow"),
    ]


def test_settings_survive_the_experiment_config() -> None:
    assert ExperimentSettings.from_config(SPLIT.to_config()) == SPLIT


def test_an_unknown_config_key_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="experiment config"):
        ExperimentSettings.from_config({**SHADOW.to_config(), "margn": 0.1})


def test_the_defaults_follow_the_mode() -> None:
    assert (SHADOW.metric, SHADOW.margin) == (Metric.BRIER, 0.002)
    assert (SPLIT.metric, SPLIT.margin) == (Metric.PNL, 0.0)
    assert SHADOW.policy().higher_is_better is False


def test_a_split_experiment_routes_its_share_to_the_candidate() -> None:
    settings = ExperimentSettings.defaults(ExperimentMode.SPLIT, "seed-1", traffic_share=0.2)
    routed = routing(experiment(ExperimentMode.SPLIT, settings), settings)
    assert routed.mode is RoutingMode.SPLIT
    share = sum(assign(routed, f"k{i}").name == "candidate" for i in range(10_000)) / 10_000
    assert share == pytest.approx(0.2, abs=0.015)


def test_a_clearly_better_shadow_candidate_is_promoted() -> None:
    made = shadow_outcomes(1_500, control_skill=0.05, candidate_skill=0.2, seed=7)
    result = assess(experiment(ExperimentMode.SHADOW, SHADOW), SHADOW, made, (1_500, 1_500), LATER)
    assert isinstance(result.conclusion, Promote)
    assert result.pairs == 1_500
    assert result.diebold_mariano is not None
    assert result.diebold_mariano.p_value < 0.001
    assert result.mcnemar is not None
    assert result.mcnemar.challenger_only > result.mcnemar.champion_only


def test_a_clearly_worse_shadow_candidate_is_stopped() -> None:
    made = shadow_outcomes(1_500, control_skill=0.2, candidate_skill=0.05, seed=7)
    result = assess(experiment(ExperimentMode.SHADOW, SHADOW), SHADOW, made, (1_500, 1_500), LATER)
    assert isinstance(result.conclusion, Stop)


def test_nothing_is_concluded_before_the_minimum_duration() -> None:
    made = shadow_outcomes(1_500, control_skill=0.05, candidate_skill=0.2, seed=7)
    early = START + timedelta(days=2)
    result = assess(experiment(ExperimentMode.SHADOW, SHADOW), SHADOW, made, (1_500, 1_500), early)
    assert isinstance(result.conclusion, KeepCollecting)


def test_nothing_is_concluded_below_the_minimum_outcomes() -> None:
    made = shadow_outcomes(200, control_skill=0.05, candidate_skill=0.3, seed=7)
    result = assess(experiment(ExperimentMode.SHADOW, SHADOW), SHADOW, made, (200, 200), LATER)
    assert isinstance(result.conclusion, KeepCollecting)


def test_shadow_a_a_experiments_rarely_conclude_a_winner_or_loser() -> None:
    """Equal skill, 800 requests, 100 seeds: the always-valid interval excludes 0 in at most 5 % of them."""
    wrong = 0
    for seed in range(100):
        made = shadow_outcomes(800, control_skill=0.1, candidate_skill=0.1, seed=seed)
        result = assess(experiment(ExperimentMode.SHADOW, SHADOW), SHADOW, made, (800, 800), LATER)
        sequence = getattr(result.conclusion, "sequence", None)
        if isinstance(result.conclusion, Promote) or (sequence is not None and sequence.upper < 0.0):
            wrong += 1
    assert wrong <= 5


def test_split_a_a_experiments_rarely_conclude() -> None:
    """Equal mean P&L, 600 per arm, 100 seeds (margin 0): promote or stop in at most 5 % of them."""
    concluded = 0
    for seed in range(100):
        made = split_outcomes(600, 600, 0.0, 0.0, seed)
        result = assess(experiment(ExperimentMode.SPLIT, SPLIT), SPLIT, made, (600, 600), LATER, resamples=50)
        concluded += isinstance(result.conclusion, Promote | Stop)
    assert concluded <= 5


def test_a_split_candidate_that_earns_more_is_promoted_with_its_statistics() -> None:
    made = split_outcomes(800, 800, 0.0, 0.5, seed=3)
    result = assess(experiment(ExperimentMode.SPLIT, SPLIT), SPLIT, made, (800, 800), LATER, resamples=500)
    assert isinstance(result.conclusion, Promote)
    assert result.welch is not None
    assert result.welch.p_value < 0.001
    assert result.bootstrap is not None
    assert result.bootstrap.lower > 0.0
    assert result.sample_ratio is not None
    assert not result.sample_ratio.mismatch


def test_a_split_candidate_that_earns_less_is_stopped() -> None:
    made = split_outcomes(800, 800, 0.5, 0.0, seed=3)
    result = assess(experiment(ExperimentMode.SPLIT, SPLIT), SPLIT, made, (800, 800), LATER, resamples=100)
    assert isinstance(result.conclusion, Stop)


def test_a_sample_ratio_mismatch_invalidates_a_split_experiment() -> None:
    made = split_outcomes(800, 800, 0.0, 0.5, seed=3)
    result = assess(experiment(ExperimentMode.SPLIT, SPLIT), SPLIT, made, (1_100, 900), LATER, resamples=100)
    assert isinstance(result.conclusion, Invalid)
    assert result.sample_ratio is not None
    assert result.sample_ratio.mismatch


def test_an_arm_without_outcomes_keeps_collecting() -> None:
    made = split_outcomes(10, 0, 0.0, 0.0, seed=3)
    result = assess(experiment(ExperimentMode.SPLIT, SPLIT), SPLIT, made, (10, 10), LATER)
    assert isinstance(result.conclusion, KeepCollecting)
    assert result.candidate.outcomes == 0


def test_the_assessment_document_is_json_with_the_verdict_and_arm_tallies() -> None:
    import json

    made = shadow_outcomes(600, control_skill=0.05, candidate_skill=0.2, seed=2)
    document = assess(experiment(ExperimentMode.SHADOW, SHADOW), SHADOW, made, (600, 600), LATER).document()
    assert json.loads(json.dumps(document, allow_nan=False)) == document
    assert document["arms"]["candidate"]["outcomes"] == 600
    assert document["arms"]["control"]["version"] == 3
    assert document["action"] in {"promote", "keep collecting"}
    assert document["diebold_mariano"]["summary"].startswith("Diebold-Mariano")
