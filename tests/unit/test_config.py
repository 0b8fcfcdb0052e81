"""Configuration: TOML plus environment, one clear error per bad value, secrets never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from galfriday.config import ENVIRONMENT_VARIABLES, Config, Secret, config_from_mapping, load_config
from galfriday.errors import ConfigurationError

SECRET_KEY = "kraken-key-do-not-print-3f9a"
SECRET_SECRET = "kraken-secret-do-not-print-77c1"


def test_defaults_need_no_server_an_embedded_store_and_the_fake_exchange() -> None:
    config = load_config(environ={})
    assert config == Config()
    assert config.store.adapter == "sqlite"
    assert config.exchange.adapter == "memory"


def test_toml_file_sets_values(tmp_path: Path) -> None:
    file = tmp_path / "galfriday.toml"
    file.write_text('[store]\nadapter = "sqlite"\ndsn = "galfriday.db"\npool_max_size = 4\n')
    config = load_config(file, environ={})
    assert config.store.adapter == "sqlite"
    assert config.store.dsn is not None
    assert config.store.dsn.reveal() == "galfriday.db"
    assert config.store.pool_max_size == 4


@pytest.mark.parametrize(
    ("variable", "section", "key", "value"),
    [
        ("GALFRIDAY_KRAKEN_REST_URL", "kraken", "rest_url", "http://127.0.0.1:8080"),
        ("GALFRIDAY_KRAKEN_WS_URL", "kraken", "ws_url", "ws://127.0.0.1:8080/v2"),
        ("GALFRIDAY_KRAKEN_WS_AUTH_URL", "kraken", "ws_auth_url", "ws://127.0.0.1:8081/v2"),
        ("GALFRIDAY_STORE", "store", "adapter", "postgres"),
    ],
)
def test_environment_overrides_the_documented_keys(variable: str, section: str, key: str, value: str) -> None:
    config = load_config(environ={variable: value})
    assert getattr(getattr(config, section), key) == value
    assert variable in ENVIRONMENT_VARIABLES


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    file = tmp_path / "galfriday.toml"
    file.write_text('[store]\nadapter = "sqlite"\n')
    assert load_config(file, environ={"GALFRIDAY_STORE": "postgres"}).store.adapter == "postgres"


def test_store_dsn_comes_from_the_environment() -> None:
    config = load_config(environ={"GALFRIDAY_STORE_DSN": "postgresql://galfriday:pw@db/galfriday"})
    assert config.store.dsn == Secret("postgresql://galfriday:pw@db/galfriday")


def test_api_credentials_come_from_the_environment() -> None:
    config = load_config(
        environ={"GALFRIDAY_KRAKEN_API_KEY": SECRET_KEY, "GALFRIDAY_KRAKEN_API_SECRET": SECRET_SECRET}
    )
    assert config.kraken.api_key is not None
    assert config.kraken.api_key.reveal() == SECRET_KEY
    assert config.kraken.api_secret is not None
    assert config.kraken.api_secret.reveal() == SECRET_SECRET


def test_api_credentials_come_from_files(tmp_path: Path) -> None:
    (tmp_path / "key").write_text(SECRET_KEY + "\n")
    (tmp_path / "secret").write_text(SECRET_SECRET + "\n")
    config = config_from_mapping(
        {"kraken": {"api_key_file": str(tmp_path / "key"), "api_secret_file": str(tmp_path / "secret")}}, {}
    )
    assert config.kraken.api_key == Secret(SECRET_KEY)
    assert config.kraken.api_secret == Secret(SECRET_SECRET)


def test_api_credentials_in_the_toml_itself_are_refused_without_echoing_them() -> None:
    with pytest.raises(ConfigurationError) as caught:
        config_from_mapping({"kraken": {"api_key": SECRET_KEY}}, {})
    message = str(caught.value)
    assert "kraken.api_key" in message
    assert "GALFRIDAY_KRAKEN_API_KEY" in message
    assert SECRET_KEY not in message


def test_secrets_never_appear_in_reprs_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    config = load_config(
        environ={
            "GALFRIDAY_KRAKEN_API_KEY": SECRET_KEY,
            "GALFRIDAY_KRAKEN_API_SECRET": SECRET_SECRET,
            "GALFRIDAY_STORE_DSN": "postgresql://u:hunter2@db/x",
        }
    )
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("galfriday.test").info(
            "loaded %s / %r / %s", config, config.kraken, config.kraken.api_key
        )
    shown = repr(config) + str(config) + repr(config.kraken) + caplog.text + f"{config.kraken.api_secret}"
    for secret in (SECRET_KEY, SECRET_SECRET, "hunter2"):
        assert secret not in shown


def test_secret_cannot_be_pickled() -> None:
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(Secret(SECRET_KEY))


@pytest.mark.parametrize(
    ("raw", "env", "names"),
    [
        ({"store": {"pool_max_size": "many"}}, {}, ["store.pool_max_size", "'many'", "whole number"]),
        ({}, {"GALFRIDAY_BUS_MAXSIZE": "0"}, ["bus.maxsize", "0", "at least 1"]),
        ({"kraken": {"ws_url": "http://x"}}, {}, ["kraken.ws_url", "'http://x'", "ws://"]),
        ({"store": {"colour": "blue"}}, {}, ["store.colour", "'blue'", "one of"]),
        ({"stor": {}}, {}, ["stor", "a section among"]),
        ({"logging": {"level": "LOUD"}}, {}, ["logging.level", "'LOUD'", "INFO"]),
        (
            {"store": {"pool_min_size": 5, "pool_max_size": 2}},
            {},
            ["store.pool_max_size", "2", "pool_min_size"],
        ),
    ],
)
def test_invalid_configuration_names_key_value_and_expected_form(
    raw: dict[str, object], env: dict[str, str], names: list[str]
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        config_from_mapping(raw, env)
    for part in names:
        assert part in str(caught.value)


def test_a_missing_config_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="readable TOML file"):
        load_config(tmp_path / "absent.toml", environ={})


def test_broken_toml_is_a_configuration_error(tmp_path: Path) -> None:
    file = tmp_path / "bad.toml"
    file.write_text("[store\nadapter=")
    with pytest.raises(ConfigurationError, match="valid TOML"):
        load_config(file, environ={})
