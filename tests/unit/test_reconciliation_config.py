"""The [reconciliation] configuration section: defaults, file and environment, tolerances, validation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from galfriday.config import ENVIRONMENT_VARIABLES, config_from_mapping
from galfriday.domain.tolerance import DEFAULT_TOLERANCE, Tolerance
from galfriday.errors import ConfigurationError


def test_by_default_reconciliation_runs_daily_waits_at_startup_and_halts_on_review() -> None:
    section = config_from_mapping({}, environ={}).reconciliation
    assert section.interval_seconds == 86400
    assert section.wait_at_startup is True
    assert section.halt_on_manual_review is True
    assert section.policy().default == DEFAULT_TOLERANCE


def test_the_file_sets_tolerances_per_asset_and_pair() -> None:
    raw = {
        "reconciliation": {
            "interval_seconds": 3600,
            "tolerances": {"default": {"relative": "0.001"}, "BTC": {"absolute": "0.0001"}, "BTC/USD": {}},
        }
    }
    policy = config_from_mapping(raw, environ={}).reconciliation.policy()
    assert policy.default == Tolerance(max_relative=Decimal("0.001"))
    assert policy.for_asset("BTC") == Tolerance(max_absolute=Decimal("0.0001"))
    assert policy.for_pair("BTC/USD") == Tolerance()


def test_the_environment_sets_the_scalar_keys() -> None:
    env = {
        "GALFRIDAY_RECONCILIATION_INTERVAL_SECONDS": "60",
        "GALFRIDAY_RECONCILIATION_WAIT_AT_STARTUP": "false",
        "GALFRIDAY_RECONCILIATION_RETRIES": "5",
    }
    section = config_from_mapping({}, environ=env).reconciliation
    assert (section.interval_seconds, section.wait_at_startup, section.retries) == (60.0, False, 5)


def test_the_environment_variables_are_listed_and_tolerances_are_file_only() -> None:
    assert ENVIRONMENT_VARIABLES["GALFRIDAY_RECONCILIATION_HALT_ON_MANUAL_REVIEW"] == (
        "[reconciliation] halt_on_manual_review"
    )
    assert "GALFRIDAY_RECONCILIATION_TOLERANCES" not in ENVIRONMENT_VARIABLES


def test_a_bad_tolerance_is_refused_naming_the_key() -> None:
    raw = {"reconciliation": {"tolerances": {"BTC": {"absolute": "-1"}}}}
    with pytest.raises(ConfigurationError, match=r"reconciliation\.tolerances\.BTC\.absolute"):
        config_from_mapping(raw, environ={})


def test_a_zero_interval_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="interval_seconds"):
        config_from_mapping({"reconciliation": {"interval_seconds": 0}}, environ={})


def test_negative_retries_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="retries"):
        config_from_mapping({"reconciliation": {"retries": -1}}, environ={})
