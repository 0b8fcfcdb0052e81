"""WebSocket v2 payloads for the private channels and the instrument list, field for field as Kraken's
examples show them. Updates are partial, as Kraken's are: a `new` event carries no symbol or quantity."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from galfriday.domain.amounts import ZERO
from galfriday.testing.kraken_simulator.catalog import Catalog, KrakenPair
from galfriday.testing.kraken_simulator.records import Account, LedgerEntry, OrderEvent, SimOrder, SimTrade
from galfriday.testing.kraken_simulator.state import SimulatorState
from galfriday.testing.kraken_simulator.wire import rfc3339

API_VERSION = "v2"
SERVER_VERSION = "2.0.10"


def status(connection_id: int, system: str) -> dict[str, Any]:
    data = {
        "api_version": API_VERSION,
        "connection_id": connection_id,
        "system": system,
        "version": SERVER_VERSION,
    }
    return {"channel": "status", "data": [data], "type": "update"}


def avg_price(order: SimOrder, pair: KrakenPair) -> Decimal:
    """Average fill price, to four decimals beyond the pair's price precision; 0 before any fill."""
    if order.vol_exec == 0:
        return ZERO
    places = Decimal(1).scaleb(-(pair.pair_decimals + 4))
    return (order.cost / order.vol_exec).quantize(places, rounding=ROUND_HALF_EVEN)


def _ids(order: SimOrder) -> dict[str, Any]:
    ids: dict[str, Any] = {"order_userref": order.request.userref, "order_id": order.txid}
    if order.request.cl_ord_id is not None:
        ids["cl_ord_id"] = order.request.cl_ord_id
    return ids


def _totals(order: SimOrder, pair: KrakenPair, state: SimulatorState) -> dict[str, Any]:
    return {
        "cum_qty": order.vol_exec,
        "cum_cost": order.cost,
        "avg_price": avg_price(order, pair),
        "fee_usd_equiv": state.usd_value(pair.quote.code, order.fee),
    }


def order_description(order: SimOrder, exec_type: str, at: datetime, state: SimulatorState) -> dict[str, Any]:
    """The full order: `pending_new` events and open orders in a snapshot."""
    request = order.request
    pair = state.catalog.pair(request.symbol)
    entry: dict[str, Any] = {
        **_ids(order),
        "symbol": request.symbol,
        "order_qty": request.volume,
        "time_in_force": request.time_in_force,
        "exec_type": exec_type,
        "side": request.side.value,
        "order_type": request.order_type,
    }
    if request.price is not None:
        entry["limit_price_type"] = "static"
        entry["limit_price"] = request.price
    if request.post_only:
        entry["post_only"] = True
    if request.expire_at is not None:
        entry["expire_time"] = rfc3339(request.expire_at)
    entry.update(_totals(order, pair, state))
    entry.update(order_status=order.ws_status, fee_ccy_pref="fciq", timestamp=rfc3339(at))
    return entry


def trade_entry(trade: SimTrade, state: SimulatorState) -> dict[str, Any]:
    """The fields of one fill (a `trade` event, or a trade in a snapshot)."""
    entry: dict[str, Any] = {"order_id": trade.order_txid, "order_userref": trade.userref}
    if trade.cl_ord_id is not None:
        entry["cl_ord_id"] = trade.cl_ord_id
    entry.update(
        exec_id=trade.exec_id,
        exec_type="trade",
        trade_id=trade.trade_id,
        symbol=trade.symbol,
        side=trade.side.value,
        last_qty=trade.volume,
        last_price=trade.price,
        liquidity_ind="m" if trade.maker else "t",
        cost=trade.cost,
        order_type=trade.order_type,
        timestamp=rfc3339(trade.time),
        fee_usd_equiv=state.usd_value(trade.fee_asset, trade.fee),
        fees=[{"asset": trade.fee_asset, "qty": trade.fee}],
    )
    return entry


def execution(event: OrderEvent, state: SimulatorState) -> dict[str, Any]:
    """One `executions` update entry for an order event."""
    order = event.order
    pair = state.catalog.pair(order.symbol)
    if event.exec_type == "pending_new":
        return order_description(order, "pending_new", event.at, state)
    head = {"timestamp": rfc3339(event.at), "order_status": order.ws_status, "exec_type": event.exec_type}
    if event.exec_type == "new":
        return {**head, **_ids(order)}
    if event.exec_type == "trade" and event.trade is not None:
        entry = trade_entry(event.trade, state)
        entry.update(order_status=order.ws_status, **_totals(order, pair, state))
        return entry
    entry = {**head, **_ids(order), **_totals(order, pair, state)}
    if event.exec_type in ("canceled", "expired"):
        entry["cancel_reason"] = entry["reason"] = order.reason
    return entry


def executions_snapshot(
    account: Account, state: SimulatorState, *, orders: bool, trades: bool, at: datetime
) -> list[dict[str, Any]]:
    """The last 50 fills (oldest first) if `trades`, then the open orders (oldest first) if `orders`."""
    data = [trade_entry(trade, state) for trade in account.trades[-50:]] if trades else []
    if orders:
        data.extend(order_description(o, "new", at, state) for o in account.open_orders())
    return data


def balances_snapshot(account: Account) -> list[dict[str, Any]]:
    return [
        {
            "asset": asset,
            "asset_class": "currency",
            "balance": total,
            "wallets": [{"type": "spot", "id": "main", "balance": total}],
        }
        for asset, total in sorted(account.totals.items())
    ]


def ledger_update(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "ledger_id": entry.ledger_id,
        "ref_id": entry.ref_id,
        "timestamp": rfc3339(entry.time),
        "type": entry.type,
        "asset": entry.asset,
        "asset_class": "currency",
        "category": entry.type,
        "wallet_type": "spot",
        "wallet_id": "main",
        "amount": entry.amount,
        "fee": entry.fee,
        "balance": entry.balance,
    }


def instruments(catalog: Catalog) -> dict[str, Any]:
    """The `instrument` snapshot: assets and pairs with v2 names and precisions."""
    assets = [_asset(a.code, a.decimals, a.display_decimals) for a in catalog.assets]
    return {"assets": assets, "pairs": _pairs(catalog.pairs)}


def _asset(code: str, decimals: int, display: int) -> dict[str, Any]:
    return {
        "id": code,
        "status": "enabled",
        "precision": decimals,
        "precision_display": display,
        "borrowable": False,
        "collateral_value": Decimal("1.0"),
        "margin_rate": ZERO,
    }


def _pairs(pairs: Iterable[KrakenPair]) -> list[dict[str, Any]]:
    return [
        {
            "symbol": pair.symbol,
            "base": pair.base.code,
            "quote": pair.quote.code,
            "status": "online",
            "qty_precision": pair.lot_decimals,
            "qty_increment": pair.lot,
            "price_precision": pair.pair_decimals,
            "cost_precision": pair.cost_decimals,
            "marginable": False,
            "has_index": True,
            "cost_min": pair.costmin,
            "tick_size": pair.tick_size,
            "price_increment": pair.tick_size,
            "qty_min": pair.ordermin,
        }
        for pair in pairs
    ]
