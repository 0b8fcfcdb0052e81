"""Routed, logged predictions against a raw onnxruntime `session.run` on the same model and input.

The model is a scikit-learn `StandardScaler` + `LogisticRegression` over 8 features, exported with skl2onnx
(`galfriday.testing.onnx_models.logistic_pipeline`; outputs `label` and `probabilities`), loaded once by
`OnnxModelRuntime` (1 intra-op thread). The baseline calls that runtime's own cached session:
`session.run(None, {"features": x})` with `x` the prepared float32 `[rows, 8]` array. The subjects get the
same `x` (the runtime takes a prepared array: a shape and dtype check, no copy) unless named `_columns`,
and are timed call by call in the same loop, in blocks that alternate which goes first:

- `onnx_runtime_predict` / `_columns`: `await runtime.predict(model, x)`, the model port alone (outputs are
  onnxruntime's arrays, flattened and made read-only), so the runtime adapter's share is visible;
- `prediction_serve`: `await service.predict(name, x, routing_key)` serving one version (no experiment);
- `prediction_split_repeated_keys`: the same under a 50/50 split experiment, the routing keys cycling through
  120 trading keys (3 accounts x 4 strategies x 10 symbols), so the routing table's key cache answers;
- `prediction_split_distinct_keys`: every call a new routing key (`decision-<i>`): each one is hashed (FNV-1a,
  in Python) and pushes another out of the cache, the worst case;
- `prediction_serve_columns` / `prediction_split_columns`: serve and split (distinct keys) given the port's
  form, one column per feature as one-float Python lists, which the runtime lays out into `x` itself;
- `routing_and_logging_serve` / `_split`: the service over a runtime that returns a precomputed prediction,
  against awaiting that runtime directly: the service's own per-request cost, inference and adapter aside
  (split with distinct keys);
- `prediction_shadow`: under a shadow experiment: control answers and the candidate (the same artifact as
  version 2) scores the request too, so it contains two inferences (no target: compare with 2x the baseline).

Every service prediction is appended to the `PredictionLog`; whenever a batch of 1,000 waits, and
after each block, the log is flushed (untimed, where the log's own scheduled flush would run), into
a store that counts the records and keeps none (holding a million records would make the garbage collector's
pauses, not the code, the subject; database writes are what the store benchmarks measure). The flush cost per
prediction (building the validated `PredictionRecord`s, which converts the outputs to floats) is printed as a
note. Batch of 256 rows: the same subjects on `x[:256]` (split with repeated and with distinct keys; the
columns as float32 numpy arrays); `inline_max_rows` is 256 so the batch runs on the calling thread like the
baseline (the default 32 sends it to a thread pool; that figure is reported too, without a target).

Targets (issue 6): at most 5 us of overhead per single-row prediction (p50 and mean), and at most 1.15x the
baseline for a 256-row batch. Means include every pause the machine imposed on the process during a call
(another process scheduled on the core): on a loaded machine they say more about the machine than the code.

    python benchmarks/bench_prediction.py [--quick] [--calls N] [--blocks N]
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import statistics
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import harness
import numpy as np

from galfriday.adapters.memory.clock import SystemClock
from galfriday.adapters.onnx.runtime import OnnxModelRuntime
from galfriday.domain.experiment_settings import ExperimentSettings
from galfriday.domain.experiments import Experiment, ExperimentMode, ExperimentStatus
from galfriday.domain.models import ModelVersion, Prediction
from galfriday.services.prediction import PredictionService
from galfriday.services.prediction_log import LoggedPrediction, PredictionLog
from galfriday.testing.onnx_models import INPUT, logistic_pipeline

FEATURES = 8
BATCH_ROWS = 256
OVERHEAD_TARGET_US = 5.0
BATCH_TARGET = 1.15
US = 1e6

Call = Callable[[int], Awaitable[Any]]


def model_version(name: str, version: int, artifact: bytes, features: Any) -> ModelVersion:
    return ModelVersion(
        name=name,
        version=version,
        artifact_uri=f"memory://{name}/{version}",
        artifact_sha256=hashlib.sha256(artifact).hexdigest(),
        created_at=datetime.now(UTC),
        features=features,
    )


def experiment(mode: ExperimentMode, name: str) -> Experiment:
    settings = ExperimentSettings.defaults(mode, "bench-seed", traffic_share=0.5)
    return Experiment(
        id=f"bench-{mode}",
        name=f"bench {mode}",
        mode=mode,
        status=ExperimentStatus.RUNNING,
        model_name=name,
        control_version=1,
        candidate_version=2,
        config=settings.to_config(),
        created_at=datetime.now(UTC),
    )


class _Predictions:
    def __init__(self) -> None:
        self.count = 0

    async def add_many(self, records: Any) -> int:
        added = len(list(records))
        self.count += added
        return added


class _CountingUnitOfWork:
    def __init__(self, predictions: _Predictions) -> None:
        self.predictions = predictions

    async def __aenter__(self) -> _CountingUnitOfWork:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        return None


class CountingStore:
    """The one piece of `Store` the prediction log uses, counting what it is given and keeping nothing."""

    def __init__(self) -> None:
        self.predictions = _Predictions()

    def unit_of_work(self) -> Any:
        return _CountingUnitOfWork(self.predictions)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


class AnsweringRuntime:
    """A runtime that answers every request with one precomputed prediction: what is left of a routed,
    logged prediction once inference costs nothing is the service's own routing and logging."""

    def __init__(self, answer: Prediction) -> None:
        self.answer = answer

    async def predict(self, model: ModelVersion, features: Any) -> Prediction:
        return self.answer


