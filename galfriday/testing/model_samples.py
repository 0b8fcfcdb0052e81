"""Registrations of small real models for registry tests: an ONNX logistic pipeline with its evidence.

`sample_registration` exports a seeded scikit-learn pipeline (`onnx_models.logistic_pipeline`) and attaches
what a trainer would record: the holdout scores (computed on the last quarter of its data unless given), a
reference batch of holdout rows with the native model's probabilities, lineage and training details.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from galfriday.domain.model_metadata import ReferenceBatch, VersionMetadata
from galfriday.domain.promotion_gates import HoldoutMetrics
from galfriday.services.model_registry import Registration
from galfriday.testing.onnx_models import LogisticPipeline, logistic_pipeline

REFERENCE_ROWS = 16


def holdout_scores(pipeline: LogisticPipeline, holdout_id: str) -> HoldoutMetrics:
    """Brier, log loss and hit rate of the native model on the last quarter of its data."""
    start = len(pipeline.y) * 3 // 4
    p = pipeline.native.predict_proba(pipeline.x[start:])[:, 1]
    y = pipeline.y[start:]
    eps = 1e-15
    clipped = np.clip(p, eps, 1 - eps)
    return HoldoutMetrics(
        holdout_id=holdout_id,
        brier=float(np.mean((p - y) ** 2)),
        log_loss=float(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))),
        hit_rate=float(np.mean((p >= 0.5) == (y == 1))),
    )


def sample_registration(
    name: str = "btc-direction",
    *,
    seed: int = 7,
    holdout_id: str = "holdout-2026-11",
    holdout: HoldoutMetrics | None = None,
    expires_at: datetime | None = None,
    parent_version: int | None = None,
    n_features: int = 3,
    pipeline: LogisticPipeline | None = None,
    **metadata: Any,
) -> Registration:
    """A registration of a freshly fitted pipeline (see the module docstring); `metadata` overrides fields."""
    pipeline = pipeline or logistic_pipeline(n_features, seed=seed)
    start = len(pipeline.y) * 3 // 4
    rows = pipeline.x[start : start + REFERENCE_ROWS]
    reference = ReferenceBatch(
        inputs={spec.name: rows[:, i].tolist() for i, spec in enumerate(pipeline.features)},
        outputs=pipeline.native_probabilities(rows),
    )
    fields: dict[str, Any] = {
        "trained_at": datetime(2026, 11, 20, tzinfo=UTC),
        "data_window_start": datetime(2026, 8, 1, tzinfo=UTC),
        "data_window_end": datetime(2026, 11, 1, tzinfo=UTC),
        "data_fingerprint": f"sha256:{seed:064x}"[-64:],
        "hyperparameters": {"C": 1.0, "seed": seed},
        "metrics": {"holdout": {"rows": len(pipeline.y) - start}},
        "feature_importance": {
            spec.name: round(abs(float(w)), 6)
            for spec, w in zip(pipeline.features, pipeline.native.steps[-1][1].coef_[0], strict=True)
        },
        "code_version": "galfriday-tests",
        "holdout": holdout or holdout_scores(pipeline, holdout_id),
        "reference": reference,
        "expires_at": expires_at,
    }
    fields.update(metadata)
    assert math.isfinite(fields["holdout"].brier)
    return Registration(
        name=name,
        artifact=pipeline.artifact,
        features=pipeline.features,
        metadata=VersionMetadata(**fields),
        parent_version=parent_version,
    )


def register_arguments(registration: Registration, directory: Path, stem: str) -> list[str]:
    """`registration` as files in `directory` (`<stem>.onnx`, `<stem>.json`), and the arguments naming them
    that `galfriday models register NAME` takes after the name (artifact, `--feature`s, `--metadata`)."""
    artifact = directory / f"{stem}.onnx"
    artifact.write_bytes(registration.artifact)
    metadata = directory / f"{stem}.json"
    metadata.write_text(json.dumps(registration.metadata.to_json()))
    features = [arg for spec in registration.features for arg in ("--feature", spec.name)]
    return [str(artifact), *features, "--metadata", str(metadata)]
