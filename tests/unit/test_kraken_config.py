"""Kraken settings for the adapter's services: stream on/off, polling interval, dead-man's switch."""

from __future__ import annotations

import pytest

from galfriday.config import ENVIRONMENT_VARIABLES, config_from_mapping
from galfriday.errors import ConfigurationError


def test_the_defaults_stream_and_keep_a_sixty_second_dead_mans_switch() -> None:
    kraken = config_from_mapping({}, {}).kraken

    assert (kraken.stream, kraken.deadman_enabled, kraken.deadman_timeout) == (True, True, 60)
    assert kraken.poll_interval == 5.0
    assert kraken.rate_tier == "starter"


def test_toml_booleans_and_numbers_are_read() -> None:
    raw = {"kraken": {"stream": False, "deadman_enabled": False, "deadman_timeout": 120, "poll_interval": 2}}

    kraken = config_from_mapping(raw, {}).kraken

    assert (kraken.stream, kraken.deadman_enabled, kraken.deadman_timeout, kraken.poll_interval) == (
        False,
        False,
        120,
        2.0,
    )


@pytest.mark.parametrize(
    ("text", "expected"), [("false", False), ("0", False), ("TRUE", True), ("yes", True)]
)
def test_the_environment_sets_booleans_by_word(text: str, expected: bool) -> None:
    kraken = config_from_mapping({}, {"GALFRIDAY_KRAKEN_DEADMAN_ENABLED": text}).kraken

    assert kraken.deadman_enabled is expected


def test_a_boolean_that_is_not_a_word_for_one_is_refused_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="GALFRIDAY_KRAKEN_STREAM"):
        config_from_mapping({}, {"GALFRIDAY_KRAKEN_STREAM": "maybe"})


@pytest.mark.parametrize("timeout", [0, 86400])
def test_a_dead_mans_timeout_outside_krakens_range_is_refused(timeout: int) -> None:
    with pytest.raises(ConfigurationError, match=r"kraken\.deadman_timeout"):
        config_from_mapping({"kraken": {"deadman_timeout": timeout}}, {})


def test_a_poll_interval_of_zero_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"kraken\.poll_interval"):
        config_from_mapping({"kraken": {"poll_interval": 0}}, {})


def test_the_new_settings_are_listed_among_the_environment_variables() -> None:
    for name in ("STREAM", "POLL_INTERVAL", "DEADMAN_ENABLED", "DEADMAN_TIMEOUT", "RATE_TIER"):
        assert f"GALFRIDAY_KRAKEN_{name}" in ENVIRONMENT_VARIABLES