class Bench:
    """The runtime, log and services of one measurement, with the timing loop."""

    def __init__(self, runtime: OnnxModelRuntime, log: PredictionLog) -> None:
        self.runtime = runtime
        self.log = log
        self.flush_seconds = 0.0
        self.flushed = 0

    async def flush(self) -> None:
        waiting = self.log.waiting
        started = harness.clock()
        await self.log.flush()
        self.flush_seconds += harness.clock() - started
        self.flushed += waiting

    async def interleaved(
        self, subjects: dict[str, Call], *, calls: int, blocks: int
    ) -> dict[str, list[float]]:
        """Seconds of every call of every subject: `blocks` blocks of `calls` calls, the order rotating."""
        samples: dict[str, list[float]] = {name: [] for name in subjects}
        names = list(subjects)
        clock = harness.clock
        log, batch_size = self.log, self.log.batch_size
        for block in range(blocks):
            shift = block % len(names)
            for name in names[shift:] + names[:shift]:
                call, into = subjects[name], samples[name]
                base = block * calls
                for i in range(base, base + calls):
                    started = clock()
                    await call(i)
                    into.append(clock() - started)
                    if log.waiting >= batch_size:  # as the log's own scheduled flush would, but untimed
                        await self.flush()
                await self.flush()
        return samples


def record_cost(outputs: Any, count: int = 5_000) -> float:
    """Microseconds to turn one buffered prediction (`outputs` as the runtime gave them: read-only arrays) into a
    validated `PredictionRecord`."""
    row = LoggedPrediction(
        "p",
        "m",
        1,
        "exp",
        "control",
        "k",
        True,
        outputs,
        1e-6,
        datetime.now(UTC),
        42,
    )
    started = harness.clock()
    for _ in range(count):
        row.record()
    return (harness.clock() - started) / count * US


def add_figures(
    report: harness.Report,
    metric: str,
    ours: list[float],
    baseline: list[float],
    *,
    overhead_target: bool = False,
    ratio_target: float | None = None,
    baseline_name: str = "session_run",
) -> None:
    """p50 and mean latency (us) against the baseline's; the overhead (us) as its own figure when targeted."""
    for statistic, pick in (("p50", statistics.median), ("mean", statistics.fmean)):
        value, base = pick(ours) * US, pick(baseline) * US
        summary, base_summary = harness.Summary.of(ours), harness.Summary.of(baseline)
        detail = harness.latency_detail(summary, base_summary, scale=US, unit="us") + (
            f"; p99 {summary.p99 * US:.3g} us, baseline p99 {base_summary.p99 * US:.3g} us"
        )
        target = None if ratio_target is None else harness.Target("ratio", "<=", ratio_target)
        report.add(harness.figure(f"{metric}_{statistic}", value, "us", baseline_name, base, target, detail))
        if overhead_target:
            report.add(
                harness.figure(
                    f"{metric}_overhead_{statistic}",
                    value - base,
                    "us",
                    "session_run",
                    base,
                    harness.Target("value", "<=", OVERHEAD_TARGET_US, "us"),
                    "the prediction's latency minus the baseline's (ratio: overhead / baseline)",
                )
            )


