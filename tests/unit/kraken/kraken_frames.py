"""Kraken WebSocket v2 frames from Kraken's documentation (kraken.md section C), verbatim, for the tests."""

from __future__ import annotations

STATUS = (
    '{"channel": "status", "data": [{"api_version": "v2", "connection_id": 13834774380200032777, '
    '"system": "online", "version": "2.0.0"}], "type": "update"}'
)
HEARTBEAT = '{"channel": "heartbeat"}'
PONG = (
    '{"method": "pong", "req_id": 101, "time_in": "2023-09-24T14:10:23.799685Z", '
    '"time_out": "2023-09-24T14:10:23.799703Z"}'
)
BOOK_ACK = (
    '{"method": "subscribe", "result": {"channel": "book", "depth": 10, "snapshot": true, "symbol": "ALGO/USD"},'
    ' "success": true, "time_in": "2023-10-06T17:35:55.219022Z", "time_out": "2023-10-06T17:35:55.219067Z"}'
)
EXECUTIONS_ACK = (
    '{"method": "subscribe", "result": {"channel": "executions", "maxratecount": 125, "snap_orders": true, '
    '"snap_trades": true}, "success": true, "time_in": "2023-10-16T13:18:35.303171Z", '
    '"time_out": "2023-10-16T13:18:35.318297Z"}'
)
UNSUBSCRIBE_FAILURE = (
    '{"error": "Subscription Not Found", "method": "subscribe", "req_id": 123456789, "success": false, '
    '"symbol": "BTC/USD", "time_in": "2023-09-24T14:10:23.799685Z", "time_out": "2023-09-24T14:10:23.799703Z"}'
)
ADD_ORDER_ACK = (
    '{"method": "add_order", "req_id": 123456789, "result": {"order_id": "AA5JGQ-SBMRC-SCJ7J7", '
    '"order_userref": 100054}, "success": true, "time_in": "2023-09-21T14:15:07.197274Z", '
    '"time_out": "2023-09-21T14:15:07.205301Z"}'
)
ADD_ORDER_FAILURE = (
    '{"method": "add_order", "req_id": 99, "success": false, "error": "EOrder:Insufficient funds", '
    '"time_in": "2026-05-05T10:00:00.123Z", "time_out": "2026-05-05T10:00:00.125Z"}'
)

EXECUTION_PENDING_NEW = (
    '{"channel": "executions", "type": "update", "data": [{"order_id": "OK4GJX-KSTLS-7DZZO5", "order_userref": 3, '
    '"symbol": "BTC/USD", "order_qty": 0.005, "cum_cost": 0.0, "time_in_force": "GTC", "exec_type": "pending_new", '
    '"side": "sell", "order_type": "limit", "limit_price_type": "static", "limit_price": 26500.0, '
    '"stop_price": 0.0, "order_status": "pending_new", "fee_usd_equiv": 0.0, "fee_ccy_pref": "fciq", '
    '"timestamp": "2023-09-22T10:33:05.709950Z"}], "sequence": 8}'
)
EXECUTION_NEW = (
    '{"channel": "executions", "type": "update", "data": [{"timestamp": "2023-09-22T10:33:05.709982Z", '
    '"order_status": "new", "exec_type": "new", "order_userref": 3, "order_id": "OK4GJX-KSTLS-7DZZO5"}], '
    '"sequence": 9}'
)
EXECUTION_TRADE = (
    '{"channel": "executions", "type": "update", "data": [{"order_id": "OK4GJX-KSTLS-7DZZO5", "order_userref": 3, '
    '"exec_id": "TGBB7L-HT5LX-J3BZ4A", "exec_type": "trade", "trade_id": 62887576, "symbol": "BTC/USD", '
    '"side": "sell", "last_qty": 0.005, "last_price": 26599.9, "liquidity_ind": "t", "cost": 132.9995, '
    '"order_type": "limit", "timestamp": "2023-09-22T10:33:05.709993Z", "order_status": "partially_filled", '
    '"cum_qty": 0.005, "cum_cost": 132.9995, "avg_price": 26599.9, "fee_usd_equiv": 0.3458, '
    '"fees": [{"asset": "USD", "qty": 0.3458}]}], "sequence": 10}'
)
CANCELED_REPORT = (
    '{"timestamp": "2025-10-11T15:11:47.695226Z", "order_status": "canceled", "exec_type": "canceled", '
    '"order_userref": 0, "order_id": "OGAB7Y-BKX5F-PTK5RW", "cum_qty": 0, "cum_cost": 0, "fee_usd_equiv": 0, '
    '"avg_price": 0, "cancel_reason": "User requested", "reason": "User requested"}'
)
MARKET_FILL_REPORT = (
    '{"order_id": "O6NTZC-K6FRH-ATWBCK", "exec_id": "T5DIUI-5N4KO-Z5BPXK", "exec_type": "trade", '
    '"trade_id": 8253473, "symbol": "USDC/USD", "side": "sell", "last_qty": 15.44, "last_price": 1.0002, '
    '"liquidity_ind": "t", "cost": 15.443088, "order_userref": 0, "order_status": "filled", '
    '"order_type": "market", "fee_usd_equiv": 0.03088618, "fees": [{"asset": "USD", "qty": 0.3458}]}'
)

