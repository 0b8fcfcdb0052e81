"""Kraken's assets and pairs under all their names: REST keys (`XXBT`, `XXBTZUSD`), altnames (`XBTUSD`),
v1 wsnames (`XBT/USD`) and WebSocket v2 symbols (`BTC/USD`), with the precisions AssetPairs publishes.

The values follow Kraken's AssetPairs and Assets answers (2023-2025); `reference_price` is only a starting
mid price for a seeded book.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from attrs import frozen

from galfriday.testing.kraken_simulator.errors import KrakenError


@frozen
class KrakenAsset:
    """One asset: REST key, REST altname, v2 code and its decimals."""

    key: str
    altname: str
    code: str
    decimals: int
    display_decimals: int


@frozen
class KrakenPair:
    """One spot pair with every name Kraken uses for it and its precisions."""

    key: str
    altname: str
    wsname: str
    symbol: str
    base: KrakenAsset
    quote: KrakenAsset
    pair_decimals: int
    lot_decimals: int
    cost_decimals: int
    ordermin: Decimal
    costmin: Decimal
    reference_price: Decimal

    @property
    def tick_size(self) -> Decimal:
        return Decimal(1).scaleb(-self.pair_decimals)

    @property
    def lot(self) -> Decimal:
        return Decimal(1).scaleb(-self.lot_decimals)

    @property
    def names(self) -> tuple[str, ...]:
        """Every spelling a request may use for this pair."""
        return (self.key, self.altname, self.wsname, self.symbol)


def _asset(key: str, altname: str, code: str, decimals: int, display: int) -> KrakenAsset:
    return KrakenAsset(key, altname, code, decimals, display)


XXBT = _asset("XXBT", "XBT", "BTC", 10, 5)
XETH = _asset("XETH", "ETH", "ETH", 10, 5)
XXDG = _asset("XXDG", "XDG", "DOGE", 8, 2)
SOL = _asset("SOL", "SOL", "SOL", 10, 5)
USDT = _asset("USDT", "USDT", "USDT", 8, 4)
ZUSD = _asset("ZUSD", "USD", "USD", 4, 2)
ZEUR = _asset("ZEUR", "EUR", "EUR", 4, 2)

ASSETS: tuple[KrakenAsset, ...] = (XXBT, XETH, XXDG, SOL, USDT, ZUSD, ZEUR)


def _pair(
    key: str,
    altname: str,
    wsname: str,
    base: KrakenAsset,
    quote: KrakenAsset,
    decimals: tuple[int, int, int],
    ordermin: str,
    costmin: str,
    reference: str,
) -> KrakenPair:
    pair_decimals, lot_decimals, cost_decimals = decimals
    return KrakenPair(
        key=key,
        altname=altname,
        wsname=wsname,
        symbol=f"{base.code}/{quote.code}",
        base=base,
        quote=quote,
        pair_decimals=pair_decimals,
        lot_decimals=lot_decimals,
        cost_decimals=cost_decimals,
        ordermin=Decimal(ordermin),
        costmin=Decimal(costmin),
        reference_price=Decimal(reference),
    )


PAIRS: tuple[KrakenPair, ...] = (
    _pair("XXBTZUSD", "XBTUSD", "XBT/USD", XXBT, ZUSD, (1, 8, 5), "0.0001", "0.5", "30000.0"),
    _pair("XETHZUSD", "ETHUSD", "ETH/USD", XETH, ZUSD, (2, 8, 5), "0.002", "0.5", "2000.00"),
    _pair("XDGUSD", "XDGUSD", "XDG/USD", XXDG, ZUSD, (7, 8, 5), "50", "0.5", "0.0800000"),
    _pair("XXBTZEUR", "XBTEUR", "XBT/EUR", XXBT, ZEUR, (1, 8, 5), "0.0001", "0.5", "28000.0"),
    _pair("XETHXXBT", "ETHXBT", "ETH/XBT", XETH, XXBT, (5, 8, 10), "0.002", "0.00002", "0.06000"),
    _pair("SOLUSD", "SOLUSD", "SOL/USD", SOL, ZUSD, (2, 8, 5), "0.02", "0.5", "100.00"),
    _pair("USDTZUSD", "USDTUSD", "USDT/USD", USDT, ZUSD, (4, 8, 5), "5", "0.5", "1.0000"),
)

DEFAULT_SYMBOLS: tuple[str, ...] = ("BTC/USD", "ETH/USD", "DOGE/USD")


class Catalog:
    """The pairs one simulator trades, and the assets they use, looked up by any of their names."""

    def __init__(self, symbols: Iterable[str] | None = None) -> None:
        wanted = list(DEFAULT_SYMBOLS if symbols is None else symbols)
        by_symbol = {pair.symbol: pair for pair in PAIRS}
        unknown = [symbol for symbol in wanted if symbol not in by_symbol]
        if unknown:
            raise ValueError(f"unknown pairs {unknown}; the simulator knows {sorted(by_symbol)}")
        self.pairs: tuple[KrakenPair, ...] = tuple(by_symbol[symbol] for symbol in dict.fromkeys(wanted))
        assets = {asset.key: asset for pair in self.pairs for asset in (pair.base, pair.quote)}
        self.assets: tuple[KrakenAsset, ...] = tuple(a for a in ASSETS if a.key in assets)
        self._pairs = {name: pair for pair in self.pairs for name in pair.names}
        self._assets = {name: asset for asset in ASSETS for name in (asset.key, asset.altname, asset.code)}

    @property
    def symbols(self) -> list[str]:
        return [pair.symbol for pair in self.pairs]

    def pair(self, name: str) -> KrakenPair:
        """The pair named by its key, altname, wsname or v2 symbol; `EQuery:Unknown asset pair` else."""
        pair = self._pairs.get(name)
        if pair is None:
            raise KrakenError("EQuery:Unknown asset pair")
        return pair

    def find_pair(self, name: str) -> KrakenPair | None:
        return self._pairs.get(name)

    def asset(self, name: str) -> KrakenAsset:
        """Any known asset by REST key, altname or v2 code (even one no traded pair uses)."""
        asset = self._assets.get(name)
        if asset is None:
            raise KrakenError("EQuery:Unknown asset")
        return asset

    def select_pairs(self, names: Sequence[str]) -> list[KrakenPair]:
        return [self.pair(name) for name in names]
