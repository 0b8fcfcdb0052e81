"""Public REST endpoints: Time, SystemStatus, Assets, AssetPairs, Ticker and Depth."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from galfriday.domain.amounts import ZERO
from galfriday.domain.executions import OrderSide
from galfriday.testing.kraken_simulator import tape
from galfriday.testing.kraken_simulator.catalog import KrakenPair
from galfriday.testing.kraken_simulator.errors import invalid_arguments
from galfriday.testing.kraken_simulator.params import Params
from galfriday.testing.kraken_simulator.records import PublicTrade
from galfriday.testing.kraken_simulator.rest_format import asset_info, pair_info
from galfriday.testing.kraken_simulator.state import SimulatorState
from galfriday.testing.kraken_simulator.wire import fixed, rfc1123, rfc3339_seconds, unix

PublicEndpoint = Callable[[SimulatorState, Params], Any]


def time(state: SimulatorState, params: Params) -> dict[str, Any]:
    now = state.clock.now()
    return {"unixtime": int(unix(now)), "rfc1123": rfc1123(now)}


def system_status(state: SimulatorState, params: Params) -> dict[str, Any]:
    return {"status": state.system, "timestamp": rfc3339_seconds(state.clock.now())}


def assets(state: SimulatorState, params: Params) -> dict[str, Any]:
    aclass = params.text("aclass")
    if aclass not in (None, "currency"):
        raise invalid_arguments("aclass")
    names = params.items("asset")
    chosen = [state.catalog.asset(name) for name in names] if names else list(state.catalog.assets)
    return {asset.key: asset_info(asset) for asset in chosen}


def asset_pairs(state: SimulatorState, params: Params) -> dict[str, Any]:
    info = params.text("info") or "info"
    if info not in ("info", "leverage", "fees", "margin"):
        raise invalid_arguments("info")
    names = params.items("pair")
    if not names:
        return {pair.key: pair_info(pair, info) for pair in state.catalog.pairs}
    # Kraken keys a pair asked for as BASE/QUOTE by that name, and any other spelling by the pair's key.
    return {name if "/" in name else pair.key: pair_info(pair, info) for name, pair in _named(state, names)}


def ticker(state: SimulatorState, params: Params) -> dict[str, Any]:
    now = state.clock.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    result = {}
    for pair in _pairs(state, params):
        history = state.tape[pair.symbol]
        windows = (tape.recent(history, midnight), tape.recent(history, now - timedelta(days=1)))
        book = state.depth[pair.symbol]
        result[pair.key] = {
            "a": _best(pair, book.top(OrderSide.SELL, 1)),
            "b": _best(pair, book.top(OrderSide.BUY, 1)),
            "c": _last(pair, history[-1] if history else None),
            "v": [_qty(pair, sum((t.qty for t in w), ZERO)) for w in windows],
            "p": [_price(pair, _vwap(w)) for w in windows],
            "t": [len(w) for w in windows],
            "l": [_price(pair, min((t.price for t in w), default=ZERO)) for w in windows],
            "h": [_price(pair, max((t.price for t in w), default=ZERO)) for w in windows],
            "o": _price(pair, windows[0][0].price if windows[0] else ZERO),
        }
    return result


def depth(state: SimulatorState, params: Params) -> dict[str, Any]:
    pair = state.catalog.pair(params.required("pair"))
    count = params.integer("count") or 100
    if not 1 <= count <= 500:
        raise invalid_arguments("count")
    book = state.depth[pair.symbol]
    stamp = int(unix(state.clock.now()))

    def rows(side: OrderSide) -> list[list[Any]]:
        return [[_price(pair, p), _qty(pair, q), stamp] for p, q in book.top(side, count)]

    return {pair.key: {"asks": rows(OrderSide.SELL), "bids": rows(OrderSide.BUY)}}


def _named(state: SimulatorState, names: list[str]) -> list[tuple[str, KrakenPair]]:
    return [(name, state.catalog.pair(name)) for name in names]


def _pairs(state: SimulatorState, params: Params) -> list[KrakenPair]:
    names = params.items("pair")
    return state.catalog.select_pairs(names) if names else list(state.catalog.pairs)


def _price(pair: KrakenPair, value: Any) -> str:
    return fixed(value, pair.pair_decimals)


def _qty(pair: KrakenPair, value: Any) -> str:
    return fixed(value, pair.lot_decimals)


def _best(pair: KrakenPair, levels: list[Any]) -> list[str]:
    price, qty = levels[0] if levels else (ZERO, ZERO)
    return [_price(pair, price), str(int(qty)), fixed(qty, 3)]


def _last(pair: KrakenPair, trade: PublicTrade | None) -> list[str]:
    if trade is None:
        return [_price(pair, ZERO), _qty(pair, ZERO)]
    return [_price(pair, trade.price), _qty(pair, trade.qty)]


def _vwap(trades: list[Any]) -> Any:
    volume = sum((t.qty for t in trades), ZERO)
    return sum((t.price * t.qty for t in trades), ZERO) / volume if volume else ZERO


ENDPOINTS: dict[str, PublicEndpoint] = {
    "Time": time,
    "SystemStatus": system_status,
    "Assets": assets,
    "AssetPairs": asset_pairs,
    "Ticker": ticker,
    "Depth": depth,
}
