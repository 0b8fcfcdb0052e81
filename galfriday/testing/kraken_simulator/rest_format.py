"""REST result objects in Kraken's shapes: amounts as strings with fixed decimals (volumes at the pair's
lot decimals, prices at its pair decimals, costs and fees at its cost decimals, balances at the asset's
decimals) and times as seconds with four decimals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from galfriday.domain.amounts import ZERO
from galfriday.testing.kraken_simulator.catalog import KrakenAsset, KrakenPair
from galfriday.testing.kraken_simulator.records import Account, OrderState, SimOrder, SimTrade
from galfriday.testing.kraken_simulator.wire import fixed, rest_time

FEES_TAKER = [
    [0, Decimal("0.26")],
    [50000, Decimal("0.24")],
    [100000, Decimal("0.22")],
    [250000, Decimal("0.2")],
]
FEES_MAKER = [
    [0, Decimal("0.16")],
    [50000, Decimal("0.14")],
    [100000, Decimal("0.12")],
    [250000, Decimal("0.1")],
]


def description(order: SimOrder, pair: KrakenPair) -> str:
    """`buy 1.25000000 XBTUSD @ limit 30010.0` / `sell 0.25000000 XBTUSD @ market`."""
    request = order.request
    volume = fixed(request.volume, pair.lot_decimals)
    where = "market" if request.price is None else f"limit {fixed(request.price, pair.pair_decimals)}"
    return f"{request.side.value} {volume} {pair.altname} @ {where}"


def oflags(order: SimOrder) -> str:
    flags = [flag for flag in order.request.oflags if flag not in ("fciq", "fcib")]
    return ",".join([*flags, "fciq"])


def order_info(order: SimOrder, pair: KrakenPair, *, trades: bool) -> dict[str, Any]:
    request = order.request
    price = order.cost / order.vol_exec if order.vol_exec else ZERO
    info: dict[str, Any] = {"refid": None, "userref": request.userref}
    if request.cl_ord_id is not None:
        info["cl_ord_id"] = request.cl_ord_id
    info.update(
        status=order.state.value,
        opentm=rest_time(order.opened_at),
        starttm=0,
        expiretm=rest_time(request.expire_at),
    )
    if not order.state.is_open:
        info.update(closetm=rest_time(order.closed_at), reason=order.reason)
    info.update(
        descr={
            "pair": pair.altname,
            "type": request.side.value,
            "ordertype": request.order_type,
            "price": "0" if request.price is None else fixed(request.price, pair.pair_decimals),
            "price2": "0",
            "leverage": "none",
            "order": description(order, pair),
            "close": "",
        },
        vol=fixed(request.volume, pair.lot_decimals),
        vol_exec=fixed(order.vol_exec, pair.lot_decimals),
        cost=fixed(order.cost, pair.cost_decimals),
        fee=fixed(order.fee, pair.cost_decimals),
        price=fixed(price, pair.pair_decimals),
        stopprice=fixed(ZERO, pair.cost_decimals),
        limitprice=fixed(ZERO, pair.cost_decimals),
        misc="partial" if order.state is OrderState.CANCELED and order.vol_exec else "",
        oflags=oflags(order),
        timeinforce=request.time_in_force,
    )
    if trades and order.trades:
        info["trades"] = list(order.trades)
    return info


def trade_info(trade: SimTrade, pair: KrakenPair, *, ledgers: bool) -> dict[str, Any]:
    places = max(pair.pair_decimals, pair.cost_decimals)
    info: dict[str, Any] = {
        "ordertxid": trade.order_txid,
        "postxid": trade.postxid,
        "pair": pair.key,
        "time": rest_time(trade.time),
        "type": trade.side.value,
        "ordertype": trade.order_type,
        "price": fixed(trade.price, places),
        "cost": fixed(trade.cost, pair.cost_decimals),
        "fee": fixed(trade.fee, pair.cost_decimals),
        "vol": fixed(trade.volume, pair.lot_decimals),
        "margin": fixed(ZERO, pair.cost_decimals),
        "misc": "",
        "trade_id": trade.trade_id,
        "maker": trade.maker,
    }
    if ledgers:
        info["ledgers"] = list(trade.ledger_ids)
    return info


def balance(account: Account, assets: list[KrakenAsset]) -> dict[str, str]:
    return {asset.key: fixed(account.totals.get(asset.code, ZERO), asset.decimals) for asset in assets}


def balance_ex(account: Account, assets: list[KrakenAsset]) -> dict[str, dict[str, str]]:
    return {
        asset.key: {
            "balance": fixed(account.totals.get(asset.code, ZERO), asset.decimals),
            "hold_trade": fixed(account.held.get(asset.code, ZERO), asset.decimals),
        }
        for asset in assets
    }


def asset_info(asset: KrakenAsset) -> dict[str, Any]:
    return {
        "aclass": "currency",
        "altname": asset.altname,
        "decimals": asset.decimals,
        "display_decimals": asset.display_decimals,
        "collateral_value": 1,
        "status": "enabled",
    }


def pair_info(pair: KrakenPair, info: str) -> dict[str, Any]:
    """One AssetPairs entry; `info` narrows it to `leverage`, `fees` or `margin` as Kraken does."""
    if info == "leverage":
        return {"leverage_buy": [], "leverage_sell": []}
    if info == "fees":
        return {"fees": FEES_TAKER, "fee_volume_currency": "ZUSD"}
    if info == "margin":
        return {"margin_call": 80, "margin_level": 40}
    return {
        "altname": pair.altname,
        "wsname": pair.wsname,
        "aclass_base": "currency",
        "base": pair.base.key,
        "aclass_quote": "currency",
        "quote": pair.quote.key,
        "lot": "unit",
        "cost_decimals": pair.cost_decimals,
        "pair_decimals": pair.pair_decimals,
        "lot_decimals": pair.lot_decimals,
        "lot_multiplier": 1,
        "leverage_buy": [],
        "leverage_sell": [],
        "fees": FEES_TAKER,
        "fees_maker": FEES_MAKER,
        "fee_volume_currency": "ZUSD",
        "margin_call": 80,
        "margin_stop": 40,
        "ordermin": format(pair.ordermin, "f"),
        "costmin": format(pair.costmin, "f"),
        "tick_size": format(pair.tick_size, "f"),
        "status": "online",
    }
