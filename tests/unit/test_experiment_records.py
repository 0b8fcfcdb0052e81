"""Experiment records: an experiment's life, outcomes and logged predictions, checked when built."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from galfriday.domain.experiments import (
    Arm,
    Experiment,
    ExperimentMode,
    ExperimentOutcome,
    ExperimentStatus,
    PredictionRecord,
)
from galfriday.errors import InvalidValueError

T0 = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


def experiment(**changes: Any) -> Experiment:
    made = Experiment(
        id="exp-1",
        name="alpha v1 vs v2",
        mode="split",
        status="running",
        model_name="alpha",
        control_version=1,
        candidate_version=2,
        config={"split": 0.1},
        created_at=T0,
    )
    return attrs.evolve(made, **changes) if changes else made


def outcome(**changes: Any) -> ExperimentOutcome:
    made = ExperimentOutcome(
        experiment_id="exp-1",
        prediction_id="pred-1",
        arm="control",
        model_version=1,
        routing_key="BTC/USD",
        values={"hit": 1},
        observed_at=T0,
    )
    return attrs.evolve(made, **changes) if changes else made


def prediction(**changes: Any) -> PredictionRecord:
    made = PredictionRecord(
        id="pred-1",
        model_name="alpha",
        version=1,
        experiment_id="exp-1",
        arm="control",
        routing_key="BTC/USD",
        acted=True,
        outputs={"probabilities": [0.25, 0.75]},
        latency_seconds=0.001,
        at=T0,
    )
    return attrs.evolve(made, **changes) if changes else made


def test_mode_and_status_are_converted_to_their_enums() -> None:
    assert (experiment().mode, experiment().status) == (ExperimentMode.SPLIT, ExperimentStatus.RUNNING)


def test_a_running_experiment_has_no_conclusion() -> None:
    with pytest.raises(InvalidValueError, match="concluded_at"):
        experiment(concluded_at=T0)


def test_an_ended_experiment_says_when_it_ended() -> None:
    with pytest.raises(InvalidValueError, match="concluded_at"):
        experiment(status="stopped")


def test_an_experiment_cannot_end_before_it_was_created() -> None:
    with pytest.raises(InvalidValueError, match="concluded_at"):
        experiment(status="stopped", concluded_at=T0 - timedelta(seconds=1))


def test_a_version_below_1_is_refused_naming_its_field() -> None:
    with pytest.raises(InvalidValueError, match="candidate_version"):
        experiment(candidate_version=0)


def test_finishing_a_running_experiment_records_status_time_and_verdict() -> None:
    done = experiment().finished(ExperimentStatus.CONCLUDED, {"winner": "candidate"}, T0 + timedelta(days=1))
    assert (done.status, done.concluded_at, done.conclusion) == (
        ExperimentStatus.CONCLUDED,
        T0 + timedelta(days=1),
        {"winner": "candidate"},
    )


def test_finishing_an_ended_experiment_is_refused() -> None:
    stopped = experiment().finished(ExperimentStatus.STOPPED, None, T0)
    with pytest.raises(InvalidValueError, match="running"):
        stopped.finished(ExperimentStatus.CONCLUDED, None, T0)


def test_finishing_as_running_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="concluded or stopped"):
        experiment().finished(ExperimentStatus.RUNNING, None, T0)


def test_each_arm_is_served_by_its_version() -> None:
    assert (experiment().version(Arm.CONTROL), experiment().version(Arm.CANDIDATE)) == (1, 2)


def test_outcome_values_become_floats() -> None:
    value = outcome().values["hit"]
    assert isinstance(value, float)
    assert value == 1.0


@pytest.mark.parametrize("bad", [math.nan, math.inf, True, "1.0"])
def test_an_outcome_value_that_is_not_a_finite_number_is_refused(bad: object) -> None:
    with pytest.raises(InvalidValueError, match="values"):
        outcome(values={"loss": bad})


def test_an_unknown_arm_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="arm"):
        outcome(arm="challenger")


def test_prediction_outputs_become_tuples_of_floats() -> None:
    assert prediction(outputs={"label": [1]}).outputs == {"label": (1.0,)}


def test_a_nan_prediction_output_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="outputs"):
        prediction(outputs={"p": [math.nan]})


@pytest.mark.parametrize("bad", [math.inf, -math.inf, True, "0.5", None])
def test_a_prediction_output_that_is_not_a_finite_number_is_refused_by_name(bad: object) -> None:
    with pytest.raises(InvalidValueError, match=r"outputs\['p'\]"):
        prediction(outputs={"p": (0.25, bad)})


def test_finite_outputs_whose_sum_overflows_are_kept() -> None:
    assert prediction(outputs={"p": (1e308, 1e308)}).outputs == {"p": (1e308, 1e308)}


def test_mixed_int_and_float_outputs_all_become_floats() -> None:
    outputs = prediction(outputs={"p": [1, 0.5]}).outputs["p"]
    assert outputs == (1.0, 0.5)
    assert all(type(value) is float for value in outputs)


def test_a_prediction_in_an_experiment_names_its_arm() -> None:
    with pytest.raises(InvalidValueError, match="arm"):
        prediction(arm=None)


def test_a_prediction_outside_experiments_has_no_arm() -> None:
    with pytest.raises(InvalidValueError, match="arm"):
        prediction(experiment_id=None)


def test_a_negative_latency_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="latency_seconds"):
        prediction(latency_seconds=-0.001)


def test_a_bucket_outside_0_to_1_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="bucket"):
        prediction(bucket=1.0)


def test_acted_must_be_a_bool() -> None:
    with pytest.raises(InvalidValueError, match="acted"):
        prediction(acted=1)
