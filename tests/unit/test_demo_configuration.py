"""The demo's configuration: the simulator's endpoints and the user's store, and nothing secret in what it shows."""

from __future__ import annotations

from pathlib import Path

from galfriday.config import Config, Secret, StoreConfig, config_from_mapping
from galfriday.demo.configuration import SimulatorEndpoints, demo_config
from galfriday.demo.tables import where_the_data_is

ENDPOINTS = SimulatorEndpoints(
    "http://127.0.0.1:4000", "ws://127.0.0.1:4000/v2", "ws://127.0.0.1:4000/v2-auth", "key", "c2VjcmV0"
)


def user_config(**environ: str) -> Config:
    return config_from_mapping({}, environ=environ)


def test_the_embedded_default_store_becomes_a_fresh_file_in_the_workdir(tmp_path: Path) -> None:
    config = demo_config(user_config(), ENDPOINTS, tmp_path)
    assert config.store.adapter == "sqlite"
    assert config.store.dsn is not None
    assert config.store.dsn.reveal() == str(tmp_path / "galfriday-demo.db")


def test_two_environment_variables_move_the_demo_to_postgres(tmp_path: Path) -> None:
    dsn = "postgresql://demo:pw@db.example:5433/galfriday"
    config = demo_config(
        user_config(GALFRIDAY_STORE="postgres", GALFRIDAY_STORE_DSN=dsn), ENDPOINTS, tmp_path
    )
    assert config.store.adapter == "postgres"
    assert config.store.dsn is not None
    assert config.store.dsn.reveal() == dsn


def test_a_sqlite_file_the_user_names_is_kept(tmp_path: Path) -> None:
    config = demo_config(user_config(GALFRIDAY_STORE_DSN="/data/mine.db"), ENDPOINTS, tmp_path)
    assert config.store.dsn is not None
    assert config.store.dsn.reveal() == "/data/mine.db"


def test_the_exchange_is_the_simulator_with_its_credentials(tmp_path: Path) -> None:
    config = demo_config(user_config(GALFRIDAY_KRAKEN_REST_URL="https://elsewhere"), ENDPOINTS, tmp_path)
    assert config.exchange.adapter == "kraken"
    assert config.kraken.rest_url == ENDPOINTS.rest_url
    assert config.kraken.ws_auth_url == ENDPOINTS.ws_auth_url
    assert config.kraken.api_key is not None
    assert config.kraken.api_key.reveal() == "key"
    assert config.kraken.api_secret is not None
    assert config.kraken.api_secret.reveal() == "c2VjcmV0"


def test_the_models_are_onnx_artifacts_in_the_workdir_trained_by_sklearn(tmp_path: Path) -> None:
    models = demo_config(user_config(), ENDPOINTS, tmp_path).models
    assert (models.runtime, models.artifact_store, models.trainer) == ("onnx", "filesystem", "sklearn")
    assert models.settings["artifact_dir"] == str(tmp_path / "artifacts")


def test_where_the_data_is_names_a_postgres_database_without_its_credentials() -> None:
    store = StoreConfig(adapter="postgres", dsn=Secret("postgresql://demo:hunter2@db.example:5433/galfriday"))
    shown = where_the_data_is(Config(store=store))
    assert shown == "postgres db.example:5433/galfriday"
    assert "hunter2" not in shown
    assert "demo" not in shown.replace("postgres", "")


def test_where_the_data_is_names_the_sqlite_file() -> None:
    store = StoreConfig(adapter="sqlite", dsn=Secret("/tmp/x/galfriday-demo.db"))
    assert where_the_data_is(Config(store=store)) == "sqlite /tmp/x/galfriday-demo.db"