TRADING_KEYS = tuple(
    f"account-{a}/{strategy}/{symbol}-USD"
    for a in range(3)
    for strategy in ("momentum", "mean-reversion", "breakout", "carry")
    for symbol in ("BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "DOT", "LTC", "LINK", "AVAX")
)
"""Routing keys as a trading system repeats them: 120 (account, strategy, symbol) triples."""


async def single_row(report: harness.Report, *, calls: int, blocks: int) -> None:
    pipeline = logistic_pipeline(n_features=FEATURES, rows=2_000)
    name = "bench-direction"
    control = model_version(name, 1, pipeline.artifact, pipeline.features)
    candidate = model_version(name, 2, pipeline.artifact, pipeline.features)
    runtime = OnnxModelRuntime(intra_op_threads=1, inter_op_threads=1)
    await runtime.load(control, pipeline.artifact)
    await runtime.load(candidate, pipeline.artifact)
    session_run = runtime.session(control).run

    x = np.ascontiguousarray(pipeline.x[:1], dtype=np.float32)
    feed = {INPUT: x}
    columns = {spec.name: [float(x[0, i])] for i, spec in enumerate(pipeline.features)}
    clock = SystemClock()
    log = PredictionLog(CountingStore(), clock)
    bench = Bench(runtime, log)
    serving = PredictionService(runtime, log, clock)
    serving.serve(control)
    split = PredictionService(runtime, log, clock)
    split.start_experiment(experiment(ExperimentMode.SPLIT, name), control, candidate)
    shadow = PredictionService(runtime, log, clock)
    shadow.start_experiment(experiment(ExperimentMode.SHADOW, name), control, candidate)
    distinct = [f"decision-{i}" for i in range(calls * blocks)]
    repeated = [TRADING_KEYS[i % len(TRADING_KEYS)] for i in range(calls * blocks)]

    expected = session_run(None, feed)[1].ravel().tolist()
    for given in (x, columns):
        answer = list((await serving.predict(name, given, distinct[0])).outputs["probabilities"])
        if not np.allclose(answer, expected, atol=1e-6):
            raise RuntimeError(f"service answered {answer}, session.run {expected}")

    async def raw(i: int) -> Any:
        return session_run(None, feed)

    answering: Any = AnsweringRuntime(await runtime.predict(control, x))
    own_serve = PredictionService(answering, log, clock)
    own_serve.serve(control)
    own_split = PredictionService(answering, log, clock)
    own_split.start_experiment(experiment(ExperimentMode.SPLIT, name), control, candidate)

    subjects: dict[str, Call] = {
        "session_run": raw,
        "answering_runtime": lambda i: answering.predict(control, x),
        "own_serve": lambda i: own_serve.predict(name, x, distinct[i]),
        "own_split": lambda i: own_split.predict(name, x, distinct[i]),
        "onnx_runtime_predict": lambda i: runtime.predict(control, x),
        "onnx_runtime_predict_columns": lambda i: runtime.predict(control, columns),
        "prediction_serve": lambda i: serving.predict(name, x, distinct[i]),
        "prediction_split_repeated_keys": lambda i: split.predict(name, x, repeated[i]),
        "prediction_split_distinct_keys": lambda i: split.predict(name, x, distinct[i]),
        "prediction_serve_columns": lambda i: serving.predict(name, columns, distinct[i]),
        "prediction_split_columns": lambda i: split.predict(name, columns, distinct[i]),
        "prediction_shadow": lambda i: shadow.predict(name, x, distinct[i]),
    }
    harness.progress(f"single row: warm-up, then {blocks} blocks of {calls:,} calls per subject")
    await bench.interleaved(subjects, calls=min(calls, 2_000), blocks=1)
    bench.flush_seconds = bench.flushed = 0
    harness.freeze_heap()
    samples = await bench.interleaved(subjects, calls=calls, blocks=blocks)
    gc.unfreeze()
    baseline = samples["session_run"]
    for subject in ("onnx_runtime_predict", "onnx_runtime_predict_columns"):
        add_figures(report, subject.replace("predict", "predict_single"), samples[subject], baseline)
    for subject in (
        "prediction_serve",
        "prediction_split_repeated_keys",
        "prediction_split_distinct_keys",
        "prediction_serve_columns",
        "prediction_split_columns",
    ):
        metric = subject.replace("_serve", "_serve_single").replace("_split", "_split_single")
        add_figures(report, metric, samples[subject], baseline, overhead_target=True)
    add_figures(report, "prediction_shadow_single", samples["prediction_shadow"], baseline)
    for subject in ("own_serve", "own_split"):
        add_figures(
            report,
            f"routing_and_logging_{subject.removeprefix('own_')}_single",
            samples[subject],
            samples["answering_runtime"],
            baseline_name="answering_runtime",
        )
    per_record = bench.flush_seconds / max(bench.flushed, 1) * US
    report.note(
        f"single row: {len(baseline):,} calls per subject; log flush (building validated records, off the "
        f"request path): {per_record:.2f} us per logged prediction over {bench.flushed:,} "
        f"({record_cost(answering.answer.outputs):.2f} us when timed alone); dropped {log.dropped}"
    )
    await runtime.close()


async def batch(report: harness.Report, *, calls: int, blocks: int) -> None:
    pipeline = logistic_pipeline(n_features=FEATURES, rows=2_000)
    name = "bench-direction"
    control = model_version(name, 1, pipeline.artifact, pipeline.features)
    candidate = model_version(name, 2, pipeline.artifact, pipeline.features)
    inline = OnnxModelRuntime(intra_op_threads=1, inter_op_threads=1, inline_max_rows=BATCH_ROWS)
    pooled = OnnxModelRuntime(intra_op_threads=1, inter_op_threads=1)
    for runtime in (inline, pooled):
        await runtime.load(control, pipeline.artifact)
        await runtime.load(candidate, pipeline.artifact)
    session_run = inline.session(control).run

    x = np.ascontiguousarray(pipeline.x[:BATCH_ROWS], dtype=np.float32)
    feed = {INPUT: x}
    columns = {spec.name: np.ascontiguousarray(x[:, i]) for i, spec in enumerate(pipeline.features)}
    clock = SystemClock()
    log = PredictionLog(CountingStore(), clock)
    bench = Bench(inline, log)
    split = PredictionService(inline, log, clock)
    split.start_experiment(experiment(ExperimentMode.SPLIT, name), control, candidate)
    pooled_split = PredictionService(pooled, log, clock)
    pooled_split.start_experiment(experiment(ExperimentMode.SPLIT, name), control, candidate)
    distinct = [f"batch-{i}" for i in range(calls * blocks)]
    repeated = [TRADING_KEYS[i % len(TRADING_KEYS)] for i in range(calls * blocks)]

    expected = session_run(None, feed)[1].ravel()
    for given in (x, columns):
        answer = np.asarray((await split.predict(name, given, distinct[0])).outputs["probabilities"])
        if not np.allclose(answer, expected, atol=1e-6):
            raise RuntimeError("the service's batch answer differs from session.run's")

    async def raw(i: int) -> Any:
        return session_run(None, feed)

    subjects: dict[str, Call] = {
        "session_run": raw,
        "onnx_runtime_predict": lambda i: inline.predict(control, x),
        "onnx_runtime_predict_columns": lambda i: inline.predict(control, columns),
        "prediction_split_repeated_keys": lambda i: split.predict(name, x, repeated[i]),
        "prediction_split_distinct_keys": lambda i: split.predict(name, x, distinct[i]),
        "prediction_split_columns": lambda i: split.predict(name, columns, distinct[i]),
        "prediction_split_thread_pool": lambda i: pooled_split.predict(name, x, distinct[i]),
    }
    harness.progress(f"batch of {BATCH_ROWS}: warm-up, then {blocks} blocks of {calls:,} calls per subject")
    await bench.interleaved(subjects, calls=min(calls, 200), blocks=1)
    bench.flush_seconds = bench.flushed = 0
    harness.freeze_heap()
    samples = await bench.interleaved(subjects, calls=calls, blocks=blocks)
    gc.unfreeze()
    baseline = samples["session_run"]
    rows = f"batch{BATCH_ROWS}"
    for subject in ("onnx_runtime_predict", "onnx_runtime_predict_columns"):
        add_figures(report, subject.replace("predict", f"predict_{rows}"), samples[subject], baseline)
    for subject in (
        "prediction_split_repeated_keys",
        "prediction_split_distinct_keys",
        "prediction_split_columns",
    ):
        metric = subject.replace("_split", f"_split_{rows}")
        add_figures(report, metric, samples[subject], baseline, ratio_target=BATCH_TARGET)
    add_figures(
        report,
        f"prediction_split_{rows}_thread_pool",
        samples["prediction_split_thread_pool"],
        baseline,
    )
    per_record = bench.flush_seconds / max(bench.flushed, 1) * US
    report.note(
        f"batch: {len(baseline):,} calls of {BATCH_ROWS} rows per subject; one logged prediction per call (its "
        f"outputs hold every row); log flush {per_record:.1f} us per logged batch prediction"
    )
    for runtime in (inline, pooled):
        await runtime.close()


def main() -> None:
    parser = harness.arguments(__doc__.splitlines()[0], seeded=False)
    parser.add_argument("--calls", type=int, help="calls per subject per block (single row; batch: a tenth)")
    parser.add_argument("--blocks", type=int, help="blocks per subject")
    args = parser.parse_args()
    calls = args.calls or (500 if args.quick else 20_000)
    blocks = args.blocks or (2 if args.quick else 10)
    report = harness.Report(
        f"prediction routing and logging vs a raw onnxruntime session.run (logistic pipeline, {FEATURES} "
        f"features, 1 intra-op thread); latencies in us; Python {sys.version.split()[0]}"
    )
    asyncio.run(single_row(report, calls=calls, blocks=blocks))
    asyncio.run(batch(report, calls=max(calls // 10, 50), blocks=blocks))
    report.emit()


if __name__ == "__main__":
    sys.exit(harness.run(main))
