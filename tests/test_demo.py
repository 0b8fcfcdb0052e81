"""`galfriday demo` (what `make demo` runs) goes through the composition root and ends consistent."""

from __future__ import annotations

from click.testing import CliRunner

from galfriday.cli import cli


def test_the_demo_places_fills_and_reports_a_consistent_state() -> None:
    result = CliRunner().invoke(cli, ["demo"], env={"GALFRIDAY_DISABLE_PLUGINS": ""})
    assert result.exit_code == 0, result.output
    assert "2 executions delivered again: 0 state changes" in result.output
    assert "position 0.5 BTC equals filled quantity 0.5" in result.output
    assert "the store kept everything" in result.output
    assert "consistent" in result.output
    assert "INCONSISTENT" not in result.output
    assert "demo-buy-1" in result.output
    assert "filled" in result.output
    assert "demo-sell-1" in result.output
    assert "canceled" in result.output
