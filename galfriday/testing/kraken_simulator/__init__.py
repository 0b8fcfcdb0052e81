"""A protocol-faithful Kraken Spot simulator: REST (signed, nonce-checked, rate-limited) and WebSocket v2
(public and authenticated endpoints, executions, balances, book, ticker, trade, ohlc, instrument), over
the memory matching engine, with fault injection (`chaos`) and an authoritative view for tests (`truth`).

- `KrakenSimulator` (server.py): the aiohttp server; `rest_url`, `ws_url`, `ws_auth_url`.
- `Market` (market.py): other traders' liquidity and trades.
- `Chaos` (chaos.py): dropped, silent and refused connections; duplicated, dropped, reordered, malformed
  frames; corrupted book checksums; REST errors and rate limiting.
- `AccountTruth` (truth.py): every order, execution and balance the simulator holds for an account.
"""

from galfriday.testing.kraken_simulator.catalog import Catalog, KrakenAsset, KrakenPair
from galfriday.testing.kraken_simulator.chaos import Chaos
from galfriday.testing.kraken_simulator.market import Market
from galfriday.testing.kraken_simulator.ratelimit import TIERS, RateTier
from galfriday.testing.kraken_simulator.records import LedgerEntry, OrderState, SimOrder, SimTrade
from galfriday.testing.kraken_simulator.server import (
    DEFAULT_ACCOUNT,
    WS_AUTH_PATH,
    WS_PATH,
    KrakenSimulator,
    new_secret,
)
from galfriday.testing.kraken_simulator.truth import AccountTruth

__all__ = [
    "DEFAULT_ACCOUNT",
    "TIERS",
    "WS_AUTH_PATH",
    "WS_PATH",
    "AccountTruth",
    "Catalog",
    "Chaos",
    "KrakenAsset",
    "KrakenPair",
    "KrakenSimulator",
    "LedgerEntry",
    "Market",
    "OrderState",
    "RateTier",
    "SimOrder",
    "SimTrade",
    "new_secret",
]
