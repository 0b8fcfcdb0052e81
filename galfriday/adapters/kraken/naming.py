"""Kraken asset and pair names, normalised from Kraken's own Assets and AssetPairs answers.

REST speaks legacy codes (`XXBT`, `ZUSD`, `XXDG`), pair keys (`XXBTZUSD`), altnames (`XBTUSD`) and WS v1
names (`XBT/USD`); WebSocket v2 and galfriday speak `BTC/USD`. Assets gives each code's altname (`XXBT` →
`XBT`); only two altnames differ from WS v2 (`XBT` → `BTC`, `XDG` → `DOGE`). Read-only balance variants keep
their suffix (`XBT.F` → `BTC.F`, `ETH2.S`). A small fallback table covers legacy codes when Assets was not
loaded; nothing strips X/Z prefixes blindly (that would break `XTZ`, `ZEC`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from attrs import frozen

from galfriday.domain.instruments import Symbol, TradingPair
from galfriday.errors import InvalidValueError

__all__ = ["FALLBACK_ASSETS", "KrakenNames", "KrakenPair", "normalise_asset", "split_variant"]

log = logging.getLogger(__name__)

_ALTNAME_RENAMES = {"XBT": "BTC", "XDG": "DOGE"}

FALLBACK_ASSETS: Mapping[str, str] = {
    "XXBT": "BTC", "XBT": "BTC", "XXDG": "DOGE", "XDG": "DOGE", "XETH": "ETH", "XETC": "ETC",
    "XLTC": "LTC", "XXRP": "XRP", "XXLM": "XLM", "XXMR": "XMR", "XZEC": "ZEC", "XREP": "REP",
    "XMLN": "MLN", "ZUSD": "USD", "ZEUR": "EUR", "ZGBP": "GBP", "ZCAD": "CAD", "ZJPY": "JPY",
    "ZAUD": "AUD",
}  # fmt: skip
"""Legacy REST codes, used only for codes that Assets did not list."""

_COMMON_QUOTES = ("ZUSD", "ZEUR", "ZGBP", "ZCAD", "ZJPY", "XXBT", "XETH", "USDT", "USDC", "USD", "EUR",
                  "GBP", "CAD", "JPY", "AUD", "CHF", "XBT", "ETH", "DAI")  # fmt: skip


def split_variant(code: str) -> tuple[str, str]:
    """`ETH2.S` → (`ETH2`, `.S`); `XBT.F` → (`XBT`, `.F`); `XXBT` → (`XXBT`, ``)."""
    base, dot, suffix = code.partition(".")
    return base, dot + suffix


def _from_altname(altname: str) -> str:
    base, suffix = split_variant(altname)
    return _ALTNAME_RENAMES.get(base, base) + suffix


def normalise_asset(code: str, known: Mapping[str, str] = FALLBACK_ASSETS) -> str:
    """The exchange-neutral code for a Kraken asset code, using `known` (Kraken code → neutral) first."""
    if code in known:
        return known[code]
    base, suffix = split_variant(code)
    if suffix and base in known:
        return known[base] + suffix
    if code in FALLBACK_ASSETS:
        return FALLBACK_ASSETS[code]
    if suffix and base in FALLBACK_ASSETS:
        return FALLBACK_ASSETS[base] + suffix
    return _from_altname(code)


def _decimal(value: Any, default: Decimal | None = None) -> Decimal | None:
    return default if value is None or value == "" else Decimal(str(value))


@frozen
class KrakenPair:
    """One AssetPairs entry: its names on every API and its precision."""

    symbol: str
    """Exchange-neutral and WS v2 symbol, `BTC/USD`."""
    key: str
    """REST pair key, `XXBTZUSD` (TradesHistory `pair`)."""
    altname: str
    """REST altname, `XBTUSD` (OpenOrders `descr.pair`)."""
    wsname: str | None
    """WS v1 name, `XBT/USD`."""
    base: str
    quote: str
    pair_decimals: int
    lot_decimals: int
    ordermin: Decimal
    costmin: Decimal | None = None
    tick_size: Decimal | None = None
    status: str | None = None

    @property
    def ws_symbol(self) -> str:
        return self.symbol

    def trading_pair(self) -> TradingPair:
        return TradingPair(
            symbol=self.symbol,
            price_precision=self.pair_decimals,
            quantity_precision=self.lot_decimals,
            min_quantity=self.ordermin,
        )


class KrakenNames:
    """Both directions between Kraken's names and galfriday's, built from Assets and AssetPairs answers."""

    def __init__(self, assets: Mapping[str, str], pairs: Iterable[KrakenPair]) -> None:
        self._assets = dict(assets)
        self._kraken_assets: dict[str, str] = {}
        for code, neutral in self._assets.items():
            self._kraken_assets.setdefault(neutral, code)
        self._pairs = list(pairs)
        self._index: dict[str, KrakenPair] = {}
        for attribute in ("key", "altname", "wsname", "symbol"):
            for pair in self._pairs:
                name = getattr(pair, attribute)
                if name:
                    self._index.setdefault(name, pair)

    @classmethod
    def from_responses(
        cls, assets_result: Mapping[str, Any] | None, pairs_result: Mapping[str, Any]
    ) -> KrakenNames:
        """From the `result` objects of `/0/public/Assets` (optional) and `/0/public/AssetPairs`."""
        assets: dict[str, str] = {}
        for code, info in (assets_result or {}).items():
            altname = info.get("altname") if isinstance(info, Mapping) else None
            assets[code] = _from_altname(altname) if altname else normalise_asset(code)
        pairs: list[KrakenPair] = []
        for key, info in pairs_result.items():
            try:
                pairs.append(_pair(key, info, assets))
            except (InvalidValueError, KeyError, TypeError, ArithmeticError) as exc:
                log.debug("skipping Kraken pair %s: %s", key, exc)
        return cls(assets, pairs)

    # --- assets ---------------------------------------------------------------------------------------

    def asset(self, code: str) -> str:
        """Kraken asset code (`XXBT`, `XBT`, `XBT.F`, `ZUSD`) → neutral (`BTC`, `BTC`, `BTC.F`, `USD`)."""
        return normalise_asset(code, self._assets)

    def kraken_asset(self, neutral: str) -> str:
        """Neutral asset code → Kraken's asset key (`BTC` → `XXBT`), or the code itself if none is known."""
        if neutral in self._kraken_assets:
            return self._kraken_assets[neutral]
        for code, name in FALLBACK_ASSETS.items():
            if name == neutral and len(code) == 4:
                return code
        return neutral

    # --- pairs ----------------------------------------------------------------------------------------

    @property
    def pairs(self) -> list[KrakenPair]:
        return list(self._pairs)

    def pair(self, name: str) -> KrakenPair:
        """The pair called `name` on any API (`BTC/USD`, `XXBTZUSD`, `XBTUSD`, `XBT/USD`)."""
        try:
            return self._index[name]
        except KeyError:
            raise InvalidValueError("pair", name, "a pair listed by Kraken's AssetPairs") from None

    def symbol(self, name: str) -> str:
        """Neutral symbol for any Kraken pair name; pairs AssetPairs no longer lists are split by guess."""
        if name in self._index:
            return self._index[name].symbol
        if "/" in name:
            base, _, quote = name.partition("/")
            return str(Symbol(self.asset(base), self.asset(quote)))
        for quote in sorted({*self._assets, *_COMMON_QUOTES}, key=len, reverse=True):
            if name.endswith(quote) and len(name) > len(quote):
                return str(Symbol(self.asset(name[: -len(quote)]), self.asset(quote)))
        raise InvalidValueError("pair", name, "a pair listed by Kraken's AssetPairs")

    def rest_pair(self, symbol: str) -> str:
        """Neutral symbol → REST pair key (`BTC/USD` → `XXBTZUSD`)."""
        return self.pair(symbol).key

    def altname(self, symbol: str) -> str:
        """Neutral symbol → REST altname (`BTC/USD` → `XBTUSD`)."""
        return self.pair(symbol).altname

    def ws_symbol(self, name: str) -> str:
        """Any Kraken pair name → WS v2 symbol (`XXBTZUSD`, `XBT/USD` → `BTC/USD`)."""
        return self.symbol(name)

    def trading_pairs(self) -> list[TradingPair]:
        return [pair.trading_pair() for pair in self._pairs]


def _pair(key: str, info: Mapping[str, Any], assets: Mapping[str, str]) -> KrakenPair:
    base, quote = info["base"], info["quote"]
    symbol = str(Symbol(normalise_asset(base, assets), normalise_asset(quote, assets)))
    return KrakenPair(
        symbol=symbol,
        key=key,
        altname=str(info.get("altname") or key),
        wsname=info.get("wsname"),
        base=base,
        quote=quote,
        pair_decimals=int(info["pair_decimals"]),
        lot_decimals=int(info["lot_decimals"]),
        ordermin=_decimal(info.get("ordermin"), Decimal(0)) or Decimal(0),
        costmin=_decimal(info.get("costmin")),
        tick_size=_decimal(info.get("tick_size")),
        status=info.get("status"),
    )
