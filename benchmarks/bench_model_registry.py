"""Model registry operations (register, promote, rollback) against the bare store writes they make.

On SQLite (a file in a temporary directory) and, when a server is reachable, Postgres (a scratch database),
with the real ONNX runtime and a filesystem artifact store:

- `registry_register`: `ModelRegistry.register` of a 3-feature scaler + logistic pipeline: the artifact checked
  by onnxruntime (a session built), written atomically with fsync, the version and its stage record committed.
  Baseline: `uow.models.register` + `set_stage` + commit of the same row in a bare unit of work.
- `registry_promote`: `ModelRegistry.promote` of a better candidate: every gate (artifact fetched and verified,
  loaded, reference batch run twice, 200 single-row latency samples), then the stage and alias moves in one
  unit of work. Baseline: the same three stage moves and two alias moves in a bare unit of work.
- `registry_rollback`: `ModelRegistry.rollback`: reads, the target's artifact fetched, verified and loaded
  (cached), then the moves in one unit of work. Baseline: the same moves in a bare unit of work.

Reported: p50 (and p99) latency in milliseconds and the ratio to the baseline; no target but to report them
(issue 6, section 9; the design asks rollback < 1 s).

    python benchmarks/bench_model_registry.py [--quick] [--dsn postgresql://...] [--versions N]
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import harness

from galfriday.adapters.filesystem.artifacts import FilesystemArtifactStore
from galfriday.adapters.memory.clock import SystemClock
from galfriday.adapters.onnx.runtime import OnnxModelRuntime
from galfriday.adapters.postgres.store import PostgresStore
from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.domain.models import ModelStage, ModelVersion
from galfriday.domain.promotion_gates import GatePolicy, HoldoutMetrics
from galfriday.ports.stores import Store
from galfriday.services.model_registry import ModelRegistry, Registration
from galfriday.testing.model_samples import sample_registration
from galfriday.testing.onnx_models import logistic_pipeline

NAME = "bench-direction"
BASELINE = "bench-baseline"


def registrations(count: int) -> list[Registration]:
    """Distinct pipelines, each scoring a little better than the one before on the same holdout."""
    return [
        sample_registration(
            NAME,
            pipeline=logistic_pipeline(3, seed=seed, rows=200),
            holdout=HoldoutMetrics("bench-holdout", 0.24 - 0.002 * seed, 0.6, 0.6),
        )
        for seed in range(count)
    ]


async def bare_register(store: Store, registration: Registration, uri: str, sha256: str) -> None:
    async with store.unit_of_work() as uow:
        model = await uow.models.register(
            name=BASELINE,
            artifact_uri=uri,
            artifact_sha256=sha256,
            created_at=SystemClock().now(),
            features=registration.features,
            metadata=registration.metadata.to_json(),
        )
        await uow.models.set_stage(BASELINE, model.version, ModelStage.DEVELOPMENT, actor="bench", reason="r")
        await uow.commit()


async def bare_moves(
    store: Store, stages: Sequence[tuple[int, ModelStage]], aliases: Sequence[tuple[str, int]]
) -> None:
    now = SystemClock().now()
    async with store.unit_of_work() as uow:
        for version, stage in stages:
            await uow.models.set_stage(BASELINE, version, stage, actor="bench", reason="r", at=now)
        for alias, version in aliases:
            await uow.models.set_alias(BASELINE, alias, version, at=now, actor="bench", reason="r")
        await uow.commit()


async def timed(call: Callable[[], Awaitable[Any]], into: list[float]) -> None:
    into.append(await harness.timed(call))


async def measure_store(label: str, store: Store, artifact_dir: Path, versions: int) -> list[harness.Figure]:
    runtime = OnnxModelRuntime()
    # the latency gate still runs its 200 samples; a noisy machine must not make the benchmark fail
    policy = GatePolicy(max_p99_seconds=1.0)
    registry = ModelRegistry(
        store, FilesystemArtifactStore(artifact_dir), runtime, SystemClock(), policy=policy
    )
    prepared = registrations(versions)
    register_s: list[float] = []
    register_base: list[float] = []
    for registration in prepared:  # alternate the subject and its baseline, write for write
        await timed(lambda r=registration: registry.register(r, actor="bench", reason="r"), register_s)
        model = await registry.get(NAME, len(register_s))
        await timed(
            lambda r=registration, m=model: bare_register(store, r, m.artifact_uri, m.artifact_sha256),
            register_base,
        )
    promote_s: list[float] = []
    promote_base: list[float] = []
    for number in range(1, versions + 1):
        await timed(lambda n=number: registry.promote(NAME, n, actor="bench", reason="better"), promote_s)
        stages = [(number, ModelStage.STAGING), (number, ModelStage.PRODUCTION)]
        if number > 1:
            stages.append((number - 1, ModelStage.ARCHIVED))
        await timed(
            lambda s=stages, n=number: bare_moves(store, s, [("production", n), ("champion", n)]),
            promote_base,
        )
    rollback_s: list[float] = []
    rollback_base: list[float] = []
    for current in range(versions, 1, -1):
        await timed(lambda: registry.rollback(NAME, actor="bench", reason="back"), rollback_s)
        moves = [(current, ModelStage.ARCHIVED), (current - 1, ModelStage.PRODUCTION)]
        aliases = [("production", current - 1), ("champion", current - 1)]
        await timed(lambda m=moves, a=aliases: bare_moves(store, m, a), rollback_base)
    await runtime.close()
    figures = []
    for metric, ours, base, baseline in (
        ("register", register_s, register_base, "store_register_set_stage"),
        ("promote", promote_s, promote_base, "store_stage_and_alias_moves"),
        ("rollback", rollback_s, rollback_base, "store_stage_and_alias_moves"),
    ):
        mine, theirs = harness.Summary.of(ours), harness.Summary.of(base)
        detail = harness.latency_detail(mine, theirs) + f"; p99 {mine.p99 * 1e3:.3g} ms"
        figures.append(
            harness.figure(
                f"registry_{metric}_{label}_p50",
                mine.p50 * 1e3,
                "ms",
                baseline,
                theirs.p50 * 1e3,
                detail=detail,
            )
        )
    return figures


async def single_row_overhead(samples: int) -> harness.Figure:
    """`OnnxModelRuntime.run_sync` of one row (mapping in, floats out) against `session.run` of a ready array."""
    runtime = OnnxModelRuntime()
    pipeline = logistic_pipeline(3, seed=1)
    registration = sample_registration(NAME, pipeline=pipeline)
    model = ModelVersion(
        NAME, 1, "memory://x/1/y", "0" * 64, SystemClock().now(), features=registration.features
    )
    await runtime.load(model, pipeline.artifact)
    session = runtime.session(model)
    row = {"f0": [0.25], "f1": [-1.5], "f2": [3.0]}
    array = pipeline.x[:1].copy()
    run_sync, run = runtime.run_sync, session.run
    ours: list[float] = []
    raw: list[float] = []
    clock = time.perf_counter
    for _ in range(samples // 1000):
        for _ in range(1000):  # interleaved blocks: both sides see the same machine load
            start = clock()
            run_sync(model, row)
            ours.append(clock() - start)
        for _ in range(1000):
            start = clock()
            run(None, {"features": array})
            raw.append(clock() - start)
    await runtime.close()
    mine, theirs = harness.Summary.of(ours), harness.Summary.of(raw)
    detail = (
        harness.latency_detail(mine, theirs, 1e6, "µs")
        + f"; overhead p50 {(mine.p50 - theirs.p50) * 1e6:.2f} µs"
    )
    return harness.figure(
        "onnx_run_sync_single_row_p50", mine.p50 * 1e6, "µs", "session_run", theirs.p50 * 1e6, detail=detail
    )


@contextlib.contextmanager
def postgres_database(admin: str) -> Iterator[str | None]:
    try:
        import psycopg

        with psycopg.connect(admin, connect_timeout=3):
            pass
    except Exception as exc:
        harness.progress(f"Postgres not reachable ({type(exc).__name__}); measuring SQLite only")
        yield None
        return
    with harness.scratch_database(admin, "registry") as dsn:
        yield dsn


async def measure(versions: int, samples: int, pg_dsn: str | None) -> harness.Report:
    report = harness.Report("model registry: register, promote, rollback (p50 ms) and single-row inference")
    with tempfile.TemporaryDirectory() as scratch:
        sqlite = SqliteStore(Path(scratch) / "registry.db", slow_query_ms=harness.QUIET_MS)
        await sqlite.start()
        try:
            harness.progress(f"SQLite: {versions} versions")
            for entry in await measure_store("sqlite", sqlite, Path(scratch) / "sqlite-artifacts", versions):
                report.add(entry)
        finally:
            await sqlite.close()
        if pg_dsn is not None:
            postgres = PostgresStore(pg_dsn, slow_query_ms=harness.QUIET_MS)
            await postgres.start()
            try:
                harness.progress(f"Postgres: {versions} versions")
                for entry in await measure_store(
                    "postgres", postgres, Path(scratch) / "pg-artifacts", versions
                ):
                    report.add(entry)
            finally:
                await postgres.close()
    harness.progress(f"single-row inference: {samples} samples each")
    report.add(await single_row_overhead(samples))
    report.note(f"{versions} versions per store; promote runs every gate (200 single-row latency samples)")
    return report


def main(argv: Sequence[str] | None = None) -> None:
    parser = harness.arguments(__doc__.splitlines()[0], seeded=False)
    parser.add_argument(
        "--versions", type=int, help="versions registered, promoted and rolled back (default 30)"
    )
    args = parser.parse_args(argv)
    versions = max(3, args.versions or (6 if args.quick else 30))
    samples = 5_000 if args.quick else 50_000
    with postgres_database(harness.admin_dsn(args.dsn)) as dsn:
        report = asyncio.run(measure(versions, samples, dsn))
    report.emit()


if __name__ == "__main__":
    sys.exit(harness.run(main))