BALANCES_SNAPSHOT = (
    '{"channel": "balances", "data": [{"asset": "BTC", "asset_class": "currency", "balance": 1.2, "wallets": '
    '[{"type": "spot", "id": "main", "balance": 1.2}]}, {"asset": "MATIC", "asset_class": "currency", '
    '"balance": 500, "wallets": [{"type": "spot", "id": "main", "balance": 300}, {"type": "earn", "id": "flex", '
    '"balance": 200}]}, {"asset": "USD", "asset_class": "currency", "balance": 80595.4943, "wallets": '
    '[{"type": "spot", "id": "main", "balance": 80595.4943}]}], "type": "snapshot", "sequence": 1}'
)
BALANCES_DEPOSIT = (
    '{"channel": "balances", "type": "update", "data": [{"ledger_id": "ADKKFF-WEA5A-CNUBHG", '
    '"ref_id": "AGBWUJRU-LAREZ-W3UFAN", "timestamp": "2023-09-22T10:23:42.925034Z", "type": "deposit", '
    '"asset": "BTC", "asset_class": "currency", "category": "deposit", "wallet_type": "spot", '
    '"wallet_id": "main", "amount": 0.01, "fee": 0.0, "balance": 0.02}], "sequence": 2}'
)
BALANCES_TRADE_BTC = (
    '{"channel": "balances", "type": "update", "data": [{"ledger_id": "AAICKV-NMQSR-ZO5IJD", '
    '"ref_id": "AGBB7L-HT5LX-J3BB4A", "timestamp": "2023-09-22T10:33:05.710082Z", "type": "trade", '
    '"asset": "BTC", "asset_class": "currency", "category": "trade", "wallet_type": "spot", "wallet_id": "main", '
    '"amount": -0.005, "fee": 0.0, "balance": 0.005}], "sequence": 9}'
)
BALANCES_TRADE_USD = (
    '{"channel": "balances", "type": "update", "data": [{"ledger_id": "A5KS77-LQRMP-SMMN4B", '
    '"ref_id": "AGBB7L-HT5LX-J3BB4A", "timestamp": "2023-09-22T10:33:05.710082Z", "type": "trade", '
    '"asset": "USD", "asset_class": "currency", "category": "trade", "wallet_type": "spot", "wallet_id": "main", '
    '"amount": 132.9995, "fee": 0.3458, "balance": 500}], "sequence": 10}'
)

