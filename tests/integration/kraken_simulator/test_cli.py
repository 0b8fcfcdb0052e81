"""`galfriday simulator kraken`: its help and argument checks, and a real run stopped with Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request

from click.testing import CliRunner
from kraken_sim_clients import KEY, SECRET

from galfriday.simulator_cli import simulator


def test_kraken_help_lists_the_options() -> None:
    result = CliRunner().invoke(simulator, ["kraken", "--help"])
    assert result.exit_code == 0
    for option in (
        "--port",
        "--api-key",
        "--api-secret",
        "--pairs",
        "--seed-book",
        "--activity",
        "--rate-tier",
    ):
        assert option in result.output


def test_the_group_lists_kraken() -> None:
    result = CliRunner().invoke(simulator, ["--help"])
    assert result.exit_code == 0
    assert "kraken" in result.output


def test_a_secret_that_is_not_base64_is_refused() -> None:
    result = CliRunner().invoke(simulator, ["kraken", "--api-key", "k", "--api-secret", "%%%"])
    assert result.exit_code == 2
    assert "base64" in result.output


def test_an_unknown_pair_is_refused() -> None:
    result = CliRunner().invoke(
        simulator, ["kraken", "--api-key", "k", "--api-secret", SECRET, "--pairs", "FOO/BAR"]
    )
    assert result.exit_code == 2
    assert "FOO/BAR" in result.output


def test_a_missing_key_is_refused() -> None:
    result = CliRunner().invoke(
        simulator, ["kraken", "--api-secret", SECRET], env={"GALFRIDAY_KRAKEN_API_KEY": None}
    )
    assert result.exit_code == 2


def _start(*extra: str) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        "-c",
        "from galfriday.simulator_cli import simulator; simulator()",
        "kraken",
        "--api-key",
        KEY,
        "--api-secret",
        SECRET,
        "--pairs",
        "BTC/USD,DOGE/USD",
        "--seed-book",
        *extra,
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_simulator_serves_until_interrupted() -> None:
    process = _start()
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        assert lines[0].startswith("Kraken simulator listening on 127.0.0.1:")
        rest_url = lines[1].strip().removeprefix("GALFRIDAY_KRAKEN_REST_URL=")
        assert lines[3].strip().endswith("/v2-auth")
        with urllib.request.urlopen(f"{rest_url}/0/public/Depth?pair=XDGUSD&count=1", timeout=5) as response:
            depth = json.loads(response.read())
        assert depth["error"] == []
        assert len(depth["result"]["XDGUSD"]["bids"]) == 1
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_simulator_stops_cleanly_on_sigterm() -> None:
    process = _start("--activity", "50")
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("Kraken simulator listening")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
