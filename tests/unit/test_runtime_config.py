"""The `[runtime]` section and the retention schedule: defaults, environment overrides, refused values."""

from __future__ import annotations

import pytest

from galfriday.config import ENVIRONMENT_VARIABLES, config_from_mapping
from galfriday.errors import ConfigurationError


def test_runtime_settings_come_from_the_file() -> None:
    config = config_from_mapping(
        {"runtime": {"http_host": "0.0.0.0", "http_port": 0, "shutdown_timeout_seconds": 5}}, {}
    )
    assert (config.runtime.http_host, config.runtime.http_port) == ("0.0.0.0", 0)
    assert config.runtime.shutdown_timeout_seconds == 5.0


def test_runtime_settings_are_overridden_by_the_environment() -> None:
    config = config_from_mapping(
        {"runtime": {"http_port": 8000}},
        {"GALFRIDAY_RUNTIME_HTTP_PORT": "9100", "GALFRIDAY_RETENTION_EVERY_SECONDS": "60"},
    )
    assert config.runtime.http_port == 9100
    assert config.retention.every_seconds == 60.0


def test_every_runtime_key_has_a_documented_environment_variable() -> None:
    assert (
        ENVIRONMENT_VARIABLES["GALFRIDAY_RUNTIME_SHUTDOWN_TIMEOUT_SECONDS"]
        == "[runtime] shutdown_timeout_seconds"
    )
    assert ENVIRONMENT_VARIABLES["GALFRIDAY_RUNTIME_INTAKE_QUEUE_SIZE"] == "[runtime] intake_queue_size"
    assert ENVIRONMENT_VARIABLES["GALFRIDAY_RETENTION_EVERY_SECONDS"] == "[retention] every_seconds"


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("runtime", "http_port", 70000),
        ("runtime", "shutdown_timeout_seconds", 0),
        ("runtime", "intake_queue_size", 0),
        ("runtime", "restart_initial_seconds", -1),
        ("runtime", "recovery_poll_seconds", 0),
        ("runtime", "model_check_seconds", 0),
        ("runtime", "deadman_timeout_seconds", 86400),
        ("retention", "every_seconds", 0),
    ],
)
def test_an_out_of_range_runtime_value_is_refused_by_name(section: str, key: str, value: float) -> None:
    with pytest.raises(ConfigurationError, match=f"{section}.{key}"):
        config_from_mapping({section: {key: value}}, {})


def test_a_restart_ceiling_below_the_first_delay_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"runtime.restart_max_seconds"):
        config_from_mapping({"runtime": {"restart_initial_seconds": 5, "restart_max_seconds": 1}}, {})


def test_a_deadman_timeout_of_zero_disables_the_switch_and_is_accepted() -> None:
    assert (
        config_from_mapping({"runtime": {"deadman_timeout_seconds": 0}}, {}).runtime.deadman_timeout_seconds
        == 0
    )


def test_the_models_to_watch_are_a_comma_separated_list() -> None:
    config = config_from_mapping({}, {"GALFRIDAY_RUNTIME_MODELS": "btc-direction, eth-direction,,"})
    assert config.runtime.model_names() == ("btc-direction", "eth-direction")
    assert config_from_mapping({}, {}).runtime.model_names() == ()


def test_the_raw_journal_is_kept_unless_switched_off() -> None:
    assert config_from_mapping({}, {}).runtime.journal is True
    assert config_from_mapping({}, {"GALFRIDAY_RUNTIME_JOURNAL": "false"}).runtime.journal is False
