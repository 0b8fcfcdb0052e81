"""Specification of model versions, stages and the other values the model ports speak."""

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from galfriday.domain.models import (
    FeatureSpec,
    ModelAliasChange,
    ModelStage,
    ModelVersion,
    TrainedModel,
    TrainingRequest,
)
from galfriday.errors import InvalidValueError, NaiveDatetimeError

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SHA = hashlib.sha256(b"model bytes").hexdigest()


def version(**overrides: Any) -> ModelVersion:
    values: dict[str, Any] = {
        "name": "momentum",
        "version": 1,
        "artifact_uri": "file:///models/momentum/1.onnx",
        "artifact_sha256": SHA,
        "created_at": T0,
    }
    values.update(overrides)
    return ModelVersion(**values)


# --- sha256 ---------------------------------------------------------------------------------------------


def test_a_lower_case_hex_sha256_is_accepted() -> None:
    assert version().artifact_sha256 == SHA


@pytest.mark.parametrize(
    "digest",
    [
        SHA.upper(),
        SHA[:-1],
        SHA + "0",
        "g" * 64,
        "",
        SHA + "\n",
        " " + SHA,
        "sha256:" + SHA,
    ],
    ids=["upper", "short", "long", "not-hex", "empty", "trailing-newline", "leading-space", "prefixed"],
)
def test_a_malformed_sha256_is_refused_with_the_expected_form(digest: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        version(artifact_sha256=digest)

    assert caught.value.field == "artifact_sha256"
    assert caught.value.value == digest
    assert caught.value.expected == "64 lower-case hex digits"


@pytest.mark.parametrize("digest", [None, b"0" * 64, 123])
def test_a_sha256_that_is_not_a_string_is_refused(digest: object) -> None:
    with pytest.raises(InvalidValueError, match="artifact_sha256"):
        version(artifact_sha256=digest)


# --- stages ---------------------------------------------------------------------------------------------


def test_the_stages_are_development_staging_production_and_archived() -> None:
    assert [stage.value for stage in ModelStage] == ["development", "staging", "production", "archived"]


def test_a_new_version_is_in_development() -> None:
    assert version().stage is ModelStage.DEVELOPMENT


@pytest.mark.parametrize("stage", ["development", "staging", "production", "archived"])
def test_a_stage_is_accepted_from_its_wire_string(stage: str) -> None:
    assert version(stage=stage).stage is ModelStage(stage)


@pytest.mark.parametrize("stage", ["prod", "Production", "shadow", ""])
def test_an_unknown_stage_is_refused(stage: str) -> None:
    with pytest.raises(ValueError, match="ModelStage"):
        version(stage=stage)


# --- versions -------------------------------------------------------------------------------------------


def test_a_version_is_keyed_by_name_and_number() -> None:
    assert version(name="momentum", version=3).key == ("momentum", 3)


def test_a_naive_creation_time_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        version(created_at=datetime(2024, 1, 1))


def test_the_creation_time_is_normalised_to_utc() -> None:
    created = version(created_at=datetime(2024, 1, 1, 3, tzinfo=timezone(timedelta(hours=3)))).created_at

    assert created == T0
    assert created.tzinfo is UTC


def test_features_become_an_immutable_tuple_in_order() -> None:
    features = [FeatureSpec("return_1m"), FeatureSpec("volume_z", "float64")]

    assert version(features=features).features == (
        FeatureSpec("return_1m", "float32"),
        FeatureSpec("volume_z", "float64"),
    )


def test_a_version_has_no_parent_and_no_metadata_unless_given() -> None:
    registered = version()

    assert registered.parent_version is None
    assert registered.metadata == {}
    assert registered.features == ()


def test_versions_with_the_same_content_are_equal() -> None:
    assert version() == version()
    assert version(version=1) != version(version=2)


# --- alias history, training --------------------------------------------------------------------------


def test_an_alias_change_is_made_by_the_system_unless_said_otherwise() -> None:
    change = ModelAliasChange(name="momentum", alias="champion", from_version=None, to_version=1, at=T0)

    assert (change.actor, change.reason) == ("system", "")


def test_an_alias_change_needs_an_aware_time() -> None:
    with pytest.raises(NaiveDatetimeError):
        ModelAliasChange(name="m", alias="champion", from_version=1, to_version=2, at=datetime(2024, 1, 1))


def test_a_training_window_is_optional_but_aware_when_given() -> None:
    assert TrainingRequest(model_name="m").window_start is None
    assert TrainingRequest(model_name="m", window_end=T0).window_end == T0
    with pytest.raises(NaiveDatetimeError):
        TrainingRequest(model_name="m", window_start=datetime(2024, 1, 1))


def test_a_trained_model_does_not_print_its_artifact_bytes() -> None:
    trained = TrainedModel(model_name="m", artifact=b"\x00" * 2048, features=[FeatureSpec("x")])

    assert "<2048 bytes>" in repr(trained)
    assert "\\x00" not in repr(trained)
    assert trained.features == (FeatureSpec("x"),)
