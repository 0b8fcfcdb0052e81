"""Private REST endpoints: balances, orders, trades, order entry and cancels, the dead-man's switch, and
WebSocket tokens. Lists are newest first, 50 to a page (`ofs` to page on), with `count` the total."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from galfriday.testing.kraken_simulator.errors import KrakenError, invalid_arguments
from galfriday.testing.kraken_simulator.order_params import check_userref, from_rest
from galfriday.testing.kraken_simulator.params import Params
from galfriday.testing.kraken_simulator.records import Account, SimOrder, SimTrade
from galfriday.testing.kraken_simulator.rest_format import (
    balance,
    balance_ex,
    description,
    order_info,
    trade_info,
)
from galfriday.testing.kraken_simulator.state import SimulatorState
from galfriday.testing.kraken_simulator.wire import from_unix, rfc3339_seconds

PAGE = 50
MAX_QUERY = 50

PrivateEndpoint = Callable[[SimulatorState, Account, Params], Any]
_T = TypeVar("_T")


def _assets(state: SimulatorState, account: Account) -> list[Any]:
    return [state.catalog.asset(code) for code in sorted(account.totals)]


def get_balance(state: SimulatorState, account: Account, params: Params) -> dict[str, Any]:
    return balance(account, _assets(state, account))


def get_balance_ex(state: SimulatorState, account: Account, params: Params) -> dict[str, Any]:
    return balance_ex(account, _assets(state, account))


def _filtered(orders: Sequence[SimOrder], params: Params) -> list[SimOrder]:
    userref = params.integer("userref")
    cl_ord_id = params.text("cl_ord_id")
    if userref is not None:
        check_userref(userref)
        orders = [o for o in orders if o.request.userref == userref]
    if cl_ord_id is not None:
        orders = [o for o in orders if o.request.cl_ord_id == cl_ord_id]
    return list(orders)


def _info(state: SimulatorState, order: SimOrder, params: Params) -> dict[str, Any]:
    return order_info(order, state.catalog.pair(order.symbol), trades=params.flag("trades"))


def open_orders(state: SimulatorState, account: Account, params: Params) -> dict[str, Any]:
    orders = _filtered(account.open_orders(), params)
    return {"open": {o.txid: _info(state, o, params) for o in orders}}


def closed_orders(state: SimulatorState, account: Account, params: Params) -> dict[str, Any]:
    closetime = params.text("closetime") or "both"
    if closetime not in ("open", "close", "both"):
        raise invalid_arguments("closetime")
    closed = [o for o in account.orders.values() if not o.state.is_open]

    def when(order: SimOrder) -> datetime:
        return order.opened_at if closetime == "open" else order.closed_at or order.opened_at

    def time_of(reference: str) -> datetime:
        found = account.orders.get(reference)
        return when(found) if found is not None else from_unix(_seconds(reference))

    orders = _window(sorted(_filtered(closed, params), key=when), when, params, time_of)
    page = _page(orders[::-1], params)
    result: dict[str, Any] = {"closed": {o.txid: _info(state, o, params) for o in page}}
    if not params.flag("without_count"):
        result["count"] = len(orders)
    return result


def query_orders(state: SimulatorState, account: Account, params: Params) -> dict[str, Any]:
    txids = params.items("txid")
    if not txids or len(txids) > MAX_QUERY:
        raise invalid_arguments("txid")
    if any(txid not in account.orders for txid in txids):
        raise KrakenError("EOrder:Invalid order")
    orders = _filtered([account.orders[txid] for txid in txids], params)
    return {o.txid: _info(state, o, params) for o in orders}


def trades_history(state: SimulatorState, account: Account, params: Params) -> dict[str, Any]:
    kind = params.text("type") or "all"
    if kind not in ("all", "any position", "closed position", "closing position", "no position"):
        raise invalid_arguments("type")
    by_id = {t.exec_id: t for t in account.trades}

    def time_of(reference: str) -> datetime:
        found = by_id.get(reference)
        return found.time if found is not None else from_unix(_seconds(reference))

    trades = _window(account.trades, lambda t: t.time, params, time_of)
    page = _page(trades[::-1], params)
    ledgers = params.flag("ledgers")
    result: dict[str, Any] = {"trades": {t.exec_id: _trade(state, t, ledgers) for t in page}}
    if not params.flag("without_count"):
        result["count"] = len(trades)
    return result


def query_trades(state: SimulatorState, account: Account, params: Params) -> dict[str, Any]:
    txids = params.items("txid")
    if not txids or len(txids) > 20:
        raise invalid_arguments("txid")
    by_id = {t.exec_id: t for t in account.trades}
    if any(txid not in by_id for txid in txids):
        raise KrakenError("EGeneral:Invalid arguments:txid")
    return {txid: _trade(state, by_id[txid], False) for txid in txids}


def _trade(state: SimulatorState, trade: SimTrade, ledgers: bool) -> dict[str, Any]:
    return trade_info(trade, state.catalog.pair(trade.symbol), ledgers=ledgers)


def add_order(state: SimulatorState, account: Account, params: Params) -> dict[str, Any]:
    request, validate = from_rest(params, state.catalog, state.clock.now())
    pair = state.catalog.pair(request.symbol)
    if validate:
        state.check_order(account, request)
        preview = SimOrder("", account.name, "", request, state.clock.now())
        return {"descr": {"order": description(preview, pair)}}
    order = state.add_order(account, request)
    return {"descr": {"order": description(order, pair)}, "txid": [order.txid]}


def cancel_order(state: SimulatorState, account: Account, params: Params) -> dict[str, Any]:
    reference = params.text("txid") or params.text("cl_ord_id")
    if not reference:
        raise invalid_arguments("txid")
    return {"count": state.cancel_order(account, reference)}


def cancel_all(state: SimulatorState, account: Account, params: Params) -> dict[str, Any]:
    return {"count": state.cancel_all(account)}


def cancel_all_orders_after(state: SimulatorState, account: Account, params: Params) -> dict[str, Any]:
    timeout = params.integer("timeout")
    if timeout is None or not 0 <= timeout < 86400:
        raise invalid_arguments("timeout")
    now, trigger = state.cancel_all_after(account, timeout)
    return {
        "currentTime": rfc3339_seconds(now),
        "triggerTime": "0" if trigger is None else rfc3339_seconds(trigger),
    }


def websockets_token(state: SimulatorState, account: Account, params: Params) -> dict[str, Any]:
    token = state.issue_token(account)
    return {"token": token.token, "expires": token.ttl}


def _seconds(reference: str) -> Decimal:
    try:
        return Decimal(reference)
    except ArithmeticError:
        raise invalid_arguments("start") from None


def _window(
    items: Sequence[_T], when: Callable[[_T], datetime], params: Params, time_of: Callable[[str], datetime]
) -> list[_T]:
    """Items after `start` (exclusive) and up to `end` (inclusive), each a timestamp or an id."""
    start, end = params.text("start"), params.text("end")
    low = time_of(start) if start else None
    high = time_of(end) if end else None
    return [i for i in items if (low is None or when(i) > low) and (high is None or when(i) <= high)]


def _page(items: Sequence[_T], params: Params) -> list[_T]:
    offset = params.integer("ofs") or 0
    if offset < 0:
        raise invalid_arguments("ofs")
    return list(items[offset : offset + PAGE])


ENDPOINTS: dict[str, PrivateEndpoint] = {
    "Balance": get_balance,
    "BalanceEx": get_balance_ex,
    "OpenOrders": open_orders,
    "ClosedOrders": closed_orders,
    "QueryOrders": query_orders,
    "TradesHistory": trades_history,
    "QueryTrades": query_trades,
    "AddOrder": add_order,
    "CancelOrder": cancel_order,
    "CancelAll": cancel_all,
    "CancelAllOrdersAfter": cancel_all_orders_after,
    "GetWebSocketsToken": websockets_token,
}
