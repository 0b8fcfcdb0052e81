"""`galfriday simulator ...`: run exchange simulators locally, until Ctrl-C (or SIGTERM).

`galfriday simulator kraken --port 8089 --api-key K --api-secret S --seed-book` serves Kraken's REST API and
WebSocket v2 and prints the environment variables that point galfriday (or any Kraken client) at it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import signal
from decimal import Decimal, InvalidOperation

import click

from galfriday.testing.kraken_simulator import TIERS, KrakenSimulator
from galfriday.testing.kraken_simulator.catalog import DEFAULT_SYMBOLS, PAIRS

DEFAULT_BALANCES = ("USD=100000", "BTC=10", "ETH=100", "DOGE=1000000")


@click.group()
def simulator() -> None:
    """Protocol-faithful exchange simulators for tests and local development."""


def _pairs(values: tuple[str, ...]) -> list[str]:
    symbols = [s.strip() for value in values for s in value.split(",") if s.strip()] or list(DEFAULT_SYMBOLS)
    known = {pair.symbol for pair in PAIRS}
    unknown = [s for s in symbols if s not in known]
    if unknown:
        raise click.BadParameter(
            f"unknown {unknown}; choose from {', '.join(sorted(known))}", param_hint="--pairs"
        )
    return symbols


def _balances(values: tuple[str, ...]) -> dict[str, Decimal]:
    balances = {}
    for value in values:
        asset, _, amount = value.partition("=")
        try:
            balances[asset.strip().upper()] = Decimal(amount)
        except InvalidOperation:
            raise click.BadParameter(
                f"{value!r}: expected ASSET=AMOUNT, such as USD=1000", param_hint="--balance"
            ) from None
    return balances


def _secret(value: str) -> str:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise click.BadParameter(
            "expected base64, as Kraken issues secrets", param_hint="--api-secret"
        ) from None
    return value


@simulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=int, default=0, show_default=True, help="Port to listen on (0: any free port).")
@click.option(
    "--api-key", required=True, envvar="GALFRIDAY_KRAKEN_API_KEY", help="API key clients must send."
)
@click.option(
    "--api-secret",
    required=True,
    envvar="GALFRIDAY_KRAKEN_API_SECRET",
    help="Base64 API secret that signs requests.",
)
@click.option(
    "--pairs", multiple=True, help="v2 symbols to trade, comma-separated (default BTC/USD,ETH/USD,DOGE/USD)."
)
@click.option(
    "--balance", "balances", multiple=True, default=DEFAULT_BALANCES, show_default=True, help="ASSET=AMOUNT."
)
@click.option(
    "--seed-book", is_flag=True, help="Quote 25 levels each side around each pair's reference price."
)
@click.option("--activity", type=float, default=0.0, help="Random market actions per second (0: none).")
@click.option(
    "--rate-tier",
    type=click.Choice([*TIERS, "none"]),
    default="intermediate",
    show_default=True,
    help="REST call-rate tier.",
)
@click.option("--seed", type=int, default=None, help="Random seed for ids and activity.")
def kraken(
    host: str,
    port: int,
    api_key: str,
    api_secret: str,
    pairs: tuple[str, ...],
    balances: tuple[str, ...],
    seed_book: bool,
    activity: float,
    rate_tier: str,
    seed: int | None,
) -> None:
    """Serve Kraken's REST API and WebSocket v2 (public /v2, authenticated /v2-auth) until Ctrl-C."""
    sim = KrakenSimulator(
        api_key=api_key,
        api_secret=_secret(api_secret),
        balances=_balances(balances),
        pairs=_pairs(pairs),
        seed=seed,
        rate_tier=None if rate_tier == "none" else rate_tier,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(sim, host, port, seed_book=seed_book, activity=activity))


async def _serve(sim: KrakenSimulator, host: str, port: int, *, seed_book: bool, activity: float) -> None:
    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await sim.start(host, port)
    try:
        if seed_book:
            for symbol in sim.catalog.symbols:
                sim.market.seed_book(symbol)
        if activity > 0:
            sim.market.start_activity(activity)
        click.echo(f"Kraken simulator listening on {host}:{sim.port} (Ctrl-C to stop)")
        click.echo(f"GALFRIDAY_KRAKEN_REST_URL={sim.rest_url}")
        click.echo(f"GALFRIDAY_KRAKEN_WS_URL={sim.ws_url}")
        click.echo(f"GALFRIDAY_KRAKEN_WS_AUTH_URL={sim.ws_auth_url}")
        await stop.wait()
    finally:
        await sim.close()
