"""Kraken settings for the adapter: the REST rate tier and whether the WebSocket stream is connected.

(Polling while the stream is down and the dead-man's switch are exchange-neutral: `[runtime]`.)
"""

from __future__ import annotations

import pytest

from galfriday.config import ENVIRONMENT_VARIABLES, config_from_mapping
from galfriday.errors import ConfigurationError


def test_the_defaults_stream_on_the_starter_tier() -> None:
    kraken = config_from_mapping({}, {}).kraken

    assert (kraken.stream, kraken.rate_tier) == (True, "starter")


def test_toml_sets_the_stream_and_the_tier() -> None:
    kraken = config_from_mapping({"kraken": {"stream": False, "rate_tier": "pro"}}, {}).kraken

    assert (kraken.stream, kraken.rate_tier) == (False, "pro")


@pytest.mark.parametrize(
    ("text", "expected"), [("false", False), ("0", False), ("no", False), ("TRUE", True), ("yes", True)]
)
def test_the_environment_sets_booleans_by_word(text: str, expected: bool) -> None:
    kraken = config_from_mapping({}, {"GALFRIDAY_KRAKEN_STREAM": text}).kraken

    assert kraken.stream is expected


def test_a_boolean_that_is_not_a_word_for_one_is_refused_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="GALFRIDAY_KRAKEN_STREAM"):
        config_from_mapping({}, {"GALFRIDAY_KRAKEN_STREAM": "maybe"})


def test_a_boolean_in_toml_must_be_a_boolean() -> None:
    with pytest.raises(ConfigurationError, match=r"kraken\.stream"):
        config_from_mapping({"kraken": {"stream": 2}}, {})


def test_the_new_settings_are_listed_among_the_environment_variables() -> None:
    for name in ("STREAM", "RATE_TIER"):
        assert f"GALFRIDAY_KRAKEN_{name}" in ENVIRONMENT_VARIABLES
