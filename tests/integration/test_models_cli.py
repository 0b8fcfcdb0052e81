"""`galfriday models`: register, list, show, promote and rollback on a SQLite store, filesystem artifacts and ONNX."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from galfriday.cli import cli
from galfriday.domain.promotion_gates import HoldoutMetrics
from galfriday.testing.model_samples import register_arguments, sample_registration

NAME = "btc-direction"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "galfriday.toml"
    path.write_text(
        f"""
[store]
adapter = "sqlite"
dsn = "{tmp_path / "registry.db"}"

[models]
runtime = "onnx"
artifact_store = "filesystem"

[models.settings]
artifact_dir = "{tmp_path / "artifacts"}"
"""
    )
    return path


LENIENT = ("--max-p99-ms", "250")
"""Promotions in these tests allow a slow machine: scheduling noise is not under test (one test checks the gate)."""


def invoke(config_file: Path, *args: str, code: int = 0) -> Result:
    if args[0] == "promote" and "--max-p99-ms" not in args:
        args = (*args, *LENIENT)
    result = CliRunner().invoke(cli, ["--config", str(config_file), "models", *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def as_json(config_file: Path, *args: str, code: int = 0) -> Any:
    return json.loads(invoke(config_file, *args, "--json", code=code).output)


def write_version(tmp_path: Path, seed: int, brier: float) -> list[str]:
    """An artifact file and a metadata file for `models register`; returns the arguments naming them."""
    registration = sample_registration(NAME, seed=seed, holdout=HoldoutMetrics("h1", brier, 0.6, 0.6))
    return register_arguments(registration, tmp_path, f"model-{seed}")


def test_register_records_a_development_version_with_its_onnx_versions(
    config_file: Path, tmp_path: Path
) -> None:
    document = as_json(config_file, "register", NAME, *write_version(tmp_path, 1, 0.2), "--actor", "alice")
    assert (document["version"], document["stage"]) == (1, "development")
    assert document["metadata"]["onnx_opset"] == 17
    assert document["metadata"]["registered_by"] == "alice"
    assert document["artifact_uri"].startswith("filesystem://btc-direction/1/")


def test_register_prints_the_new_version(config_file: Path, tmp_path: Path) -> None:
    assert (
        "registered btc-direction v1"
        in invoke(config_file, "register", NAME, *write_version(tmp_path, 1, 0.2)).output
    )


def test_list_shows_every_version_and_its_aliases(config_file: Path, tmp_path: Path) -> None:
    invoke(config_file, "register", NAME, *write_version(tmp_path, 1, 0.22))
    invoke(config_file, "register", NAME, *write_version(tmp_path, 2, 0.20), "--parent", "1")
    invoke(config_file, "promote", NAME, "1", "--reason", "first")
    documents = as_json(config_file, "list", NAME)
    assert [(d["version"], d["stage"], d["aliases"], d["parent_version"]) for d in documents] == [
        (1, "production", ["champion", "production"], None),
        (2, "development", [], 1),
    ]
    assert "production" in invoke(config_file, "list", NAME).output


def test_show_includes_the_stage_history_with_who_and_why(config_file: Path, tmp_path: Path) -> None:
    invoke(
        config_file, "register", NAME, *write_version(tmp_path, 1, 0.2), "--actor", "alice", "--reason", "new"
    )
    invoke(config_file, "promote", NAME, "1", "--actor", "carol", "--reason", "first model")
    document = as_json(config_file, "show", NAME, "1")
    assert [(c["to"], c["actor"], c["reason"]) for c in document["stage_history"]] == [
        ("development", "alice", "new"),
        ("staging", "carol", "passed the promotion gates; first model"),
        ("production", "carol", "first model"),
    ]
    assert "first model" in invoke(config_file, "show", NAME, "1").output


def test_promote_prints_every_gate_and_moves_production(config_file: Path, tmp_path: Path) -> None:
    invoke(config_file, "register", NAME, *write_version(tmp_path, 1, 0.2))
    document = as_json(config_file, "promote", NAME, "1", "--reason", "first")
    assert document["passed"]
    assert [g["name"] for g in document["gates"]] == [
        "schema",
        "value",
        "improvement",
        "artifact",
        "parity",
        "probabilities",
        "determinism",
        "latency",
    ]
    assert {(c["alias"], c["to"]) for c in document["transition"]["alias_changes"]} == {
        ("production", 1),
        ("champion", 1),
    }


def test_a_refused_promotion_exits_1_and_says_which_gate_failed(config_file: Path, tmp_path: Path) -> None:
    invoke(config_file, "register", NAME, *write_version(tmp_path, 1, 0.20))
    invoke(config_file, "promote", NAME, "1", "--reason", "first")
    invoke(config_file, "register", NAME, *write_version(tmp_path, 2, 0.24))
    document = as_json(config_file, "promote", NAME, "2", "--reason", "worse", code=1)
    assert not document["passed"]
    assert [g["name"] for g in document["gates"] if not g["passed"]] == ["improvement"]
    assert document["transition"] is None
    assert "refused" in invoke(config_file, "promote", NAME, "2", "--reason", "worse", code=1).output


def test_promote_applies_the_given_latency_limit(config_file: Path, tmp_path: Path) -> None:
    invoke(config_file, "register", NAME, *write_version(tmp_path, 1, 0.2))
    document = as_json(
        config_file, "promote", NAME, "1", "--reason", "first", "--max-p99-ms", "0.000001", code=1
    )
    assert [g["name"] for g in document["gates"] if not g["passed"]] == ["latency"]


def test_rollback_moves_production_back(config_file: Path, tmp_path: Path) -> None:
    invoke(config_file, "register", NAME, *write_version(tmp_path, 1, 0.22))
    invoke(config_file, "promote", NAME, "1", "--reason", "first")
    invoke(config_file, "register", NAME, *write_version(tmp_path, 2, 0.20))
    invoke(config_file, "promote", NAME, "2", "--reason", "second")
    assert "production v2 -> v1" in invoke(config_file, "rollback", NAME, "--reason", "drawdown").output
    assert [d["aliases"] for d in as_json(config_file, "list", NAME)] == [["champion", "production"], []]


def test_rollback_as_json_lists_the_stage_and_alias_changes(config_file: Path, tmp_path: Path) -> None:
    invoke(config_file, "register", NAME, *write_version(tmp_path, 1, 0.22))
    invoke(config_file, "promote", NAME, "1", "--reason", "first")
    invoke(config_file, "register", NAME, *write_version(tmp_path, 2, 0.20))
    invoke(config_file, "promote", NAME, "2", "--reason", "second")
    document = as_json(config_file, "rollback", NAME, "--reason", "drawdown", "--actor", "dave")
    assert {(c["version"], c["to"]) for c in document["stage_changes"]} == {
        (2, "archived"),
        (1, "production"),
    }
    assert {c["actor"] for c in document["alias_changes"]} == {"dave"}


def test_list_of_an_unknown_model_says_so(config_file: Path) -> None:
    assert "no versions registered" in invoke(config_file, "list", "nothing-here").output


def test_show_of_a_version_that_does_not_exist_is_an_error_naming_it(config_file: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config_file), "models", "show", NAME, "3"])
    assert result.exit_code != 0
    assert "btc-direction v3" in str(result.exception)
