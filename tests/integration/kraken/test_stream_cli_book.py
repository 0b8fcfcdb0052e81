"""`galfriday kraken book SYMBOL` through the real CLI against a simulator with a moving market."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result
from kraken_sim_market import SimulatorThread, simulator

from galfriday.cli import build_cli


@pytest.fixture
def served() -> Iterator[SimulatorThread]:
    with SimulatorThread(simulator()) as thread:

        async def moving_market() -> None:
            thread.sim.market.seed_book("BTC/USD", levels=30)
            thread.sim.market.start_activity(300)

        thread.run(moving_market())
        yield thread


def invoke(served: SimulatorThread, *args: str) -> Result:
    return CliRunner().invoke(build_cli(), ["kraken", "book", *args], env=served.environment())


def test_book_json_summarises_the_updates_and_the_top_levels(served: SimulatorThread) -> None:
    result = invoke(served, "BTC/USD", "--updates", "30", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["symbol"] == "BTC/USD"
    assert summary["updates_applied"] == 30
    assert summary["snapshots"] == 1
    assert summary["checksum_mismatches"] == 0
    assert summary["resyncs"] == 0
    assert summary["complete"] is True
    assert len(summary["bids"]) == len(summary["asks"]) == 10
    assert float(summary["bids"][0][0]) < float(summary["asks"][0][0])


def test_a_bad_checksum_is_counted_and_resynced(served: SimulatorThread) -> None:
    async def corrupt() -> None:
        served.sim.chaos.corrupt_next_checksum(1)

    served.run(corrupt())
    result = invoke(served, "BTC/USD", "--updates", "20", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["checksum_mismatches"] == 1
    assert summary["resyncs"] == 1
    assert summary["snapshots"] == 1  # the corrupted one (the first book frame) never reached subscribers


def test_book_depth_25_keeps_25_levels_and_shows_the_top_ten(served: SimulatorThread) -> None:
    result = invoke(served, "BTC/USD", "--depth", "25", "--updates", "5", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["depth"] == 25
    assert len(summary["bids"]) == 10


def test_the_text_summary_names_the_counts(served: SimulatorThread) -> None:
    result = invoke(served, "BTC/USD", "--updates", "5")
    assert result.exit_code == 0, result.output
    assert "5 updates applied" in result.output
    assert "0 checksum mismatches" in result.output
    assert "top levels" in result.output


def test_too_few_updates_in_time_says_so(served: SimulatorThread) -> None:
    async def still() -> None:
        await served.sim.market.stop_activity()

    served.run(still())
    result = invoke(served, "BTC/USD", "--updates", "1000", "--seconds", "0.5", "--json")
    assert result.exit_code == 0, result.output
    assert "of 1000 updates" in result.stderr


def test_an_unknown_pair_is_an_error_naming_it(served: SimulatorThread) -> None:
    result = invoke(served, "NOPE/USD", "--json")
    assert result.exit_code == 1
    assert "Currency pair not supported NOPE/USD" in result.output
