"""Serve predictions: route each request to an arm, run it through the model runtime, log every output.

Outside an experiment a model name is served by one version. In a `shadow` experiment the control version
serves every request (its output is returned and acted on) and the candidate scores the same request right
after; the candidate's output is logged with `acted=False` under the id `<acted id>/shadow` and never
returned, and a candidate failure never reaches the caller. In a `split` experiment the routing key's bucket
picks the one version that serves. The routing key defaults to the prediction id (a fresh key per request).

The per-request work is kept small, since it sits between a decision and its order: routing is precomputed per
experiment (`RoutingTable`, hashing with the compiled FNV-1a of `routing_hash` when installed, and remembering
the buckets of recent caller-given routing keys: trading keys repeat), prediction ids are a per-process random
prefix and a counter, and logging is a list append of a plain tuple (`PredictionLog` validates and writes in
batches, off this path).
"""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from galfriday.domain.experiment_evidence import shadow_prediction_id
from galfriday.domain.experiment_settings import ExperimentSettings, routing
from galfriday.domain.experiments import Experiment, ExperimentStatus
from galfriday.domain.models import ModelVersion
from galfriday.domain.routing_table import RoutingTable
from galfriday.errors import InvalidValueError, ModelError
from galfriday.ports.clock import Clock
from galfriday.ports.models import ModelRuntime
from galfriday.services.prediction_log import LoggedPrediction, PredictionLog
from galfriday.services.routing_hash import FAST_FNV1A32

log = logging.getLogger(__name__)

CONTROL = "control"
CANDIDATE = "candidate"


class Served(NamedTuple):
    """What the caller acts on: the acted prediction's id (to report its outcome), outputs, version and arm."""

    prediction_id: str
    outputs: Mapping[str, Any]
    model_name: str
    version: int
    arm: str | None = None
    experiment_id: str | None = None


class _Route:
    """How one model name is served right now (built once per change, read on every request)."""

    __slots__ = ("arms", "candidate", "control", "experiment_id", "shadow", "split", "table")

    def __init__(
        self,
        control: ModelVersion,
        candidate: ModelVersion | None = None,
        experiment_id: str | None = None,
        table: RoutingTable | None = None,
    ) -> None:
        self.control = control
        self.candidate = candidate
        self.experiment_id = experiment_id
        self.table = table
        self.shadow = table is not None and table.shadow
        self.split = table is not None and not table.shadow
        self.arms: tuple[tuple[ModelVersion, str], ...] = ((control, CONTROL),)
        if candidate is not None:
            self.arms += ((candidate, CANDIDATE),)


class PredictionService:
    """Routes, runs and logs predictions for every model name it serves."""

    def __init__(self, runtime: ModelRuntime, prediction_log: PredictionLog, clock: Clock) -> None:
        self._runtime = runtime
        self._now = clock.now
        self._append = prediction_log.append
        self._routes: dict[str, _Route] = {}
        self._prefix = f"{secrets.token_hex(6)}-"
        self._counter = itertools.count(1)
        self.shadow_failures = 0
        """Candidate inferences that failed in shadow mode (the caller was served by control regardless)."""

    # --- what is served ------------------------------------------------------------------------------------

    def serve(self, model: ModelVersion) -> None:
        """Serve every request for `model.name` with this version (ending any experiment on that name)."""
        self._routes[model.name] = _Route(model)

    def start_experiment(
        self, experiment: Experiment, control: ModelVersion, candidate: ModelVersion
    ) -> None:
        """Route `experiment.model_name` by the experiment: shadow or split between control and candidate."""
        if experiment.status is not ExperimentStatus.RUNNING:
            raise InvalidValueError("experiment status", experiment.status, "a running experiment")
        for arm, model, version in (
            (CONTROL, control, experiment.control_version),
            (CANDIDATE, candidate, experiment.candidate_version),
        ):
            if model.name != experiment.model_name or model.version != version:
                raise InvalidValueError(
                    f"{arm} model",
                    model.key,
                    f"({experiment.model_name!r}, {version}) as the experiment says",
                )
        table = RoutingTable(
            routing(experiment, ExperimentSettings.from_config(experiment.config)), fnv1a32=FAST_FNV1A32
        )
        self._routes[experiment.model_name] = _Route(control, candidate, experiment.id, table)

    def end_experiment(self, model_name: str, serve: ModelVersion) -> None:
        """Stop routing `model_name` by its experiment and serve `serve` (the winner) alone."""
        if model_name not in self._routes:
            raise InvalidValueError("model_name", model_name, f"a served model among {sorted(self._routes)}")
        self.serve(serve)

    def experiment_of(self, model_name: str) -> str | None:
        """The id of the experiment routing `model_name`, if any."""
        route = self._routes.get(model_name)
        return None if route is None else route.experiment_id

    # --- serving ----------------------------------------------------------------------------------------------

    async def predict(
        self, model_name: str, features: Mapping[str, Sequence[float]] | Any, routing_key: str | None = None
    ) -> Served:
        """Route, infer and log one request; return what the caller may act on.

        `features` goes to the runtime unchanged, so it is whatever the runtime accepts (for the port, one
        column per feature). The runtime's errors propagate for the acted arm only.
        """
        try:
            route = self._routes[model_name]
        except KeyError:
            raise ModelError(
                f"no version of {model_name!r} is served; serve() one or start an experiment on it"
            ) from None
        prediction_id = f"{self._prefix}{next(self._counter)}"
        bucket = None
        arm = None
        model = route.control
        table = route.table
        if table is not None:
            if route.split:
                if routing_key is None:  # a fresh key that never repeats: not worth a cache entry
                    routing_key = prediction_id
                    bucket = table.bucket_index(routing_key)
                else:
                    bucket = table.cached_bucket_index(routing_key)
                model, arm = route.arms[table.split_position(bucket)]
            else:
                if routing_key is None:
                    routing_key = prediction_id
                arm = CONTROL
        prediction = await self._runtime.predict(model, features)
        self._append(
            LoggedPrediction(
                prediction_id,
                model_name,
                model.version,
                route.experiment_id,
                arm,
                routing_key,
                True,
                prediction.outputs,
                prediction.latency_seconds,
                self._now(),
                bucket,
            )
        )
        if route.shadow:
            await self._shadow(route, prediction_id, routing_key, features)
        return Served(prediction_id, prediction.outputs, model_name, model.version, arm, route.experiment_id)

    async def _shadow(self, route: _Route, acted_id: str, routing_key: str | None, features: Any) -> None:
        candidate = route.candidate
        assert candidate is not None  # a shadow route always has one
        try:
            prediction = await self._runtime.predict(candidate, features)
        except Exception:
            self.shadow_failures += 1
            log.warning("shadow candidate %s v%d failed", candidate.name, candidate.version, exc_info=True)
            return
        self._append(
            LoggedPrediction(
                shadow_prediction_id(acted_id),
                candidate.name,
                candidate.version,
                route.experiment_id,
                CANDIDATE,
                routing_key,
                False,
                prediction.outputs,
                prediction.latency_seconds,
                self._now(),
                None,
            )
        )
