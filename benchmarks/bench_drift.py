"""Drift report cost: the pure-Python per-feature drift of `galfriday.domain.drift` against numpy/scipy.

The domain computes drift in the standard library only (it must not import numpy), so this measures what
that costs against the vectorised computation of the same statistics on the same data, in the same run:

- `drift_psi_window_p50`: `feature_drift(reference, window)` on a window of 10,000 rows x 7 features (the PSI
  path) against numpy: `searchsorted` into the same decile edges, `bincount`, the PSI sum, per feature;
- `drift_ks_window_p50`: the same on a 400-row window (the KS path, exact p-values) against
  `scipy.stats.ks_2samp` of the same reference sample and window, per feature;
- `training_reference_p50`: `TrainingReference.from_columns` of 20,000 training rows x 7 features (deciles,
  shares and the 1,000-value KS sample) against `numpy.quantile` + `searchsorted` + `bincount` + the sample.

Targets: a report fits a monitoring job that runs every few minutes: under 250 ms for each window.

    python benchmarks/bench_drift.py [--quick] [--repeats N]
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import harness
import numpy as np
from scipy import stats

from galfriday.domain.drift.psi import PSI_EPSILON
from galfriday.domain.drift.reference import TrainingReference
from galfriday.domain.drift.report import feature_drift

FEATURES = ("ret_1", "ret_5", "ret_20", "vol_20", "range_1", "close_pos", "volume_z_20")
TRAINING_ROWS = 20_000
PSI_ROWS = 10_000
KS_ROWS = 400


def numpy_psi(edges: np.ndarray, expected: np.ndarray, window: np.ndarray) -> float:
    actual = np.bincount(np.searchsorted(edges, window, side="right"), minlength=len(edges) + 1) / len(window)
    e = np.where(expected == 0, PSI_EPSILON, expected)
    a = np.where(actual == 0, PSI_EPSILON, actual)
    return float(np.sum((a - e) * np.log(a / e)))


def numpy_reference(columns: dict[str, np.ndarray]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    built = []
    for values in columns.values():
        edges = np.unique(np.quantile(values, np.arange(1, 10) / 10))
        shares = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1) / len(
            values
        )
        ordered = np.sort(values)
        sample = ordered[np.round(np.arange(1_000) * (len(values) - 1) / 999).astype(int)]
        built.append((edges, shares, sample))
    return built


def timed_pair(
    ours: Callable[[], object], theirs: Callable[[], object], repeats: int
) -> tuple[harness.Summary, harness.Summary]:
    """Alternate the two callables `repeats` times (each warmed up once); seconds per call."""
    mine: list[float] = []
    base: list[float] = []
    ours(), theirs()
    for _ in range(repeats):
        for run, into in ((ours, mine), (theirs, base)):
            start = harness.clock()
            run()
            into.append(harness.clock() - start)
    return harness.Summary.of(mine), harness.Summary.of(base)


def main() -> None:
    parser = harness.arguments(__doc__ or "")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats of each figure")
    args = parser.parse_args()
    repeats = args.repeats or (5 if args.quick else 30)
    rng = np.random.default_rng(args.seed)
    training = {name: rng.normal(size=TRAINING_ROWS) for name in FEATURES}
    training_lists = {name: values.tolist() for name, values in training.items()}
    reference = TrainingReference.from_columns(training_lists)
    arrays = numpy_reference(training)
    report = harness.Report("drift report: pure-Python domain vs numpy/scipy, same data")
    target = harness.Target.value_below(250, "ms")

    big = {name: (rng.normal(size=PSI_ROWS) + 0.1).tolist() for name in FEATURES}
    big_arrays = [np.asarray(big[name]) for name in FEATURES]
    mine, theirs = timed_pair(
        lambda: feature_drift(reference, big),
        lambda: [numpy_psi(e, s, w) for (e, s, _), w in zip(arrays, big_arrays, strict=True)],
        repeats,
    )
    report.add(
        harness.figure(
            "drift_psi_window_p50",
            mine.p50 * 1e3,
            "ms",
            "numpy_psi",
            theirs.p50 * 1e3,
            target,
            harness.latency_detail(mine, theirs),
        )
    )

    small = {name: (rng.normal(size=KS_ROWS) + 0.1).tolist() for name in FEATURES}
    mine, theirs = timed_pair(
        lambda: feature_drift(reference, small),
        lambda: [stats.ks_2samp(s, small[name]) for (_, _, s), name in zip(arrays, FEATURES, strict=True)],
        repeats,
    )
    report.add(
        harness.figure(
            "drift_ks_window_p50",
            mine.p50 * 1e3,
            "ms",
            "scipy_ks_2samp",
            theirs.p50 * 1e3,
            target,
            harness.latency_detail(mine, theirs),
        )
    )

    mine, theirs = timed_pair(
        lambda: TrainingReference.from_columns(training_lists),
        lambda: numpy_reference(training),
        max(3, repeats // 3),
    )
    report.add(
        harness.figure(
            "training_reference_p50",
            mine.p50 * 1e3,
            "ms",
            "numpy_quantile",
            theirs.p50 * 1e3,
            None,
            harness.latency_detail(mine, theirs),
        )
    )
    report.note(
        f"{len(FEATURES)} features; training {TRAINING_ROWS:,} rows; PSI window {PSI_ROWS:,}; KS window {KS_ROWS}; "
        f"{repeats} repeats; Python {sys.version.split()[0]}"
    )
    report.emit()


if __name__ == "__main__":
    sys.exit(harness.run(main))
