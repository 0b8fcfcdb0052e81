"""Model experiments and the predictions they compare: shapes the experiment and prediction stores keep.

An experiment compares a control version of one model with a candidate version, in `shadow` mode (both score
every request, only the control acts) or `split` mode (each routing key goes to one arm). Every model output is
a `PredictionRecord`; once the truth is known, an `ExperimentOutcome` joins it on the prediction id.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from attrs import Attribute, evolve, field, frozen

from galfriday.domain.json_documents import finite_float, json_object
from galfriday.domain.timestamps import optional_utc, to_utc
from galfriday.errors import InvalidValueError


class ExperimentMode(StrEnum):
    SHADOW = "shadow"
    SPLIT = "split"


class ExperimentStatus(StrEnum):
    """`running` until it ends: `concluded` with a verdict, or `stopped` without one."""

    RUNNING = "running"
    CONCLUDED = "concluded"
    STOPPED = "stopped"


class Arm(StrEnum):
    CONTROL = "control"
    CANDIDATE = "candidate"


def _non_empty(instance: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidValueError(attribute.name, value, "a non-empty string")


def _optional_non_empty(instance: object, attribute: Attribute[Any], value: object) -> None:
    if value is not None:
        _non_empty(instance, attribute, value)


def _version(instance: object, attribute: Attribute[int], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidValueError(attribute.name, value, "a model version number, 1 or more")


def _experiment_config(value: object) -> dict[str, Any]:
    return json_object("config", value)


def _experiment_conclusion(value: object) -> dict[str, Any] | None:
    return None if value is None else json_object("conclusion", value)


def _optional_arm(value: object) -> Arm | None:
    return None if value is None else _arm(value)


def _arm(value: object) -> Arm:
    try:
        return Arm(str(value))
    except ValueError:
        raise InvalidValueError("arm", value, "'control' or 'candidate'") from None


def _values(value: object) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise InvalidValueError("values", value, "a dict of metric name to number, e.g. {'hit': 1.0}")
    result: dict[str, float] = {}
    for key, number in value.items():
        if not isinstance(key, str) or not key:
            raise InvalidValueError("values key", key, "a non-empty metric name")
        result[key] = finite_float(f"values[{key!r}]", number)
    return result


_PLAIN_NUMBERS = frozenset({float, int})


def _outputs(value: object) -> dict[str, tuple[float, ...]]:
    """Each output as a tuple of finite floats.

    The common case, a tuple or list of plain floats and ints (a prediction log flushes thousands per second),
    is checked in one pass at C speed: the set of element types, and a finite sum (a sum of finite floats is
    finite unless it overflows, and then the element-wise check below decides). Anything else is checked
    element by element, which names the first bad value.
    """
    if not isinstance(value, Mapping):
        raise InvalidValueError("outputs", value, "a dict of output name to a sequence of numbers")
    result: dict[str, tuple[float, ...]] = {}
    for key, numbers in value.items():
        if not isinstance(key, str) or not key:
            raise InvalidValueError("outputs key", key, "a non-empty output name")
        if type(numbers) is tuple or type(numbers) is list:
            kinds = set(map(type, numbers))
            if kinds <= _PLAIN_NUMBERS and math.isfinite(sum(numbers)):
                result[key] = tuple(numbers) if int not in kinds else tuple(map(float, numbers))
                continue
        elif not isinstance(numbers, Sequence) or isinstance(numbers, str | bytes):
            raise InvalidValueError(f"outputs[{key!r}]", numbers, "a sequence of numbers")
        result[key] = tuple(finite_float(f"outputs[{key!r}]", number) for number in numbers)
    return result


def _latency(value: object) -> float:
    result = finite_float("latency_seconds", value)
    if result < 0:
        raise InvalidValueError("latency_seconds", value, "zero or more seconds")
    return result


def _bucket(value: object) -> float | None:
    if value is None:
        return None
    result = finite_float("bucket", value)
    if not 0 <= result < 1:
        raise InvalidValueError("bucket", value, "a split bucket in [0, 1)")
    return result


def _acted(value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidValueError("acted", value, "True or False")
    return value


@frozen
class Experiment:
    """A comparison of `candidate_version` against `control_version` of `model_name`.

    While running, `concluded_at` and `conclusion` are None; once concluded or stopped, `concluded_at` is set
    (and `conclusion` holds the verdict, a JSON object, when there is one).
    """

    id: str = field(validator=_non_empty)
    name: str = field(validator=_non_empty)
    mode: ExperimentMode = field(converter=ExperimentMode)
    status: ExperimentStatus = field(converter=ExperimentStatus)
    model_name: str = field(validator=_non_empty)
    control_version: int = field(validator=_version)
    candidate_version: int = field(validator=_version)
    config: dict[str, Any] = field(converter=_experiment_config)
    created_at: datetime = field(converter=to_utc)
    concluded_at: datetime | None = field(default=None, converter=optional_utc)
    conclusion: dict[str, Any] | None = field(default=None, converter=_experiment_conclusion)

    def __attrs_post_init__(self) -> None:
        if self.status is ExperimentStatus.RUNNING:
            if self.concluded_at is not None or self.conclusion is not None:
                raise InvalidValueError(
                    "concluded_at", self.concluded_at, "None (and no conclusion) while the experiment runs"
                )
        elif self.concluded_at is None:
            raise InvalidValueError("concluded_at", None, f"when the {self.status} experiment ended")
        elif self.concluded_at < self.created_at:
            raise InvalidValueError(
                "concluded_at", self.concluded_at, f"at or after created_at {self.created_at}"
            )

    def finished(
        self, status: ExperimentStatus, conclusion: dict[str, Any] | None, at: datetime
    ) -> Experiment:
        """This experiment ended as `status` at `at`; `InvalidValueError` unless it runs and `status` ends it."""
        status = ExperimentStatus(status)
        if status is ExperimentStatus.RUNNING:
            raise InvalidValueError("status", status, "concluded or stopped: how the experiment ends")
        if self.status is not ExperimentStatus.RUNNING:
            raise InvalidValueError(
                f"experiment {self.id} status", self.status, "running: only a running experiment can finish"
            )
        return evolve(self, status=status, concluded_at=at, conclusion=conclusion)

    def version(self, arm: Arm) -> int:
        """The model version serving `arm`."""
        return self.control_version if arm is Arm.CONTROL else self.candidate_version


@frozen
class ExperimentOutcome:
    """What was observed for one prediction of an experiment, e.g. `{"hit": 1.0}` or `{"pnl": 12.5}`."""

    experiment_id: str = field(validator=_non_empty)
    prediction_id: str = field(validator=_non_empty)
    arm: Arm = field(converter=_arm)
    model_version: int = field(validator=_version)
    routing_key: str | None
    values: dict[str, float] = field(converter=_values)
    observed_at: datetime = field(converter=to_utc)


@frozen
class PredictionRecord:
    """One logged model output. `acted` is False for a shadow output that nothing acted upon.

    `experiment_id` and `arm` are set together, for outputs made inside an experiment. `bucket` is the split
    bucket the routing key fell in and `features_hash` identifies the inputs, when the router records them.
    """

    id: str = field(validator=_non_empty)
    model_name: str = field(validator=_non_empty)
    version: int = field(validator=_version)
    experiment_id: str | None = field(validator=_optional_non_empty)
    arm: Arm | None = field(converter=_optional_arm)
    routing_key: str | None
    acted: bool = field(converter=_acted)
    outputs: dict[str, tuple[float, ...]] = field(converter=_outputs)
    latency_seconds: float = field(converter=_latency)
    at: datetime = field(converter=to_utc)
    bucket: float | None = field(default=None, converter=_bucket)
    features_hash: str | None = field(default=None, validator=_optional_non_empty)

    def __attrs_post_init__(self) -> None:
        if (self.experiment_id is None) != (self.arm is None):
            raise InvalidValueError("arm", self.arm, "set exactly when experiment_id is set")