BOOK_SNAPSHOT = (
    '{"channel": "book", "type": "snapshot", "data": [{"symbol": "MATIC/USD", "bids": [{"price": 0.5666, '
    '"qty": 4831.75496356}, {"price": 0.5665, "qty": 6658.22734739}, {"price": 0.5664, "qty": 18724.91513344}, '
    '{"price": 0.5663, "qty": 11563.92544914}, {"price": 0.5662, "qty": 14006.65365711}, {"price": 0.5661, '
    '"qty": 17454.85679807}, {"price": 0.566, "qty": 18097.1547}, {"price": 0.5659, "qty": 33644.89175666}, '
    '{"price": 0.5658, "qty": 148.3464}, {"price": 0.5657, "qty": 606.70854372}], "asks": [{"price": 0.5668, '
    '"qty": 4410.79769741}, {"price": 0.5669, "qty": 4655.40412487}, {"price": 0.567, "qty": 49844.89424998}, '
    '{"price": 0.5671, "qty": 24306.41678}, {"price": 0.5672, "qty": 29783.25223475}, {"price": 0.5673, '
    '"qty": 57234.71239278}, {"price": 0.5674, "qty": 45065.04744}, {"price": 0.5675, "qty": 5912.76380354}, '
    '{"price": 0.5676, "qty": 42514.92434778}, {"price": 0.5677, "qty": 36304.0847022}], '
    '"checksum": 2439117997, "timestamp": "2023-10-06T17:35:55.440295Z"}]}'
)
BOOK_UPDATE = (
    '{"channel": "book", "type": "update", "data": [{"symbol": "MATIC/USD", "bids": [{"price": 0.5657, '
    '"qty": 1098.3947558}], "asks": [], "checksum": 2114181697, "timestamp": "2023-10-06T17:35:55.440295Z"}]}'
)

TICKER = (
    '{"channel": "ticker", "type": "snapshot", "data": [{"symbol": "ALGO/USD", "bid": 0.10025, "bid_qty": 740.0, '
    '"ask": 0.10036, "ask_qty": 1361.44813783, "last": 0.10035, "volume": 997038.98383185, "vwap": 0.10148, '
    '"low": 0.09979, "high": 0.10285, "change": -0.00017, "change_pct": -0.17, '
    '"timestamp": "2023-09-25T09:04:31.742648Z"}]}'
)
TRADE = (
    '{"channel": "trade", "type": "update", "data": [{"symbol": "MATIC/USD", "side": "sell", "price": 0.5117, '
    '"qty": 40.0, "ord_type": "market", "trade_id": 4665906, "timestamp": "2023-09-25T07:49:37.708706Z"}]}'
)
OHLC = (
    '{"channel": "ohlc", "type": "update", "timestamp": "2023-10-04T16:26:30.524394914Z", "data": '
    '[{"symbol": "MATIC/USD", "open": 0.5624, "high": 0.5628, "low": 0.5622, "close": 0.5627, "trades": 12, '
    '"volume": 30927.68066226, "vwap": 0.5626, "interval_begin": "2023-10-04T16:25:00.000000000Z", '
    '"interval": 5, "timestamp": "2023-10-04T16:30:00.000000Z"}]}'
)
INSTRUMENT = (
    '{"channel": "instrument", "type": "snapshot", "data": {"assets": [{"id": "USD", "status": "enabled", '
    '"precision": 4, "precision_display": 2, "borrowable": true, "collateral_value": 1.0, "margin_rate": 0.015}, '
    '{"id": "BTC", "status": "enabled", "precision": 10, "precision_display": 5, "borrowable": true, '
    '"collateral_value": 1.0, "margin_rate": 0.01}], "pairs": [{"symbol": "BTC/USD", "base": "BTC", '
    '"quote": "USD", "status": "online", "qty_precision": 8, "qty_increment": 1e-08, "price_precision": 1, '
    '"cost_precision": 5, "marginable": true, "has_index": true, "cost_min": 0.5, "margin_initial": 0.2, '
    '"position_limit_long": 250, "position_limit_short": 200, "tick_size": 0.1, "price_increment": 0.1, '
    '"qty_min": 0.0001}]}}'
)


def executions(*reports: str, sequence: int | None = None, kind: str = "update") -> str:
    """An executions frame around report objects (JSON text)."""
    tail = "" if sequence is None else f', "sequence": {sequence}'
    return f'{{"channel": "executions", "type": "{kind}", "data": [{", ".join(reports)}]{tail}}}'
