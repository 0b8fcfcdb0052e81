"""VersionMetadata: the typed reading of a version's metadata document, and the feature schema hash."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from galfriday.domain.model_metadata import ReferenceBatch, VersionMetadata, schema_hash
from galfriday.domain.models import FeatureSpec
from galfriday.domain.promotion_gates import HoldoutMetrics
from galfriday.errors import InvalidValueError

FULL = VersionMetadata(
    trained_at=datetime(2026, 11, 20, tzinfo=UTC),
    data_window_start=datetime(2026, 8, 1, tzinfo=UTC),
    data_window_end=datetime(2026, 11, 1, tzinfo=UTC),
    data_fingerprint="ab" * 32,
    hyperparameters={"C": 0.5},
    metrics={"holdout": {"brier": 0.21}},
    feature_importance={"rsi": 0.7},
    code_version="1.2.3",
    training_run_id="run-9",
    artifact_format="onnx",
    onnx_ir_version=8,
    onnx_opset=17,
    schema_hash="cd" * 32,
    holdout=HoldoutMetrics("h1", 0.21, 0.6, 0.57),
    reference=ReferenceBatch({"rsi": [0.1, 0.2]}, [[0.4, 0.6], [0.3, 0.7]]),
    probability_output="probabilities",
    expires_at=datetime(2026, 12, 1, tzinfo=UTC),
    registered_by="alice",
    registration_reason="weekly",
    extra={"team": "quant"},
)


def test_metadata_survives_a_json_round_trip() -> None:
    document = json.loads(json.dumps(FULL.to_json()))
    assert VersionMetadata.from_json(document) == FULL


def test_keys_it_does_not_know_are_kept_in_extra() -> None:
    metadata = VersionMetadata.from_json({"trainer": "memory", "code_version": "x"})
    assert metadata.extra == {"trainer": "memory"}
    assert metadata.to_json() == {"trainer": "memory", "code_version": "x"}


def test_an_empty_document_reads_as_no_metadata() -> None:
    assert VersionMetadata.from_json({}) == VersionMetadata()


def test_instants_are_read_back_in_utc() -> None:
    metadata = VersionMetadata.from_json({"expires_at": "2026-12-01T05:45:00+05:45"})
    assert metadata.expires_at == datetime(2026, 12, 1, tzinfo=UTC)
    assert metadata.expires_at.utcoffset() == timedelta(0)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(InvalidValueError):
        VersionMetadata.from_json({"expires_at": "2026-12-01T00:00:00"})


def test_a_data_window_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="data_window_end"):
        VersionMetadata(
            data_window_start=datetime(2026, 2, 1, tzinfo=UTC),
            data_window_end=datetime(2026, 1, 1, tzinfo=UTC),
        )


def test_values_that_are_not_json_are_refused_with_their_path() -> None:
    with pytest.raises(InvalidValueError, match="C"):
        VersionMetadata(hyperparameters={"C": float("nan")})


def test_a_version_expires_at_its_instant_not_before() -> None:
    metadata = VersionMetadata(expires_at=datetime(2026, 12, 1, tzinfo=UTC))
    assert not metadata.expired(datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    assert metadata.expired(datetime(2026, 12, 1, tzinfo=timezone(timedelta(0))))


def test_a_version_without_expiry_never_expires() -> None:
    assert not VersionMetadata().expired(datetime(2100, 1, 1, tzinfo=UTC))


def test_a_reference_batch_needs_one_output_row_per_input_row() -> None:
    with pytest.raises(InvalidValueError, match="reference"):
        ReferenceBatch({"rsi": [0.1, 0.2]}, [[0.4, 0.6]])


def test_reference_columns_must_have_equal_lengths() -> None:
    with pytest.raises(InvalidValueError, match="reference"):
        ReferenceBatch({"rsi": [0.1, 0.2], "spread": [0.1]}, [[0.4, 0.6], [0.5, 0.5]])


def test_holdout_scores_without_a_field_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="holdout"):
        VersionMetadata.from_json({"holdout": {"holdout_id": "h1", "brier": 0.2}})


def test_the_schema_hash_depends_on_names_dtypes_and_order() -> None:
    a, b = FeatureSpec("a"), FeatureSpec("b")
    assert schema_hash([a, b]) == schema_hash([FeatureSpec("a"), FeatureSpec("b")])
    assert schema_hash([a, b]) != schema_hash([b, a])
    assert schema_hash([a]) != schema_hash([FeatureSpec("a", "float64")])
