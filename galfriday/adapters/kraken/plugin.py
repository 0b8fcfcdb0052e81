"""Registers the Kraken exchange adapter and the `galfriday kraken` commands, through galfriday's own
`kraken` entry point, exactly as a third-party plugin would.

Configuration is the `[kraken]` section (URLs, keys or key files, rate tier); select the adapter with
`[exchange] adapter = "kraken"` or `GALFRIDAY_EXCHANGE=kraken`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from galfriday.adapters.kraken.exchange import KrakenExchange
from galfriday.adapters.kraken.rate_limit import TIERS, RateTier
from galfriday.adapters.kraken.rest import KrakenRestClient
from galfriday.adapters.kraken.stream import KrakenStream
from galfriday.config import Config, KrakenConfig, Secret
from galfriday.errors import ConfigurationError
from galfriday.hookspecs import AdapterContext, RegisterAdapter, hookimpl
from galfriday.ports.clock import Clock

if TYPE_CHECKING:
    import click

__all__ = ["kraken_credentials", "kraken_rest_client", "kraken_stream", "make_kraken_exchange"]


def rate_tier(kraken: KrakenConfig) -> RateTier:
    try:
        return TIERS[kraken.rate_tier.lower()]
    except KeyError:
        raise ConfigurationError("kraken.rate_tier", kraken.rate_tier, f"one of {sorted(TIERS)}") from None


def kraken_credentials(kraken: KrakenConfig) -> tuple[Secret, Secret]:
    """The API key and secret, or a `ConfigurationError` saying where to put them."""
    return _credential(kraken.api_key, "api_key"), _credential(kraken.api_secret, "api_secret")


def _credential(value: Secret | None, name: str) -> Secret:
    if not value:
        raise ConfigurationError(
            f"kraken.{name}",
            None,
            f"a Kraken API {name.removeprefix('api_')}: set GALFRIDAY_KRAKEN_{name.upper()} "
            f"or [kraken] {name}_file",
        )
    return value


def kraken_rest_client(config: Config, clock: Clock | None = None) -> KrakenRestClient:
    """A REST client for the configured account (URL, keys, rate tier); not yet started."""
    key, secret = kraken_credentials(config.kraken)
    return KrakenRestClient(config.kraken.rest_url, key, secret, clock=clock, tier=rate_tier(config.kraken))


def kraken_stream(config: Config, client: KrakenRestClient, clock: Clock | None = None) -> KrakenStream:
    """The WebSocket v2 stream for the configured account: fresh tokens and pair precisions from `client`."""
    return KrakenStream(
        config.kraken.ws_url, config.kraken.ws_auth_url, tokens=client, pair_source=client, clock=clock
    )


def make_kraken_exchange(ctx: AdapterContext) -> KrakenExchange:
    """The exchange adapter: the configured account's REST client and (unless `[kraken] stream = false`)
    its WebSocket v2 stream, behind the `KrakenExchange` facade."""
    client = kraken_rest_client(ctx.config, ctx.clock)
    stream = kraken_stream(ctx.config, client, ctx.clock) if ctx.config.kraken.stream else None
    return KrakenExchange(client, stream)


@hookimpl
def galfriday_register_exchanges(register: RegisterAdapter) -> None:
    register("kraken", make_kraken_exchange)


@hookimpl
def galfriday_register_commands(cli: click.Group) -> None:
    from galfriday.adapters.kraken.cli import kraken

    cli.add_command(kraken)
